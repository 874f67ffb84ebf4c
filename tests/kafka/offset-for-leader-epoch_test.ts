import assert from "node:assert/strict";
import {
  type OffsetForLeaderEpochResponse,
  readOffsetForLeaderEpochRequest,
  readOffsetForLeaderEpochResponse,
  writeOffsetForLeaderEpochRequest,
  writeOffsetForLeaderEpochResponse,
} from "../../src/kafka/apis/offset-for-leader-epoch.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("OffsetForLeaderEpoch round-trips every version", () => {
  const request = {
    replicaId: 2,
    topics: [{
      topic: "a",
      partitions: [{ partition: 0, currentLeaderEpoch: 5, leaderEpoch: 4 }, {
        partition: 1,
        currentLeaderEpoch: 1,
        leaderEpoch: 0,
      }],
    }],
  };
  const response: OffsetForLeaderEpochResponse = {
    throttleTimeMs: 3,
    topics: [{
      topic: "a",
      partitions: [
        { errorCode: 0, partition: 0, leaderEpoch: 4, endOffset: 2 ** 45 },
        { errorCode: 74, partition: 1, leaderEpoch: -1, endOffset: -1 },
      ],
    }],
  };
  for (const v of versions(0, 3)) {
    assert.deepEqual(
      roundTrip(writeOffsetForLeaderEpochRequest, readOffsetForLeaderEpochRequest, v, request),
      {
        replicaId: v >= 3 ? 2 : -2,
        topics: request.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => ({
            ...p,
            currentLeaderEpoch: v >= 2 ? p.currentLeaderEpoch : -1,
          })),
        })),
      },
      `request v${v}`,
    );
    assert.deepEqual(
      roundTrip(writeOffsetForLeaderEpochResponse, readOffsetForLeaderEpochResponse, v, response),
      {
        throttleTimeMs: v >= 2 ? 3 : 0,
        topics: response.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => ({ ...p, leaderEpoch: v >= 1 ? p.leaderEpoch : -1 })),
        })),
      },
      `response v${v}`,
    );
  }
});

Deno.test("OffsetForLeaderEpoch matches hand-derived bytes", () => {
  const partition = { partition: 0, currentLeaderEpoch: 5, leaderEpoch: 4 };
  // v3: replica 2, [("t", [(0, current 5, epoch 4)])].
  const v3 = hex("00000002 00000001 0001 74 00000001 00000000 00000005 00000004");
  const request = { replicaId: 2, topics: [{ topic: "t", partitions: [partition] }] };
  assert.equal(toHex(encode(writeOffsetForLeaderEpochRequest, 3, request)), toHex(v3));
  assert.deepEqual(decode(readOffsetForLeaderEpochRequest, 3, v3), request);
  // v0: no replica id, no current epoch.
  const v0 = hex("00000001 0001 74 00000001 00000000 00000004");
  assert.equal(toHex(encode(writeOffsetForLeaderEpochRequest, 0, request)), toHex(v0));
  // v2 response: throttle 0, [("t", [(error 0, partition 0, epoch 4, end 100)])].
  const r2 = hex("00000000 00000001 0001 74 00000001 0000 00000000 00000004 0000000000000064");
  const result = {
    throttleTimeMs: 0,
    topics: [{ topic: "t", partitions: [{ errorCode: 0, partition: 0, leaderEpoch: 4, endOffset: 100 }] }],
  };
  assert.equal(toHex(encode(writeOffsetForLeaderEpochResponse, 2, result)), toHex(r2));
  assert.deepEqual(decode(readOffsetForLeaderEpochResponse, 2, r2), result);
  // v0 response has neither throttle time nor leader epoch.
  const r0 = hex("00000001 0001 74 00000001 0000 00000000 0000000000000064");
  assert.deepEqual(decode(readOffsetForLeaderEpochResponse, 0, r0).topics[0].partitions[0], {
    errorCode: 0,
    partition: 0,
    leaderEpoch: -1,
    endOffset: 100,
  });
});
