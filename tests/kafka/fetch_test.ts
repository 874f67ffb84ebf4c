import assert from "node:assert/strict";
import {
  type FetchRequest,
  type FetchResponse,
  readFetchRequest,
  readFetchResponse,
  writeFetchRequest,
  writeFetchResponse,
} from "../../src/kafka/apis/fetch.ts";
import { WireError } from "../../src/wire/mod.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

const request: FetchRequest = {
  replicaId: -1,
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 52428800,
  isolationLevel: 1,
  sessionId: 77,
  sessionEpoch: 3,
  topics: [{
    topic: "orders",
    partitions: [
      {
        partition: 0,
        currentLeaderEpoch: 6,
        fetchOffset: 2 ** 35,
        logStartOffset: 10,
        partitionMaxBytes: 1048576,
      },
      { partition: 1, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1024 },
    ],
  }],
  forgottenTopicsData: [{ topic: "old", partitions: [4, 5] }],
  rackId: "rack-a",
};

const response: FetchResponse = {
  throttleTimeMs: 1,
  errorCode: 0,
  sessionId: 77,
  responses: [{
    topic: "orders",
    partitions: [{
      partitionIndex: 0,
      errorCode: 0,
      highWatermark: 100,
      lastStableOffset: 100,
      logStartOffset: 3,
      abortedTransactions: [{ producerId: 2n ** 62n, firstOffset: 50 }],
      preferredReadReplica: 2,
      records: new Uint8Array([1, 2, 3]),
    }, {
      partitionIndex: 1,
      errorCode: 1,
      highWatermark: 0,
      lastStableOffset: 0,
      logStartOffset: 0,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: new Uint8Array(0),
    }],
  }],
};

Deno.test("Fetch requests round-trip every version", () => {
  for (const v of versions(4, 11)) {
    const expected: FetchRequest = {
      ...request,
      sessionId: v >= 7 ? 77 : 0,
      sessionEpoch: v >= 7 ? 3 : -1,
      topics: request.topics.map((t) => ({
        ...t,
        partitions: t.partitions.map((p) => ({
          ...p,
          currentLeaderEpoch: v >= 9 ? p.currentLeaderEpoch : -1,
          logStartOffset: v >= 5 ? p.logStartOffset : -1,
        })),
      })),
      forgottenTopicsData: v >= 7 ? request.forgottenTopicsData : [],
      rackId: v >= 11 ? "rack-a" : "",
    };
    assert.deepEqual(roundTrip(writeFetchRequest, readFetchRequest, v, request), expected, `request v${v}`);
  }
});

Deno.test("Fetch responses round-trip every version", () => {
  for (const v of versions(4, 11)) {
    const expected: FetchResponse = {
      ...response,
      errorCode: 0,
      sessionId: v >= 7 ? 77 : 0,
      responses: response.responses.map((t) => ({
        ...t,
        partitions: t.partitions.map((p) => ({
          ...p,
          logStartOffset: v >= 5 ? p.logStartOffset : -1,
          preferredReadReplica: v >= 11 ? p.preferredReadReplica : -1,
        })),
      })),
    };
    assert.deepEqual(
      roundTrip(writeFetchResponse, readFetchResponse, v, response),
      expected,
      `response v${v}`,
    );
  }
});

Deno.test("Fetch matches hand-derived bytes", () => {
  // v4 request: consumer, 100 ms, 1 byte, 1 MiB, read_uncommitted, topic "t" partition 0 from offset 5.
  const v4 = hex(
    "ffffffff 00000064 00000001 00100000 00  00000001 0001 74  00000001 00000000 0000000000000005 00100000",
  );
  const value = {
    replicaId: -1,
    maxWaitMs: 100,
    minBytes: 1,
    maxBytes: 1048576,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{
      topic: "t",
      partitions: [{
        partition: 0,
        currentLeaderEpoch: -1,
        fetchOffset: 5,
        logStartOffset: -1,
        partitionMaxBytes: 1048576,
      }],
    }],
    forgottenTopicsData: [],
    rackId: "",
  };
  assert.deepEqual(decode(readFetchRequest, 4, v4), value);
  assert.equal(toHex(encode(writeFetchRequest, 4, value)), toHex(v4));
  // v11 adds session id/epoch, current_leader_epoch, log_start_offset, forgotten topics and rack id.
  assert.equal(
    toHex(encode(writeFetchRequest, 11, value)),
    toHex(hex(
      "ffffffff 00000064 00000001 00100000 00 00000000 ffffffff  00000001 0001 74  00000001" +
        " 00000000 ffffffff 0000000000000005 ffffffffffffffff 00100000  00000000  0000",
    )),
  );

  // v11 response: no error, session 0, partition 0 with HWM 7, LSO 7, log start 0, no aborted
  // transactions (null), preferred read replica -1 and 2 record bytes.
  const v11 = hex(
    "00000000 0000 00000000  00000001 0001 74  00000001" +
      " 00000000 0000 0000000000000007 0000000000000007 0000000000000000 ffffffff ffffffff 00000002 abcd",
  );
  const parsed = decode(readFetchResponse, 11, v11);
  assert.deepEqual(parsed.responses[0].partitions[0], {
    partitionIndex: 0,
    errorCode: 0,
    highWatermark: 7,
    lastStableOffset: 7,
    logStartOffset: 0,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: new Uint8Array([0xab, 0xcd]),
  });
  assert.equal(toHex(encode(writeFetchResponse, 11, parsed)), toHex(v11));
});

Deno.test("Fetch readers reject hostile counts", () => {
  assert.throws(
    () => decode(readFetchRequest, 4, hex("ffffffff 00000064 00000001 00100000 00 7fffffff")),
    WireError,
  );
  assert.throws(
    () => decode(readFetchResponse, 4, hex("00000000 00000001 0001 74 00000001 00000000")),
    WireError,
  );
});
