import assert from "node:assert/strict";
import {
  type OffsetFetchResponse,
  readOffsetFetchRequest,
  readOffsetFetchResponse,
  writeOffsetFetchRequest,
  writeOffsetFetchResponse,
} from "../../src/kafka/apis/offset-fetch.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

const response: OffsetFetchResponse = {
  throttleTimeMs: 8,
  topics: [{
    name: "orders",
    partitions: [
      { partitionIndex: 0, committedOffset: 1234, metadata: "", errorCode: 0 },
      { partitionIndex: 1, committedOffset: -1, metadata: null, errorCode: 0 },
    ],
  }],
  errorCode: 16,
};

Deno.test("OffsetFetch round-trips every version", () => {
  const request = { groupId: "g", topics: [{ name: "orders", partitionIndexes: [0, 1, 5] }] };
  for (const v of versions(0, 4)) {
    assert.deepEqual(roundTrip(writeOffsetFetchRequest, readOffsetFetchRequest, v, request), request);
    if (v >= 2) {
      const all = { groupId: "g", topics: null };
      assert.deepEqual(roundTrip(writeOffsetFetchRequest, readOffsetFetchRequest, v, all), all);
    } else {
      assert.throws(() => encode(writeOffsetFetchRequest, v, { groupId: "g", topics: null }), RangeError);
    }
    assert.deepEqual(
      roundTrip(writeOffsetFetchResponse, readOffsetFetchResponse, v, response),
      { ...response, throttleTimeMs: v >= 3 ? 8 : 0, errorCode: v >= 2 ? 16 : 0 },
      `response v${v}`,
    );
  }
});

Deno.test("OffsetFetch matches hand-derived bytes", () => {
  // v1 request: group "g", topic "t", partitions [0, 1].
  const request = hex("0001 67 00000001 0001 74 00000002 00000000 00000001");
  const value = { groupId: "g", topics: [{ name: "t", partitionIndexes: [0, 1] }] };
  assert.equal(toHex(encode(writeOffsetFetchRequest, 1, value)), toHex(request));
  assert.deepEqual(decode(readOffsetFetchRequest, 1, request), value);
  // v2+ null topics = all; v0-1 must not carry null.
  assert.deepEqual(decode(readOffsetFetchRequest, 2, hex("0001 67 ffffffff")), {
    groupId: "g",
    topics: null,
  });
  assert.throws(() => decode(readOffsetFetchRequest, 1, hex("0001 67 ffffffff")), WireError);
  // v3 response: throttle 0, topic "t" partition 0 offset -1 metadata "" error 0, top error 0.
  const bytes = hex("00000000 00000001 0001 74 00000001 00000000 ffffffffffffffff 0000 0000 0000");
  const decoded = {
    throttleTimeMs: 0,
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, committedOffset: -1, metadata: "", errorCode: 0 }],
    }],
    errorCode: 0,
  };
  assert.equal(toHex(encode(writeOffsetFetchResponse, 3, decoded)), toHex(bytes));
  assert.deepEqual(decode(readOffsetFetchResponse, 3, bytes), decoded);
  // v0 response has neither throttle time nor the top-level error.
  const v0 = hex("00000001 0001 74 00000001 00000000 ffffffffffffffff 0000 0000");
  assert.deepEqual(decode(readOffsetFetchResponse, 0, v0), decoded);
});

Deno.test("OffsetFetch v5-7: leader epochs, the flexible encoding and require_stable", () => {
  const request = { groupId: "g", topics: [{ name: "orders", partitionIndexes: [0, 1, 5] }] };
  for (const v of versions(5, 7)) {
    const withStable = v >= 7 ? { ...request, requireStable: true } : request;
    assert.deepEqual(roundTrip(writeOffsetFetchRequest, readOffsetFetchRequest, v, withStable), withStable);
    const all = v >= 7
      ? { groupId: "g", topics: null, requireStable: false }
      : { groupId: "g", topics: null };
    assert.deepEqual(roundTrip(writeOffsetFetchRequest, readOffsetFetchRequest, v, all), all);
    const withEpochs = {
      ...response,
      topics: response.topics.map((t) => ({
        ...t,
        partitions: t.partitions.map((p, i) => ({ ...p, committedLeaderEpoch: i === 0 ? 7 : -1 })),
      })),
    };
    assert.deepEqual(
      roundTrip(writeOffsetFetchResponse, readOffsetFetchResponse, v, withEpochs),
      withEpochs,
      `response v${v}`,
    );
  }
  // v7 request: compact group "g" (len+1 = 2), compact topics (1 topic = 2), "t", compact
  // partitions [0], topic tags, require_stable true, message tags.
  const v7 = hex("02 67 02 02 74 02 00000000 00 01 00");
  const value = { groupId: "g", topics: [{ name: "t", partitionIndexes: [0] }], requireStable: true };
  assert.equal(toHex(encode(writeOffsetFetchRequest, 7, value)), toHex(v7));
  assert.deepEqual(decode(readOffsetFetchRequest, 7, v7), value);
  // v6 response: throttle 0, topic "t" partition 0 offset 5 epoch 3 metadata "" error 88, tags.
  const v6 = hex("00000000 02 02 74 02 00000000 0000000000000005 00000003 01 0058 00 00 0000 00");
  assert.deepEqual(decode(readOffsetFetchResponse, 6, v6), {
    throttleTimeMs: 0,
    topics: [{
      name: "t",
      partitions: [{
        partitionIndex: 0,
        committedOffset: 5,
        committedLeaderEpoch: 3,
        metadata: "",
        errorCode: 88,
      }],
    }],
    errorCode: 0,
  });
});
