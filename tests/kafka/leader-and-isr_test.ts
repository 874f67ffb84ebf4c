import assert from "node:assert/strict";
import {
  type LeaderAndIsrRequest,
  readLeaderAndIsrRequest,
  readLeaderAndIsrResponse,
  writeLeaderAndIsrRequest,
  writeLeaderAndIsrResponse,
} from "../../src/kafka/apis/leader-and-isr.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

const request: LeaderAndIsrRequest = {
  controllerId: 2,
  controllerEpoch: 5,
  ungroupedPartitionStates: [
    {
      topicName: "a",
      partitionIndex: 0,
      controllerEpoch: 5,
      leader: 2,
      leaderEpoch: 7,
      isr: [2, 1],
      zkVersion: 12,
      replicas: [2, 1, 3],
      isNew: true,
    },
    {
      topicName: "b",
      partitionIndex: 4,
      controllerEpoch: 4,
      leader: -1,
      leaderEpoch: 0,
      isr: [],
      zkVersion: 0,
      replicas: [3],
      isNew: false,
    },
  ],
  liveLeaders: [{ brokerId: 2, hostName: "127.0.0.1", port: 9093 }],
};

Deno.test("LeaderAndIsr round-trips every version", () => {
  for (const v of versions(0, 1)) {
    assert.deepEqual(
      roundTrip(writeLeaderAndIsrRequest, readLeaderAndIsrRequest, v, request),
      {
        ...request,
        ungroupedPartitionStates: request.ungroupedPartitionStates.map((s) => ({
          ...s,
          isNew: v >= 1 && s.isNew,
        })),
      },
      `request v${v}`,
    );
    const response = {
      errorCode: 0,
      partitionErrors: [{ topicName: "a", partitionIndex: 0, errorCode: 0 }, {
        topicName: "b",
        partitionIndex: 4,
        errorCode: 6,
      }],
    };
    assert.deepEqual(roundTrip(writeLeaderAndIsrResponse, readLeaderAndIsrResponse, v, response), response);
  }
});

Deno.test("LeaderAndIsr matches hand-derived bytes", () => {
  // v1: controller 1 epoch 2; partition ("t", 0, ctrl epoch 2, leader 1, epoch 3, isr [1 2],
  // zk 4, replicas [1 2], is_new true); live leader (1, "h", 9092).
  const bytes = hex(`
    00000001 00000002
    00000001 0001 74 00000000 00000002 00000001 00000003 00000002 00000001 00000002 00000004
             00000002 00000001 00000002 01
    00000001 00000001 0001 68 00002384`);
  const value: LeaderAndIsrRequest = {
    controllerId: 1,
    controllerEpoch: 2,
    ungroupedPartitionStates: [{
      topicName: "t",
      partitionIndex: 0,
      controllerEpoch: 2,
      leader: 1,
      leaderEpoch: 3,
      isr: [1, 2],
      zkVersion: 4,
      replicas: [1, 2],
      isNew: true,
    }],
    liveLeaders: [{ brokerId: 1, hostName: "h", port: 9092 }],
  };
  assert.equal(toHex(encode(writeLeaderAndIsrRequest, 1, value)), toHex(bytes));
  assert.deepEqual(decode(readLeaderAndIsrRequest, 1, bytes), value);
  // v0 is the same without the is_new byte.
  const v0 = encode(writeLeaderAndIsrRequest, 0, value);
  assert.equal(v0.length, bytes.length - 1);
  const response = hex("0000 00000001 0001 74 00000000 0000");
  const errors = { errorCode: 0, partitionErrors: [{ topicName: "t", partitionIndex: 0, errorCode: 0 }] };
  assert.equal(toHex(encode(writeLeaderAndIsrResponse, 0, errors)), toHex(response));
  assert.deepEqual(decode(readLeaderAndIsrResponse, 1, response), errors);
  // An isr count far beyond the input is refused.
  assert.throws(
    () =>
      decode(
        readLeaderAndIsrRequest,
        0,
        hex("00000001 00000002 00000001 0001 74 00000000 00000002 00000001 00000003 7fffffff"),
      ),
    WireError,
  );
});
