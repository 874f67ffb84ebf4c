import assert from "node:assert/strict";
/**
 * The broker's live group API handlers, bytes in and bytes out, over a real GroupCoordinator with
 * an in-memory offsets store (tests/broker/groups/helpers.ts).
 */
import type { RequestHandler } from "../../../src/broker/connection.ts";
import type { GroupApi } from "../../../src/broker/group-service.ts";
import type { GroupCoordinator } from "../../../src/broker/groups/mod.ts";
import { groupApiHandlers } from "../../../src/broker/handlers/group-apis.ts";
import { clientHostOf } from "../../../src/broker/handlers/join-group.ts";
import { ApiKey } from "../../../src/kafka/api-keys.ts";
import { readDeleteGroupsResponse, writeDeleteGroupsRequest } from "../../../src/kafka/apis/delete-groups.ts";
import {
  readDescribeGroupsResponse,
  writeDescribeGroupsRequest,
} from "../../../src/kafka/apis/describe-groups.ts";
import {
  readFindCoordinatorResponse,
  writeFindCoordinatorRequest,
} from "../../../src/kafka/apis/find-coordinator.ts";
import { readHeartbeatResponse, writeHeartbeatRequest } from "../../../src/kafka/apis/heartbeat.ts";
import { readJoinGroupResponse, writeJoinGroupRequest } from "../../../src/kafka/apis/join-group.ts";
import { readLeaveGroupResponse, writeLeaveGroupRequest } from "../../../src/kafka/apis/leave-group.ts";
import { readListGroupsResponse, writeListGroupsRequest } from "../../../src/kafka/apis/list-groups.ts";
import { readOffsetCommitResponse, writeOffsetCommitRequest } from "../../../src/kafka/apis/offset-commit.ts";
import { readOffsetFetchResponse, writeOffsetFetchRequest } from "../../../src/kafka/apis/offset-fetch.ts";
import { readSyncGroupResponse, writeSyncGroupRequest } from "../../../src/kafka/apis/sync-group.ts";
import { ErrorCode } from "../../../src/kafka/errors.ts";
import { Reader, Writer } from "../../../src/wire/mod.ts";
import { setup, subscription } from "./helpers.ts";

/** The group API handlers as the broker registers them, over `groups`. */
function groupHandlers(
  coordinator: GroupCoordinator,
  options: Omit<GroupApi, "coordinator">,
): Map<number, RequestHandler> {
  return new Map(groupApiHandlers({ coordinator, ...options }));
}

/** Call a handler with an encoded body, decode its response body. */
async function call<Req, Res>(
  handlers: Map<number, RequestHandler>,
  apiKey: number,
  version: number,
  write: (w: Writer, v: number, r: Req) => void,
  read: (r: Reader, v: number) => Res,
  request: Req,
): Promise<Res> {
  const body = new Writer();
  write(body, version, request);
  const respond = (await handlers.get(apiKey)!({
    header: { apiKey, apiVersion: version, correlationId: 1, clientId: "kafkajs" },
    body: new Reader(body.toBytes()),
    remote: "127.0.0.1:50000",
  }))!;
  const out = new Writer();
  respond(out);
  const reader = new Reader(out.toBytes());
  const response = read(reader, version);
  reader.expectEnd("response");
  return response;
}

Deno.test("a kafkajs-shaped session through the group handlers, bytes in and bytes out", async () => {
  const { coordinator } = setup({ initialRebalanceDelayMs: 0 });
  const handlers = groupHandlers(coordinator, {
    findCoordinator: (key) =>
      Promise.resolve({ errorCode: 0, nodeId: coordinator.partitionFor(key), host: "h", port: 9 }),
    partitionExists: (topic: string) => topic === "t",
  });
  const found = await call(
    handlers,
    ApiKey.FindCoordinator,
    2,
    writeFindCoordinatorRequest,
    readFindCoordinatorResponse,
    {
      key: "g",
      keyType: 0,
    },
  );
  assert.deepEqual([found.errorCode, found.nodeId, found.host, found.port], [
    0,
    coordinator.partitionFor("g"),
    "h",
    9,
  ]);

  const join = {
    groupId: "g",
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 60_000,
    memberId: "",
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "RoundRobinAssigner", metadata: subscription("t") }],
  };
  const first = await call(handlers, ApiKey.JoinGroup, 5, writeJoinGroupRequest, readJoinGroupResponse, join);
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const joined = await call(handlers, ApiKey.JoinGroup, 5, writeJoinGroupRequest, readJoinGroupResponse, {
    ...join,
    memberId: first.memberId,
  });
  assert.equal(joined.errorCode, 0);
  assert.equal(joined.leader, first.memberId);
  assert.match(joined.memberId, /^kafkajs-/);
  const member = {
    groupId: "g",
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: null,
  };

  const synced = await call(handlers, ApiKey.SyncGroup, 3, writeSyncGroupRequest, readSyncGroupResponse, {
    ...member,
    assignments: [{ memberId: joined.memberId, assignment: new Uint8Array([4, 2]) }],
  });
  assert.deepEqual([synced.errorCode, [...synced.assignment]], [0, [4, 2]]);
  const beat = await call(
    handlers,
    ApiKey.Heartbeat,
    3,
    writeHeartbeatRequest,
    readHeartbeatResponse,
    member,
  );
  assert.equal(beat.errorCode, 0);

  const committed = await call(
    handlers,
    ApiKey.OffsetCommit,
    5,
    writeOffsetCommitRequest,
    readOffsetCommitResponse,
    {
      groupId: "g",
      generationId: joined.generationId,
      memberId: joined.memberId,
      topics: [
        { name: "t", partitions: [{ partitionIndex: 0, committedOffset: 17, committedMetadata: null }] },
        { name: "nope", partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] },
      ],
    },
  );
  assert.deepEqual(committed.topics.map((t) => t.partitions[0].errorCode), [
    0,
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ]);
  const fetched = await call(
    handlers,
    ApiKey.OffsetFetch,
    4,
    writeOffsetFetchRequest,
    readOffsetFetchResponse,
    {
      groupId: "g",
      topics: null,
    },
  );
  assert.deepEqual(fetched.topics.map((t) => [t.name, t.partitions[0].committedOffset]), [["t", 17]]);

  const described = await call(
    handlers,
    ApiKey.DescribeGroups,
    4,
    writeDescribeGroupsRequest,
    readDescribeGroupsResponse,
    {
      groups: ["g"],
      includeAuthorizedOperations: false,
    },
  );
  assert.equal(described.groups[0].groupState, "Stable");
  assert.equal(described.groups[0].protocolData, "RoundRobinAssigner");
  assert.equal(described.groups[0].members[0].clientHost, "/127.0.0.1");
  const listed = await call(
    handlers,
    ApiKey.ListGroups,
    2,
    writeListGroupsRequest,
    readListGroupsResponse,
    {},
  );
  assert.deepEqual(listed.groups, [{ groupId: "g", protocolType: "consumer" }]);

  const notEmpty = await call(
    handlers,
    ApiKey.DeleteGroups,
    1,
    writeDeleteGroupsRequest,
    readDeleteGroupsResponse,
    {
      groupsNames: ["g"],
    },
  );
  assert.equal(notEmpty.results[0].errorCode, ErrorCode.NON_EMPTY_GROUP);
  const left = await call(handlers, ApiKey.LeaveGroup, 3, writeLeaveGroupRequest, readLeaveGroupResponse, {
    groupId: "g",
    members: [{ memberId: joined.memberId, groupInstanceId: null }],
  });
  assert.deepEqual([left.errorCode, left.members?.[0].errorCode], [0, 0]);
  const deleted = await call(
    handlers,
    ApiKey.DeleteGroups,
    1,
    writeDeleteGroupsRequest,
    readDeleteGroupsResponse,
    {
      groupsNames: ["g"],
    },
  );
  assert.equal(deleted.results[0].errorCode, 0);
  const leftAgain = await call(
    handlers,
    ApiKey.LeaveGroup,
    1,
    writeLeaveGroupRequest,
    readLeaveGroupResponse,
    {
      groupId: "g",
      memberId: joined.memberId,
    },
  );
  assert.equal(leftAgain.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

Deno.test("clientHostOf formats the member host as Kafka does", () => {
  assert.equal(clientHostOf("127.0.0.1:9092"), "/127.0.0.1");
  assert.equal(clientHostOf("::1:9092"), "/::1");
  assert.equal(clientHostOf("[::1]:9092"), "/::1");
});
