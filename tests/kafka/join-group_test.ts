import assert from "node:assert/strict";
import {
  type JoinGroupRequest,
  type JoinGroupResponse,
  readJoinGroupRequest,
  readJoinGroupResponse,
  writeJoinGroupRequest,
  writeJoinGroupResponse,
} from "../../src/kafka/apis/join-group.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { bytesOf, decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

const request: JoinGroupRequest = {
  groupId: "g",
  sessionTimeoutMs: 30000,
  rebalanceTimeoutMs: 60000,
  memberId: "client-1-abc",
  groupInstanceId: "instance-1",
  protocolType: "consumer",
  protocols: [
    { name: "range", metadata: bytesOf(0, 0, 0, 0, 0, 1) },
    { name: "roundrobin", metadata: bytesOf() },
  ],
};

const response: JoinGroupResponse = {
  throttleTimeMs: 5,
  errorCode: 0,
  generationId: 4,
  protocolName: "range",
  leader: "client-1-abc",
  memberId: "client-1-abc",
  members: [
    { memberId: "client-1-abc", groupInstanceId: "instance-1", metadata: bytesOf(1, 2, 3) },
    { memberId: "client-2-def", groupInstanceId: null, metadata: bytesOf() },
  ],
};

Deno.test("JoinGroup round-trips every version", () => {
  for (const v of versions(0, 5)) {
    assert.deepEqual(
      roundTrip(writeJoinGroupRequest, readJoinGroupRequest, v, request),
      {
        ...request,
        rebalanceTimeoutMs: v >= 1 ? 60000 : -1,
        groupInstanceId: v >= 5 ? "instance-1" : null,
      },
      `request v${v}`,
    );
    assert.deepEqual(
      roundTrip(writeJoinGroupResponse, readJoinGroupResponse, v, response),
      {
        ...response,
        throttleTimeMs: v >= 2 ? 5 : 0,
        members: response.members.map((m) => ({ ...m, groupInstanceId: v >= 5 ? m.groupInstanceId : null })),
      },
      `response v${v}`,
    );
  }
});

Deno.test("JoinGroup matches hand-derived bytes", () => {
  // v5 first join: group "g", session 30000, rebalance 60000, member "", instance null,
  // protocol type "consumer", one protocol "range" with metadata 01 02.
  const requestBytes = hex(`
    0001 67  00007530  0000ea60  0000  ffff  0008 636f6e73756d6572
    00000001  0005 72616e6765  00000002 0102`);
  const first: JoinGroupRequest = {
    groupId: "g",
    sessionTimeoutMs: 30000,
    rebalanceTimeoutMs: 60000,
    memberId: "",
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: bytesOf(1, 2) }],
  };
  assert.equal(toHex(encode(writeJoinGroupRequest, 5, first)), toHex(requestBytes));
  assert.deepEqual(decode(readJoinGroupRequest, 5, requestBytes), first);
  // v5 MEMBER_ID_REQUIRED: throttle 0, error 79, generation -1, protocol "", leader "",
  // member "m", no members.
  const responseBytes = hex("00000000 004f ffffffff 0000 0000 0001 6d 00000000");
  const required: JoinGroupResponse = {
    throttleTimeMs: 0,
    errorCode: 79,
    generationId: -1,
    protocolName: "",
    leader: "",
    memberId: "m",
    members: [],
  };
  assert.equal(toHex(encode(writeJoinGroupResponse, 5, required)), toHex(responseBytes));
  assert.deepEqual(decode(readJoinGroupResponse, 5, responseBytes), required);
  // v0 leader response with one member "m" carrying metadata ff.
  const v0 = hex("0000 00000001 0005 72616e6765 0001 6d 0001 6d 00000001 0001 6d 00000001 ff");
  assert.deepEqual(decode(readJoinGroupResponse, 0, v0), {
    throttleTimeMs: 0,
    errorCode: 0,
    generationId: 1,
    protocolName: "range",
    leader: "m",
    memberId: "m",
    members: [{ memberId: "m", groupInstanceId: null, metadata: bytesOf(0xff) }],
  });
});

Deno.test("JoinGroup rejects hostile counts and null metadata", () => {
  // protocols count 0x7fffffff with nothing behind it: refused before allocating.
  const huge = hex("0001 67 00007530 0000 0008 636f6e73756d6572 7fffffff");
  assert.throws(() => decode(readJoinGroupRequest, 0, huge), WireError);
  const nullMetadata = hex("0001 67 00007530 0000 0008 636f6e73756d6572 00000001 0001 72 ffffffff");
  assert.throws(() => decode(readJoinGroupRequest, 0, nullMetadata), /metadata/);
});
