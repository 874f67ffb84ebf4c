import assert from "node:assert/strict";
import {
  readHeartbeatRequest,
  readHeartbeatResponse,
  writeHeartbeatRequest,
  writeHeartbeatResponse,
} from "../../src/kafka/apis/heartbeat.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("Heartbeat round-trips every version", () => {
  const request = { groupId: "group", generationId: 12, memberId: "member", groupInstanceId: "static" };
  const response = { throttleTimeMs: 3, errorCode: 27 };
  for (const v of versions(0, 3)) {
    assert.deepEqual(
      roundTrip(writeHeartbeatRequest, readHeartbeatRequest, v, request),
      { ...request, groupInstanceId: v >= 3 ? "static" : null },
      `request v${v}`,
    );
    assert.deepEqual(
      roundTrip(writeHeartbeatResponse, readHeartbeatResponse, v, response),
      { ...response, throttleTimeMs: v >= 1 ? 3 : 0 },
      `response v${v}`,
    );
  }
});

Deno.test("Heartbeat matches hand-derived bytes", () => {
  const v3 = hex("0001 67 00000002 0001 6d ffff");
  const value = { groupId: "g", generationId: 2, memberId: "m", groupInstanceId: null };
  assert.equal(toHex(encode(writeHeartbeatRequest, 3, value)), toHex(v3));
  assert.deepEqual(decode(readHeartbeatRequest, 3, v3), value);
  assert.deepEqual(decode(readHeartbeatRequest, 0, hex("0001 67 00000002 0001 6d")), value);
  assert.equal(toHex(encode(writeHeartbeatResponse, 3, { errorCode: 22 })), "000000000016");
  assert.equal(toHex(encode(writeHeartbeatResponse, 0, { errorCode: 25 })), "0019");
  assert.deepEqual(decode(readHeartbeatResponse, 2, hex("00000064 001b")), {
    throttleTimeMs: 100,
    errorCode: 27,
  });
});
