import assert from "node:assert/strict";
import {
  type OffsetCommitRequest,
  readOffsetCommitRequest,
  readOffsetCommitResponse,
  writeOffsetCommitRequest,
  writeOffsetCommitResponse,
} from "../../src/kafka/apis/offset-commit.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

const request: OffsetCommitRequest = {
  groupId: "g",
  generationId: 7,
  memberId: "m",
  retentionTimeMs: 86_400_000,
  topics: [
    {
      name: "orders",
      partitions: [
        {
          partitionIndex: 0,
          committedOffset: 2 ** 40 + 5,
          commitTimestamp: 1_700_000_000_000,
          committedMetadata: "x",
        },
        { partitionIndex: 3, committedOffset: 0, commitTimestamp: 12, committedMetadata: null },
      ],
    },
    { name: "empty", partitions: [] },
  ],
};

Deno.test("OffsetCommit round-trips every version", () => {
  for (const v of versions(0, 5)) {
    const expected: OffsetCommitRequest = {
      groupId: "g",
      generationId: v >= 1 ? 7 : -1,
      memberId: v >= 1 ? "m" : "",
      retentionTimeMs: v >= 2 && v <= 4 ? 86_400_000 : -1,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ ...p, commitTimestamp: v === 1 ? p.commitTimestamp : -1 })),
      })),
    };
    assert.deepEqual(
      roundTrip(writeOffsetCommitRequest, readOffsetCommitRequest, v, request),
      expected,
      `v${v}`,
    );
    const response = {
      throttleTimeMs: 4,
      topics: [{
        name: "orders",
        partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 3, errorCode: 22 }],
      }],
    };
    assert.deepEqual(
      roundTrip(writeOffsetCommitResponse, readOffsetCommitResponse, v, response),
      { ...response, throttleTimeMs: v >= 3 ? 4 : 0 },
      `response v${v}`,
    );
  }
});

Deno.test("OffsetCommit matches hand-derived bytes", () => {
  const one = (extra: Partial<OffsetCommitRequest> = {}): OffsetCommitRequest => ({
    groupId: "g",
    generationId: 1,
    memberId: "m",
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: null }],
    }],
    ...extra,
  });
  const topics = "00000001 0001 74 00000001 00000000 000000000000002a";
  // v0: group, topics (no generation/member), metadata null.
  assert.equal(toHex(encode(writeOffsetCommitRequest, 0, one())), toHex(hex(`0001 67 ${topics} ffff`)));
  // v1: generation 1, member "m", each partition has commit_timestamp (-1 by default).
  assert.equal(
    toHex(encode(writeOffsetCommitRequest, 1, one())),
    toHex(hex(`0001 67 00000001 0001 6d ${topics} ffffffffffffffff ffff`)),
  );
  // v2: retention time after member id; here 1000 ms.
  const v2 = hex(`0001 67 00000001 0001 6d 00000000000003e8 ${topics} ffff`);
  assert.equal(toHex(encode(writeOffsetCommitRequest, 2, one({ retentionTimeMs: 1000 }))), toHex(v2));
  assert.equal(decode(readOffsetCommitRequest, 2, v2).retentionTimeMs, 1000);
  // v5: no retention time any more.
  const v5 = hex(`0001 67 00000001 0001 6d ${topics} ffff`);
  assert.equal(toHex(encode(writeOffsetCommitRequest, 5, one({ retentionTimeMs: 1000 }))), toHex(v5));
  assert.equal(decode(readOffsetCommitRequest, 5, v5).topics[0].partitions[0].committedOffset, 42);
  // v3 response: throttle 0, topic "t", partition 0 error 25.
  const response = hex("00000000 00000001 0001 74 00000001 00000000 0019");
  const value = {
    throttleTimeMs: 0,
    topics: [{ name: "t", partitions: [{ partitionIndex: 0, errorCode: 25 }] }],
  };
  assert.equal(toHex(encode(writeOffsetCommitResponse, 3, value)), toHex(response));
  assert.deepEqual(decode(readOffsetCommitResponse, 3, response), value);
});
