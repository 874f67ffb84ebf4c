/**
 * The coordinator's inputs and results have the shapes of the Kafka codecs' requests and
 * responses, so a broker handler passes decoded requests straight in and encodes results straight
 * out. These tests drive the coordinator with requests that went through the real codecs.
 */
import assert from "node:assert/strict";
import {
  readJoinGroupRequest,
  writeJoinGroupRequest,
  writeJoinGroupResponse,
} from "../../../src/kafka/apis/join-group.ts";
import {
  readSyncGroupRequest,
  writeSyncGroupRequest,
  writeSyncGroupResponse,
} from "../../../src/kafka/apis/sync-group.ts";
import { readHeartbeatRequest, writeHeartbeatRequest } from "../../../src/kafka/apis/heartbeat.ts";
import {
  readLeaveGroupRequest,
  writeLeaveGroupRequest,
  writeLeaveGroupResponse,
} from "../../../src/kafka/apis/leave-group.ts";
import {
  readOffsetCommitRequest,
  writeOffsetCommitRequest,
  writeOffsetCommitResponse,
} from "../../../src/kafka/apis/offset-commit.ts";
import {
  readOffsetFetchRequest,
  writeOffsetFetchRequest,
  writeOffsetFetchResponse,
} from "../../../src/kafka/apis/offset-fetch.ts";
import { writeDescribeGroupsResponse } from "../../../src/kafka/apis/describe-groups.ts";
import { ErrorCode } from "../../../src/kafka/errors.ts";
import { Reader, Writer } from "../../../src/wire/mod.ts";
import { setup, subscription } from "./helpers.ts";

/** Encode with `write` then decode with `read`, as a request crossing the wire would. */
function viaWire<T>(
  write: (w: Writer, v: number, r: T) => void,
  read: (r: Reader, v: number) => T,
  version: number,
  request: T,
): T {
  const writer = new Writer();
  write(writer, version, request);
  return read(new Reader(writer.toBytes()), version);
}

Deno.test("decoded JoinGroup v5 / SyncGroup v3 / Heartbeat v3 requests drive the coordinator directly", async () => {
  const { coordinator } = setup({ initialRebalanceDelayMs: 0 });
  const version = 5;
  const base = {
    groupId: "g",
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 60_000,
    memberId: "",
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "RoundRobinAssigner", metadata: subscription("t") }],
  };
  const context = { clientId: "kafkajs", clientHost: "/127.0.0.1", requireKnownMemberId: version >= 4 };
  const first = await coordinator.join({
    ...viaWire(writeJoinGroupRequest, readJoinGroupRequest, version, base),
    ...context,
  });
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  writeJoinGroupResponse(new Writer(), version, first); // the result is a valid response body
  const joined = await coordinator.join({
    ...viaWire(writeJoinGroupRequest, readJoinGroupRequest, version, { ...base, memberId: first.memberId }),
    ...context,
  });
  assert.equal(joined.errorCode, 0);
  writeJoinGroupResponse(new Writer(), version, joined);

  const sync = viaWire(writeSyncGroupRequest, readSyncGroupRequest, 3, {
    groupId: "g",
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: null,
    assignments: [{ memberId: joined.memberId, assignment: new Uint8Array([1, 2]) }],
  });
  const synced = await coordinator.sync(sync);
  assert.deepEqual(synced, { errorCode: 0, assignment: new Uint8Array([1, 2]) });
  writeSyncGroupResponse(new Writer(), 3, synced);

  const heartbeat = viaWire(writeHeartbeatRequest, readHeartbeatRequest, 3, {
    groupId: "g",
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: null,
  });
  assert.equal(coordinator.heartbeat(heartbeat), 0);
  writeDescribeGroupsResponse(new Writer(), 4, { groups: coordinator.describeGroups(["g"]) });
});

Deno.test("JoinGroup v0 has no rebalance timeout: the session timeout stands in for it", async () => {
  const { coordinator, clock } = setup({ initialRebalanceDelayMs: 0 });
  const request = viaWire(writeJoinGroupRequest, readJoinGroupRequest, 0, {
    groupId: "g",
    sessionTimeoutMs: 10_000,
    memberId: "",
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: subscription("t") }],
  });
  const context = { clientId: "old", clientHost: "/127.0.0.1", requireKnownMemberId: false };
  const a = await coordinator.join({ ...request, ...context });
  assert.equal(a.generationId, 1);
  // b's arrival starts a rebalance that waits for a, who never rejoins.
  let settled = false;
  const b = coordinator.join({ ...request, ...context }).then((r) => (settled = true, r));
  clock.advance(9_999);
  await Promise.resolve();
  assert.equal(settled, false);
  clock.advance(1); // 10 s = the session timeout standing in as rebalance timeout
  const result = await b;
  assert.equal(result.generationId, 2);
  assert.equal(result.leader, result.memberId, "a was dropped, b leads");
});

Deno.test("decoded OffsetCommit v0-v5 and OffsetFetch v1-v4 requests commit and read offsets", async () => {
  const { coordinator } = setup();
  for (let version = 0; version <= 5; version++) {
    const request = viaWire(writeOffsetCommitRequest, readOffsetCommitRequest, version, {
      groupId: "simple",
      generationId: -1,
      memberId: "",
      topics: [{
        name: "t",
        partitions: [{ partitionIndex: 0, committedOffset: 100 + version, committedMetadata: "v" }],
      }],
    });
    const result = await coordinator.commitOffsets(request);
    assert.equal(result.topics[0].partitions[0].errorCode, 0, `OffsetCommit v${version}`);
    writeOffsetCommitResponse(new Writer(), version, result);
  }
  for (let version = 1; version <= 4; version++) {
    const request = viaWire(writeOffsetFetchRequest, readOffsetFetchRequest, version, {
      groupId: "simple",
      topics: [{ name: "t", partitionIndexes: [0] }],
    });
    const result = coordinator.fetchOffsets(request);
    assert.equal(result.topics[0].partitions[0].committedOffset, 105, `OffsetFetch v${version}`);
    writeOffsetFetchResponse(new Writer(), version, result);
  }
});

Deno.test("LeaveGroup v0-2 carry one member and one error code; v3 a list", async () => {
  const { coordinator } = setup({ initialRebalanceDelayMs: 0 });
  const v1 = viaWire(writeLeaveGroupRequest, readLeaveGroupRequest, 1, { groupId: "g", memberId: "ghost" });
  const ghost = coordinator.leave(v1, 1);
  assert.equal(ghost.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  writeLeaveGroupResponse(new Writer(), 1, ghost);

  const joined = await coordinator.join({
    groupId: "g",
    memberId: "",
    clientId: "c",
    clientHost: "/127.0.0.1",
    sessionTimeoutMs: 10_000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: subscription("t") }],
    requireKnownMemberId: false,
  });
  const v3 = viaWire(writeLeaveGroupRequest, readLeaveGroupRequest, 3, {
    groupId: "g",
    members: [{ memberId: joined.memberId, groupInstanceId: null }, {
      memberId: "ghost",
      groupInstanceId: null,
    }],
  });
  const left = coordinator.leave(v3, 3);
  assert.equal(left.errorCode, 0);
  assert.deepEqual(left.members.map((m) => m.errorCode), [0, ErrorCode.UNKNOWN_MEMBER_ID]);
  writeLeaveGroupResponse(new Writer(), 3, left);
  assert.equal(coordinator.describeGroups(["g"])[0].groupState, "Dead");
});
