import assert from "node:assert/strict";
import {
  readSyncGroupRequest,
  readSyncGroupResponse,
  type SyncGroupRequest,
  writeSyncGroupRequest,
  writeSyncGroupResponse,
} from "../../src/kafka/apis/sync-group.ts";
import { bytesOf, decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("SyncGroup round-trips every version", () => {
  const request: SyncGroupRequest = {
    groupId: "g",
    generationId: 3,
    memberId: "m-1",
    groupInstanceId: "i-1",
    assignments: [
      { memberId: "m-1", assignment: bytesOf(0, 0, 1) },
      { memberId: "m-2", assignment: bytesOf() },
    ],
  };
  const response = { throttleTimeMs: 9, errorCode: 27, assignment: bytesOf(4, 5) };
  for (const v of versions(0, 3)) {
    assert.deepEqual(
      roundTrip(writeSyncGroupRequest, readSyncGroupRequest, v, request),
      { ...request, groupInstanceId: v >= 3 ? "i-1" : null },
      `request v${v}`,
    );
    assert.deepEqual(
      roundTrip(writeSyncGroupResponse, readSyncGroupResponse, v, response),
      { ...response, throttleTimeMs: v >= 1 ? 9 : 0 },
      `response v${v}`,
    );
  }
});

Deno.test("SyncGroup matches hand-derived bytes", () => {
  // v3 follower: group "g", generation 1, member "m", instance null, no assignments.
  const follower = hex("0001 67 00000001 0001 6d ffff 00000000");
  const value: SyncGroupRequest = {
    groupId: "g",
    generationId: 1,
    memberId: "m",
    groupInstanceId: null,
    assignments: [],
  };
  assert.equal(toHex(encode(writeSyncGroupRequest, 3, value)), toHex(follower));
  assert.deepEqual(decode(readSyncGroupRequest, 3, follower), value);
  // v0 leader: assignment for "m" = ab.
  const leader = hex("0001 67 00000001 0001 6d 00000001 0001 6d 00000001 ab");
  assert.deepEqual(decode(readSyncGroupRequest, 0, leader), {
    ...value,
    assignments: [{ memberId: "m", assignment: bytesOf(0xab) }],
  });
  // v1 response: throttle 0, error 0, empty assignment.
  const response = hex("00000000 0000 00000000");
  assert.equal(
    toHex(encode(writeSyncGroupResponse, 1, { errorCode: 0, assignment: bytesOf() })),
    toHex(response),
  );
  assert.deepEqual(decode(readSyncGroupResponse, 0, hex("001b 00000000")), {
    throttleTimeMs: 0,
    errorCode: 27,
    assignment: bytesOf(),
  });
});
