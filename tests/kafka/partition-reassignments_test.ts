/** AlterPartitionReassignments and ListPartitionReassignments v0 (flexible) round-trip. */
import assert from "node:assert/strict";
import {
  readAlterPartitionReassignmentsRequest,
  readAlterPartitionReassignmentsResponse,
  readListPartitionReassignmentsRequest,
  readListPartitionReassignmentsResponse,
  writeAlterPartitionReassignmentsRequest,
  writeAlterPartitionReassignmentsResponse,
  writeListPartitionReassignmentsRequest,
  writeListPartitionReassignmentsResponse,
} from "../../src/kafka/apis/partition-reassignments.ts";
import { encode, roundTrip, toHex } from "./codec-harness.ts";

Deno.test("partition reassignment codecs round-trip, null replicas (cancel) included", () => {
  const alter = {
    timeoutMs: 1000,
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, replicas: [2, 3] }, { partitionIndex: 1, replicas: null }],
    }],
  };
  assert.deepEqual(
    roundTrip(writeAlterPartitionReassignmentsRequest, readAlterPartitionReassignmentsRequest, 0, alter),
    alter,
  );
  const alterResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    responses: [{
      name: "t",
      partitions: [{ partitionIndex: 1, errorCode: 85, errorMessage: "not being reassigned" }],
    }],
  };
  assert.deepEqual(
    roundTrip(
      writeAlterPartitionReassignmentsResponse,
      readAlterPartitionReassignmentsResponse,
      0,
      alterResponse,
    ),
    alterResponse,
  );
  for (const topics of [null, [{ name: "t", partitionIndexes: [0, 4] }]]) {
    const list = { timeoutMs: 5, topics };
    assert.deepEqual(
      roundTrip(writeListPartitionReassignmentsRequest, readListPartitionReassignmentsRequest, 0, list),
      list,
    );
  }
  const listResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, replicas: [2, 3, 1], addingReplicas: [2, 3], removingReplicas: [1] }],
    }],
  };
  assert.deepEqual(
    roundTrip(
      writeListPartitionReassignmentsResponse,
      readListPartitionReassignmentsResponse,
      0,
      listResponse,
    ),
    listResponse,
  );
  // timeout 1000, one topic "t", one partition 0 with replicas [2]: compact lengths are n + 1
  assert.equal(
    toHex(
      encode(writeAlterPartitionReassignmentsRequest, 0, {
        timeoutMs: 1000,
        topics: [{ name: "t", partitions: [{ partitionIndex: 0, replicas: [2] }] }],
      }),
    ),
    "000003e8" + "02" + "0274" + "02" + "00000000" + "02" + "00000002" + "00" + "00" + "00",
  );
});
