import assert from "node:assert/strict";
import {
  readStopReplicaRequest,
  readStopReplicaResponse,
  type StopReplicaRequest,
  writeStopReplicaRequest,
  writeStopReplicaResponse,
} from "../../src/kafka/apis/stop-replica.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("StopReplica round-trips every version, offering both partition layouts", () => {
  const topics = [{ name: "a", partitionIndexes: [0, 2] }, { name: "b", partitionIndexes: [1] }];
  const flat = [
    { topicName: "a", partitionIndex: 0 },
    { topicName: "a", partitionIndex: 2 },
    { topicName: "b", partitionIndex: 1 },
  ];
  for (const v of versions(0, 1)) {
    const expected = {
      controllerId: 1,
      controllerEpoch: 3,
      brokerEpoch: v >= 1 ? 77 : -1,
      deletePartitions: true,
      ungroupedPartitions: flat,
      topics,
    };
    const base = { controllerId: 1, controllerEpoch: 3, brokerEpoch: 77, deletePartitions: true };
    assert.deepEqual(
      roundTrip(writeStopReplicaRequest, readStopReplicaRequest, v, { ...base, topics }),
      expected,
    );
    assert.deepEqual(
      roundTrip(writeStopReplicaRequest, readStopReplicaRequest, v, { ...base, ungroupedPartitions: flat }),
      expected,
    );
    const response = { errorCode: 0, partitionErrors: [{ topicName: "a", partitionIndex: 0, errorCode: 3 }] };
    assert.deepEqual(roundTrip(writeStopReplicaResponse, readStopReplicaResponse, v, response), response);
  }
});

Deno.test("StopReplica matches hand-derived bytes", () => {
  // v0: controller 1, epoch 2, delete true, [("t", 0)].
  const v0 = hex("00000001 00000002 01 00000001 0001 74 00000000");
  const value: StopReplicaRequest = {
    controllerId: 1,
    controllerEpoch: 2,
    deletePartitions: true,
    ungroupedPartitions: [{ topicName: "t", partitionIndex: 0 }],
  };
  assert.equal(toHex(encode(writeStopReplicaRequest, 0, value)), toHex(v0));
  assert.deepEqual(decode(readStopReplicaRequest, 0, v0).topics, [{ name: "t", partitionIndexes: [0] }]);
  // v1: controller 1, epoch 2, broker epoch 5, delete false, [("t", [0, 1])].
  const v1 = hex("00000001 00000002 0000000000000005 00 00000001 0001 74 00000002 00000000 00000001");
  const grouped: StopReplicaRequest = {
    controllerId: 1,
    controllerEpoch: 2,
    brokerEpoch: 5,
    deletePartitions: false,
    topics: [{ name: "t", partitionIndexes: [0, 1] }],
  };
  assert.equal(toHex(encode(writeStopReplicaRequest, 1, grouped)), toHex(v1));
  assert.equal(decode(readStopReplicaRequest, 1, v1).brokerEpoch, 5);
  const response = hex("0000 00000001 0001 74 00000000 0000");
  const errors = { errorCode: 0, partitionErrors: [{ topicName: "t", partitionIndex: 0, errorCode: 0 }] };
  assert.equal(toHex(encode(writeStopReplicaResponse, 1, errors)), toHex(response));
  assert.deepEqual(decode(readStopReplicaResponse, 0, response), errors);
});
