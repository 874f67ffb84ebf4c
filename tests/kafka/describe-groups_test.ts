import assert from "node:assert/strict";
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  type DescribeGroupsResponse,
  readDescribeGroupsRequest,
  readDescribeGroupsResponse,
  writeDescribeGroupsRequest,
  writeDescribeGroupsResponse,
} from "../../src/kafka/apis/describe-groups.ts";
import { bytesOf, decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

const response: DescribeGroupsResponse = {
  throttleTimeMs: 1,
  groups: [
    {
      errorCode: 0,
      groupId: "g",
      groupState: "Stable",
      protocolType: "consumer",
      protocolData: "range",
      members: [{
        memberId: "m-1",
        groupInstanceId: "i-1",
        clientId: "kafkajs",
        clientHost: "/127.0.0.1",
        memberMetadata: bytesOf(0, 1),
        memberAssignment: bytesOf(0, 2),
      }],
      authorizedOperations: 0x0f,
    },
    {
      errorCode: 69,
      groupId: "missing",
      groupState: "Dead",
      protocolType: "",
      protocolData: "",
      members: [],
      authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    },
  ],
};

Deno.test("DescribeGroups round-trips every version", () => {
  for (const v of versions(0, 4)) {
    const request = { groups: ["g", "missing"], includeAuthorizedOperations: true };
    assert.deepEqual(
      roundTrip(writeDescribeGroupsRequest, readDescribeGroupsRequest, v, request),
      { ...request, includeAuthorizedOperations: v >= 3 },
      `request v${v}`,
    );
    const expected: DescribeGroupsResponse = {
      throttleTimeMs: v >= 1 ? 1 : 0,
      groups: response.groups.map((g) => ({
        ...g,
        authorizedOperations: v >= 3 ? g.authorizedOperations : AUTHORIZED_OPERATIONS_OMITTED,
        members: g.members.map((m) => ({ ...m, groupInstanceId: v >= 4 ? m.groupInstanceId : null })),
      })),
    };
    assert.deepEqual(
      roundTrip(writeDescribeGroupsResponse, readDescribeGroupsResponse, v, response),
      expected,
      `response v${v}`,
    );
  }
});

Deno.test("DescribeGroups matches hand-derived bytes", () => {
  assert.equal(toHex(encode(writeDescribeGroupsRequest, 0, { groups: ["g"] })), "00000001000167");
  assert.equal(toHex(encode(writeDescribeGroupsRequest, 3, { groups: ["g"] })), "0000000100016700");
  // v4 response: throttle 0, one group: error 0, "g", "Empty", "consumer", "", no members,
  // authorized operations omitted (0x80000000).
  const bytes = hex(`
    00000000 00000001
    0000 0001 67 0005 456d707479 0008 636f6e73756d6572 0000 00000000 80000000`);
  const value: DescribeGroupsResponse = {
    throttleTimeMs: 0,
    groups: [{
      errorCode: 0,
      groupId: "g",
      groupState: "Empty",
      protocolType: "consumer",
      protocolData: "",
      members: [],
    }],
  };
  assert.equal(toHex(encode(writeDescribeGroupsResponse, 4, value)), toHex(bytes));
  assert.deepEqual(decode(readDescribeGroupsResponse, 4, bytes), {
    throttleTimeMs: 0,
    groups: [{ ...value.groups[0], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED }],
  });
  // v0 member: "m", client "c", host "h", metadata 01, assignment empty.
  const v0 = hex(`
    00000001 0000 0001 67 0006 537461626c65 0008 636f6e73756d6572 0005 72616e6765
    00000001 0001 6d 0001 63 0001 68 00000001 01 00000000`);
  const member = decode(readDescribeGroupsResponse, 0, v0).groups[0].members[0];
  assert.deepEqual(member, {
    memberId: "m",
    groupInstanceId: null,
    clientId: "c",
    clientHost: "h",
    memberMetadata: bytesOf(1),
    memberAssignment: bytesOf(),
  });
});
