import assert from "node:assert/strict";
import {
  readListGroupsRequest,
  readListGroupsResponse,
  writeListGroupsRequest,
  writeListGroupsResponse,
} from "../../src/kafka/apis/list-groups.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("ListGroups round-trips every version", () => {
  const response = {
    throttleTimeMs: 6,
    errorCode: 0,
    groups: [{ groupId: "a", protocolType: "consumer" }, { groupId: "offsets-only", protocolType: "" }],
  };
  for (const v of versions(0, 2)) {
    assert.deepEqual(roundTrip(writeListGroupsRequest, readListGroupsRequest, v, {}), {});
    assert.deepEqual(
      roundTrip(writeListGroupsResponse, readListGroupsResponse, v, response),
      { ...response, throttleTimeMs: v >= 1 ? 6 : 0 },
      `response v${v}`,
    );
  }
});

Deno.test("ListGroups matches hand-derived bytes", () => {
  assert.equal(encode(writeListGroupsRequest, 2, {}).length, 0);
  const v1 = hex("00000000 0000 00000001 0001 67 0008 636f6e73756d6572");
  const value = { throttleTimeMs: 0, errorCode: 0, groups: [{ groupId: "g", protocolType: "consumer" }] };
  assert.equal(toHex(encode(writeListGroupsResponse, 1, value)), toHex(v1));
  assert.deepEqual(decode(readListGroupsResponse, 1, v1), value);
  assert.deepEqual(decode(readListGroupsResponse, 0, hex("000f 00000000")), {
    throttleTimeMs: 0,
    errorCode: 15,
    groups: [],
  });
});
