import assert from "node:assert/strict";
import {
  readDeleteTopicsRequest,
  readDeleteTopicsResponse,
  writeDeleteTopicsRequest,
  writeDeleteTopicsResponse,
} from "../../src/kafka/apis/delete-topics.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("DeleteTopics round-trips every version", () => {
  const request = { topicNames: ["a", "bb"], timeoutMs: 3000 };
  const response = {
    throttleTimeMs: 4,
    responses: [{ name: "a", errorCode: 0 }, { name: "bb", errorCode: 3 }],
  };
  for (const v of versions(0, 3)) {
    assert.deepEqual(roundTrip(writeDeleteTopicsRequest, readDeleteTopicsRequest, v, request), request);
    assert.deepEqual(
      roundTrip(writeDeleteTopicsResponse, readDeleteTopicsResponse, v, response),
      { ...response, throttleTimeMs: v >= 1 ? 4 : 0 },
      `response v${v}`,
    );
  }
});

Deno.test("DeleteTopics matches hand-derived bytes", () => {
  const request = hex("00000001 0001 74 00007530");
  assert.deepEqual(decode(readDeleteTopicsRequest, 3, request), { topicNames: ["t"], timeoutMs: 30000 });
  const v1 = hex("00000000 00000001 0001 74 0003");
  const response = { throttleTimeMs: 0, responses: [{ name: "t", errorCode: 3 }] };
  assert.deepEqual(decode(readDeleteTopicsResponse, 1, v1), response);
  assert.equal(toHex(encode(writeDeleteTopicsResponse, 1, response)), toHex(v1));
  assert.equal(toHex(encode(writeDeleteTopicsResponse, 0, response)), "0000000100017400" + "03");
});
