import assert from "node:assert/strict";
import {
  readTxnOffsetCommitRequest,
  readTxnOffsetCommitResponse,
  type TxnOffsetCommitRequest,
  writeTxnOffsetCommitRequest,
  writeTxnOffsetCommitResponse,
} from "../../src/kafka/apis/txn-offset-commit.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

const request: TxnOffsetCommitRequest = {
  transactionalId: "payments-1",
  groupId: "payments",
  producerId: 9_007_199_254_740_993n,
  producerEpoch: 4,
  generationId: 7,
  memberId: "m-1",
  groupInstanceId: null,
  topics: [{
    name: "orders",
    partitions: [
      { partitionIndex: 0, committedOffset: 120, committedLeaderEpoch: 3, committedMetadata: "" },
      { partitionIndex: 2, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null },
    ],
  }],
};

Deno.test("TxnOffsetCommit round-trips every version; fields a version lacks read as their defaults", () => {
  for (const v of versions(0, 3)) {
    const expected = {
      ...request,
      generationId: v >= 3 ? 7 : -1,
      memberId: v >= 3 ? "m-1" : "",
      topics: request.topics.map((t) => ({
        ...t,
        partitions: t.partitions.map((p) => ({
          ...p,
          committedLeaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1,
        })),
      })),
    };
    assert.deepEqual(
      roundTrip(writeTxnOffsetCommitRequest, readTxnOffsetCommitRequest, v, request),
      expected,
    );
    const response = {
      throttleTimeMs: 5,
      topics: [{
        name: "orders",
        partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 2, errorCode: 47 }],
      }],
    };
    assert.deepEqual(
      roundTrip(writeTxnOffsetCommitResponse, readTxnOffsetCommitResponse, v, response),
      response,
    );
  }
});

Deno.test("TxnOffsetCommit matches hand-derived bytes (v0 classic, v3 flexible)", () => {
  const small: TxnOffsetCommitRequest = {
    transactionalId: "x",
    groupId: "g",
    producerId: 1n,
    producerEpoch: 2,
    topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 9, committedMetadata: null }] }],
  };
  const v0 = hex(
    "0001 78 0001 67 0000000000000001 0002 00000001 0001 74 00000001 00000000 0000000000000009 ffff",
  );
  assert.equal(toHex(encode(writeTxnOffsetCommitRequest, 0, small)), toHex(v0));
  // v3: compact strings (length + 1), generation -1, member "", instance null (0), compact arrays,
  // leader epoch -1, metadata null (0), a tag section after each struct and the message.
  const v3 = hex(
    "02 78 02 67 0000000000000001 0002 ffffffff 01 00 02 02 74 02 00000000 0000000000000009 ffffffff 00 00 00 00",
  );
  assert.equal(toHex(encode(writeTxnOffsetCommitRequest, 3, small)), toHex(v3));
  assert.deepEqual(decode(readTxnOffsetCommitRequest, 3, v3), {
    ...small,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    topics: [{
      name: "t",
      partitions: [{
        partitionIndex: 0,
        committedOffset: 9,
        committedLeaderEpoch: -1,
        committedMetadata: null,
      }],
    }],
  });
  // A null group id is malformed, not a crash.
  assert.throws(() => decode(readTxnOffsetCommitRequest, 0, hex("0001 78 ffff")), WireError);
  // v3 response: throttle 0, one topic "t" with partition 0 error 0, tags after partition, topic, message.
  const response = {
    throttleTimeMs: 0,
    topics: [{ name: "t", partitions: [{ partitionIndex: 0, errorCode: 0 }] }],
  };
  assert.equal(
    toHex(encode(writeTxnOffsetCommitResponse, 3, response)),
    "00000000 02 0274 02 00000000 0000 00 00 00".replaceAll(" ", ""),
  );
});
