import assert from "node:assert/strict";
import {
  type LeaveGroupResponse,
  readLeaveGroupRequest,
  readLeaveGroupResponse,
  writeLeaveGroupRequest,
  writeLeaveGroupResponse,
} from "../../src/kafka/apis/leave-group.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("LeaveGroup round-trips every version", () => {
  const response: LeaveGroupResponse = {
    throttleTimeMs: 2,
    errorCode: 0,
    members: [
      { memberId: "a", groupInstanceId: null, errorCode: 0 },
      { memberId: "b", groupInstanceId: "ib", errorCode: 25 },
    ],
  };
  for (const v of versions(0, 3)) {
    if (v >= 3) {
      const members = [{ memberId: "a", groupInstanceId: null }, { memberId: "b", groupInstanceId: "ib" }];
      assert.deepEqual(
        roundTrip(writeLeaveGroupRequest, readLeaveGroupRequest, v, { groupId: "g", members }),
        { groupId: "g", memberId: "", members },
      );
    } else {
      assert.deepEqual(
        roundTrip(writeLeaveGroupRequest, readLeaveGroupRequest, v, { groupId: "g", memberId: "a" }),
        { groupId: "g", memberId: "a", members: [{ memberId: "a", groupInstanceId: null }] },
        `request v${v}`,
      );
    }
    assert.deepEqual(
      roundTrip(writeLeaveGroupResponse, readLeaveGroupResponse, v, response),
      { ...response, throttleTimeMs: v >= 1 ? 2 : 0, members: v >= 3 ? response.members : [] },
      `response v${v}`,
    );
  }
});

Deno.test("LeaveGroup writers accept either request shape", () => {
  // A members list written at v1 sends its one member; a memberId written at v3 becomes a list.
  assert.equal(
    toHex(
      encode(writeLeaveGroupRequest, 1, {
        groupId: "g",
        members: [{ memberId: "m", groupInstanceId: null }],
      }),
    ),
    "000167" + "00016d",
  );
  assert.deepEqual(
    roundTrip(writeLeaveGroupRequest, readLeaveGroupRequest, 3, { groupId: "g", memberId: "m" }).members,
    [{ memberId: "m", groupInstanceId: null }],
  );
  assert.throws(() => encode(writeLeaveGroupRequest, 0, { groupId: "g" }), RangeError);
});

Deno.test("LeaveGroup matches hand-derived bytes", () => {
  // v3 request: group "g", members [{ "m", null }].
  const request = hex("0001 67 00000001 0001 6d ffff");
  assert.deepEqual(decode(readLeaveGroupRequest, 3, request), {
    groupId: "g",
    memberId: "",
    members: [{ memberId: "m", groupInstanceId: null }],
  });
  assert.equal(
    toHex(
      encode(writeLeaveGroupRequest, 3, {
        groupId: "g",
        members: [{ memberId: "m", groupInstanceId: null }],
      }),
    ),
    toHex(request),
  );
  // v3 response: throttle 0, error 0, members [{ "m", null, 0 }].
  const response = hex("00000000 0000 00000001 0001 6d ffff 0000");
  const value = {
    throttleTimeMs: 0,
    errorCode: 0,
    members: [{ memberId: "m", groupInstanceId: null, errorCode: 0 }],
  };
  assert.equal(toHex(encode(writeLeaveGroupResponse, 3, value)), toHex(response));
  assert.deepEqual(decode(readLeaveGroupResponse, 3, response), value);
  assert.deepEqual(decode(readLeaveGroupResponse, 0, hex("0019")), {
    throttleTimeMs: 0,
    errorCode: 25,
    members: [],
  });
});
