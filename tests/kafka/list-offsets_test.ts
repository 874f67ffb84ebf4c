import assert from "node:assert/strict";
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  readListOffsetsRequest,
  readListOffsetsResponse,
  writeListOffsetsRequest,
  writeListOffsetsResponse,
} from "../../src/kafka/apis/list-offsets.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("ListOffsets round-trips every version", () => {
  const request = {
    replicaId: -1,
    isolationLevel: 1,
    topics: [{
      name: "orders",
      partitions: [{ partitionIndex: 0, timestamp: LATEST_TIMESTAMP, maxNumOffsets: 3 }, {
        partitionIndex: 1,
        timestamp: 1_700_000_000_000,
        maxNumOffsets: 1,
      }],
    }],
  };
  const response = {
    throttleTimeMs: 9,
    topics: [{
      name: "orders",
      partitions: [{ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [42, 0], timestamp: -1, offset: 42 }],
    }],
  };
  for (const v of versions(0, 2)) {
    const expectedRequest = structuredClone(request);
    if (v < 2) expectedRequest.isolationLevel = 0;
    if (v > 0) expectedRequest.topics[0].partitions[0].maxNumOffsets = 1;
    assert.deepEqual(
      roundTrip(writeListOffsetsRequest, readListOffsetsRequest, v, request),
      expectedRequest,
      `v${v}`,
    );
    const expectedResponse = structuredClone(response);
    if (v < 2) expectedResponse.throttleTimeMs = 0;
    const partition = expectedResponse.topics[0].partitions[0];
    if (v === 0) Object.assign(partition, { timestamp: -1, offset: -1 });
    else partition.oldStyleOffsets = [];
    assert.deepEqual(
      roundTrip(writeListOffsetsResponse, readListOffsetsResponse, v, response),
      expectedResponse,
    );
  }
});

Deno.test("ListOffsets matches hand-derived bytes", () => {
  // v1 request as kcat -C sends for the earliest offset of partition 0 of "t".
  const v1 = hex("ffffffff 00000001 0001 74 00000001 00000000 fffffffffffffffe");
  const request = {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, timestamp: EARLIEST_TIMESTAMP, maxNumOffsets: 1 }],
    }],
  };
  assert.deepEqual(decode(readListOffsetsRequest, 1, v1), request);
  assert.equal(toHex(encode(writeListOffsetsRequest, 1, request)), toHex(v1));
  assert.equal(
    toHex(encode(writeListOffsetsRequest, 2, request)),
    toHex(hex("ffffffff 00 00000001 0001 74 00000001 00000000 fffffffffffffffe")),
  );
  assert.equal(
    toHex(encode(writeListOffsetsRequest, 0, request)),
    toHex(hex("ffffffff 00000001 0001 74 00000001 00000000 fffffffffffffffe 00000001")),
  );
  const v0Response = hex("00000001 0001 74 00000001 00000000 0000 00000001 000000000000002a");
  assert.deepEqual(decode(readListOffsetsResponse, 0, v0Response), {
    throttleTimeMs: 0,
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [42], timestamp: -1, offset: -1 }],
    }],
  });
  const v2Response = hex(
    "00000000 00000001 0001 74 00000001 00000000 0000 ffffffffffffffff 000000000000002a",
  );
  const parsed = decode(readListOffsetsResponse, 2, v2Response);
  assert.deepEqual(parsed.topics[0].partitions[0], {
    partitionIndex: 0,
    errorCode: 0,
    oldStyleOffsets: [],
    timestamp: -1,
    offset: 42,
  });
  assert.equal(toHex(encode(writeListOffsetsResponse, 2, parsed)), toHex(v2Response));
});
