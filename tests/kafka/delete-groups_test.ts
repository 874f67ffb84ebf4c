import assert from "node:assert/strict";
import {
  readDeleteGroupsRequest,
  readDeleteGroupsResponse,
  writeDeleteGroupsRequest,
  writeDeleteGroupsResponse,
} from "../../src/kafka/apis/delete-groups.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("DeleteGroups round-trips every version", () => {
  const request = { groupsNames: ["a", "b"] };
  const response = {
    throttleTimeMs: 0,
    results: [{ groupId: "a", errorCode: 0 }, { groupId: "b", errorCode: 68 }],
  };
  for (const v of versions(0, 1)) {
    assert.deepEqual(roundTrip(writeDeleteGroupsRequest, readDeleteGroupsRequest, v, request), request);
    assert.deepEqual(roundTrip(writeDeleteGroupsResponse, readDeleteGroupsResponse, v, response), response);
  }
});

Deno.test("DeleteGroups matches hand-derived bytes", () => {
  const request = hex("00000001 0001 67");
  assert.equal(toHex(encode(writeDeleteGroupsRequest, 1, { groupsNames: ["g"] })), toHex(request));
  assert.deepEqual(decode(readDeleteGroupsRequest, 0, request), { groupsNames: ["g"] });
  const response = hex("00000000 00000001 0001 67 0045");
  const value = { throttleTimeMs: 0, results: [{ groupId: "g", errorCode: 69 }] };
  assert.equal(toHex(encode(writeDeleteGroupsResponse, 0, value)), toHex(response));
  assert.deepEqual(decode(readDeleteGroupsResponse, 1, response), value);
});
