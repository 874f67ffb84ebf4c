import assert from "node:assert/strict";
import {
  readCreatePartitionsRequest,
  readCreatePartitionsResponse,
  writeCreatePartitionsRequest,
  writeCreatePartitionsResponse,
} from "../../src/kafka/apis/create-partitions.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("CreatePartitions round-trips every version", () => {
  const request = {
    topics: [{ name: "orders", count: 6, assignments: [{ brokerIds: [1, 2] }, { brokerIds: [2, 3] }] }, {
      name: "auto",
      count: 4,
      assignments: null,
    }],
    timeoutMs: 1000,
    validateOnly: true,
  };
  const response = {
    throttleTimeMs: 1,
    results: [{ name: "orders", errorCode: 0, errorMessage: null }, {
      name: "auto",
      errorCode: 37,
      errorMessage: "Count must grow",
    }],
  };
  for (const v of versions(0, 1)) {
    assert.deepEqual(
      roundTrip(writeCreatePartitionsRequest, readCreatePartitionsRequest, v, request),
      request,
    );
    assert.deepEqual(
      roundTrip(writeCreatePartitionsResponse, readCreatePartitionsResponse, v, response),
      response,
    );
  }
});

Deno.test("CreatePartitions matches hand-derived bytes", () => {
  const v0 = hex("00000001 0001 74 00000003 ffffffff 00007530 00");
  const request = {
    topics: [{ name: "t", count: 3, assignments: null }],
    timeoutMs: 30000,
    validateOnly: false,
  };
  assert.deepEqual(decode(readCreatePartitionsRequest, 0, v0), request);
  assert.equal(toHex(encode(writeCreatePartitionsRequest, 1, request)), toHex(v0));
  const response = hex("00000000 00000001 0001 74 0025 0001 78");
  assert.deepEqual(decode(readCreatePartitionsResponse, 1, response), {
    throttleTimeMs: 0,
    results: [{ name: "t", errorCode: 37, errorMessage: "x" }],
  });
});
