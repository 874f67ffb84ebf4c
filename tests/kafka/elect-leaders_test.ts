/** ElectLeaders codec: every version round-trips; v0 carries no election type and no top-level error. */
import assert from "node:assert/strict";
import {
  ElectionType,
  readElectLeadersRequest,
  readElectLeadersResponse,
  writeElectLeadersRequest,
  writeElectLeadersResponse,
} from "../../src/kafka/apis/elect-leaders.ts";
import { encode, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("ElectLeaders round-trips every version", () => {
  const request = {
    electionType: ElectionType.unclean,
    topicPartitions: [{ topic: "orders", partitions: [0, 2] }],
    timeoutMs: 5000,
  };
  const response = {
    throttleTimeMs: 0,
    errorCode: 41,
    replicaElectionResults: [{
      topic: "orders",
      partitionResult: [
        { partitionId: 0, errorCode: 0, errorMessage: null },
        { partitionId: 2, errorCode: 84, errorMessage: "orders:2: not needed" },
      ],
    }],
  };
  for (const v of versions(0, 2)) {
    const expected = v === 0 ? { ...request, electionType: ElectionType.preferred } : request;
    assert.deepEqual(
      roundTrip(writeElectLeadersRequest, readElectLeadersRequest, v, request),
      expected,
      `v${v}`,
    );
    assert.deepEqual(
      roundTrip(writeElectLeadersRequest, readElectLeadersRequest, v, { ...request, topicPartitions: null }),
      { ...expected, topicPartitions: null },
    );
    assert.deepEqual(
      roundTrip(writeElectLeadersResponse, readElectLeadersResponse, v, response),
      v === 0 ? { ...response, errorCode: 0 } : response,
    );
  }
  // v1, all partitions: type 0, null array (-1), timeout 1000
  assert.equal(
    toHex(encode(writeElectLeadersRequest, 1, { electionType: 0, topicPartitions: null, timeoutMs: 1000 })),
    "00ffffffff000003e8",
  );
});
