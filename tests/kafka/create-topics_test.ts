import assert from "node:assert/strict";
import {
  readCreateTopicsRequest,
  readCreateTopicsResponse,
  writeCreateTopicsRequest,
  writeCreateTopicsResponse,
} from "../../src/kafka/apis/create-topics.ts";
import { WireError } from "../../src/wire/mod.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("CreateTopics round-trips every version", () => {
  const request = {
    topics: [{
      name: "orders",
      numPartitions: -1,
      replicationFactor: -1,
      assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }, { partitionIndex: 1, brokerIds: [2, 3] }],
      configs: [{ name: "retention.ms", value: "1000" }, { name: "cleanup.policy", value: null }],
    }, { name: "plain", numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: true,
  };
  const response = {
    throttleTimeMs: 2,
    topics: [{ name: "orders", errorCode: 36, errorMessage: "Topic exists" }, {
      name: "plain",
      errorCode: 0,
      errorMessage: null,
    }],
  };
  for (const v of versions(0, 4)) {
    assert.deepEqual(
      roundTrip(writeCreateTopicsRequest, readCreateTopicsRequest, v, request),
      { ...request, validateOnly: v >= 1 },
      `request v${v}`,
    );
    assert.deepEqual(roundTrip(writeCreateTopicsResponse, readCreateTopicsResponse, v, response), {
      throttleTimeMs: v >= 2 ? 2 : 0,
      topics: response.topics.map((t) => ({ ...t, errorMessage: v >= 1 ? t.errorMessage : null })),
    }, `response v${v}`);
  }
});

Deno.test("CreateTopics matches hand-derived bytes", () => {
  // v1: topic "t", 2 partitions, RF 1, no assignments, one config x=y, timeout 1000, validate_only false.
  const v1 = hex("00000001 0001 74 00000002 0001 00000000 00000001 0001 78 0001 79 000003e8 00");
  const request = {
    topics: [{
      name: "t",
      numPartitions: 2,
      replicationFactor: 1,
      assignments: [],
      configs: [{ name: "x", value: "y" }],
    }],
    timeoutMs: 1000,
    validateOnly: false,
  };
  assert.deepEqual(decode(readCreateTopicsRequest, 1, v1), request);
  assert.equal(toHex(encode(writeCreateTopicsRequest, 1, request)), toHex(v1));
  const v2Response = hex("00000000 00000001 0001 74 0024 0006 657869737473");
  const response = { throttleTimeMs: 0, topics: [{ name: "t", errorCode: 36, errorMessage: "exists" }] };
  assert.deepEqual(decode(readCreateTopicsResponse, 2, v2Response), response);
  assert.equal(toHex(encode(writeCreateTopicsResponse, 2, response)), toHex(v2Response));
  assert.equal(toHex(encode(writeCreateTopicsResponse, 0, response)), "00000001000174" + "0024");
  assert.throws(() => decode(readCreateTopicsRequest, 0, hex("00000001 ffff")), WireError); // null topic name
});
