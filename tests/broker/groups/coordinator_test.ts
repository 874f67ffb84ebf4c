import assert from "node:assert/strict";
import type { GroupCoordinator } from "../../../src/broker/groups/coordinator.ts";
import type { ManualClock } from "../../../src/broker/groups/clock.ts";
import { ErrorCode } from "../../../src/kafka/errors.ts";
import { bytes, flush, joinInput, setup, subscription, track } from "./helpers.ts";

/** Three (or n) v3 members join a new group, sync, and end Stable; returns ids in join order. */
async function formGroup(coordinator: GroupCoordinator, clock: ManualClock, count = 3) {
  const joins = Array.from(
    { length: count },
    (_, i) => coordinator.join(joinInput("", { clientId: `c${i}` })),
  );
  clock.advance(3000); // group.initial.rebalance.delay.ms ...
  clock.advance(3000); // ... once more, as members arrived during the first delay
  const results = await Promise.all(joins);
  const ids = results.map((r) => r.memberId);
  const generationId = results[0].generationId;
  const syncs = ids.map((memberId, i) =>
    coordinator.sync({
      groupId: "g",
      generationId,
      memberId,
      assignments: i === 0 ? ids.map((id, j) => ({ memberId: id, assignment: bytes(j + 1) })) : [],
    })
  );
  const synced = await Promise.all(syncs);
  return { ids, generationId, results, synced };
}

Deno.test("three members join a new group: one leader, two followers, all synced in generation 1", async () => {
  const { coordinator, clock } = setup();
  const a = track(coordinator.join(joinInput("", { clientId: "a" })));
  const b = track(coordinator.join(joinInput("", { clientId: "b" })));
  clock.advance(2999);
  await flush();
  assert.equal(a.done, false, "the initial rebalance delay holds the first join");
  const c = track(coordinator.join(joinInput("", { clientId: "c" })));
  clock.advance(1);
  await flush();
  // Members arrived during the delay, so the delay runs once more.
  assert.equal(a.done, false);
  clock.advance(3000);
  const [ra, rb, rc] = await Promise.all([a.promise, b.promise, c.promise]);
  for (const r of [ra, rb, rc]) {
    assert.equal(r.errorCode, 0);
    assert.equal(r.generationId, 1);
    assert.equal(r.protocolName, "range");
    assert.equal(r.leader, ra.memberId, "the first member to join leads");
  }
  assert.match(ra.memberId, /^a-[0-9a-f-]{36}$/);
  assert.deepEqual(ra.members.map((m) => m.memberId), [ra.memberId, rb.memberId, rc.memberId]);
  assert.deepEqual(ra.members[1].metadata, subscription("t"));
  assert.deepEqual(rb.members, []);
  assert.deepEqual(rc.members, []);

  // Followers sync first and wait for the leader's assignment.
  const sb = track(
    coordinator.sync({ groupId: "g", generationId: 1, memberId: rb.memberId, assignments: [] }),
  );
  const sc = track(
    coordinator.sync({ groupId: "g", generationId: 1, memberId: rc.memberId, assignments: [] }),
  );
  await flush();
  assert.equal(sb.done, false);
  assert.equal(coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: rb.memberId }), 0);
  const sa = await coordinator.sync({
    groupId: "g",
    generationId: 1,
    memberId: ra.memberId,
    assignments: [{ memberId: ra.memberId, assignment: bytes(1) }, {
      memberId: rb.memberId,
      assignment: bytes(2),
    }],
  });
  assert.deepEqual(sa, { errorCode: 0, assignment: bytes(1) });
  assert.deepEqual(await sb.promise, { errorCode: 0, assignment: bytes(2) });
  assert.deepEqual(await sc.promise, { errorCode: 0, assignment: bytes() }, "no assignment = empty bytes");

  const [described] = coordinator.describeGroups(["g"]);
  assert.equal(described.groupState, "Stable");
  assert.equal(described.protocolType, "consumer");
  assert.equal(described.protocolData, "range");
  assert.deepEqual(described.members.map((m) => [m.clientId, m.memberAssignment]), [
    ["a", bytes(1)],
    ["b", bytes(2)],
    ["c", bytes()],
  ]);
  assert.deepEqual(coordinator.listGroups().groups, [{
    groupId: "g",
    protocolType: "consumer",
    groupState: "Stable",
  }]);
  for (const r of [ra, rb, rc]) {
    assert.equal(coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: r.memberId }), 0);
  }
  // A stable member syncing again gets its assignment at once.
  assert.deepEqual(
    await coordinator.sync({ groupId: "g", generationId: 1, memberId: rb.memberId, assignments: [] }),
    { errorCode: 0, assignment: bytes(2) },
  );
});

Deno.test("a member leaving triggers a rebalance: heartbeats say 27, the rest rejoin into generation 2", async () => {
  const { coordinator, clock } = setup();
  const { ids: [a, b, c] } = await formGroup(coordinator, clock);
  const left = coordinator.leave({ groupId: "g", members: [{ memberId: b }] });
  assert.deepEqual(left, { errorCode: 0, members: [{ memberId: b, groupInstanceId: null, errorCode: 0 }] });
  assert.equal(coordinator.describeGroups(["g"])[0].groupState, "PreparingRebalance");
  assert.equal(
    coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: a }),
    ErrorCode.REBALANCE_IN_PROGRESS,
  );
  assert.equal(
    coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: b }),
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  assert.equal(
    (await coordinator.sync({ groupId: "g", generationId: 1, memberId: c, assignments: [] })).errorCode,
    ErrorCode.REBALANCE_IN_PROGRESS,
  );
  const ra = track(coordinator.join(joinInput(a)));
  await flush();
  assert.equal(ra.done, false, "waits for c to rejoin");
  const rc = await coordinator.join(joinInput(c));
  const resultA = await ra.promise;
  assert.equal(resultA.generationId, 2);
  assert.equal(rc.generationId, 2);
  assert.equal(resultA.leader, a);
  assert.deepEqual(resultA.members.map((m) => m.memberId), [a, c]);
  // The leaver is gone for good.
  assert.deepEqual(coordinator.leave({ groupId: "g", members: [{ memberId: b }] }).members[0].errorCode, 25);
});

Deno.test("a member that stops heartbeating is removed after its session timeout and the group rebalances", async () => {
  const { coordinator, clock } = setup();
  const { ids: [a, b] } = await formGroup(coordinator, clock, 2);
  for (let i = 0; i < 3; i++) {
    clock.advance(3000);
    assert.equal(coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: a }), 0);
  }
  clock.advance(1000); // b's 10 s session ends
  assert.equal(
    coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: a }),
    ErrorCode.REBALANCE_IN_PROGRESS,
  );
  assert.equal(
    coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: b }),
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  const rejoined = await coordinator.join(joinInput(a));
  assert.equal(rejoined.generationId, 2);
  assert.deepEqual(rejoined.members.map((m) => m.memberId), [a]);
});

Deno.test("a member that heartbeats but never rejoins is dropped when the rebalance timeout ends", async () => {
  const { coordinator, clock } = setup();
  const { ids: [a, b] } = await formGroup(coordinator, clock, 2);
  // The leader rejoining asks for a new assignment.
  const ra = track(coordinator.join(joinInput(a)));
  for (let elapsedMs = 0; elapsedMs < 27_000; elapsedMs += 3000) {
    clock.advance(3000);
    assert.equal(
      coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: b }),
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
  }
  await flush();
  assert.equal(ra.done, false);
  clock.advance(3000); // 30 s rebalance timeout
  const result = await ra.promise;
  assert.equal(result.generationId, 2);
  assert.deepEqual(result.members.map((m) => m.memberId), [a]);
  assert.equal(
    coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: b }),
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
});

Deno.test("the last member leaving empties the group; a new one starts a fresh rebalance with a new leader", async () => {
  const { coordinator, clock } = setup();
  const { ids: [a, b] } = await formGroup(coordinator, clock, 2);
  await coordinator.commitOffsets({
    groupId: "g",
    generationId: 1,
    memberId: a,
    topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: null }] }],
  });
  coordinator.leave({ groupId: "g", members: [{ memberId: a }, { memberId: b }] });
  const [described] = coordinator.describeGroups(["g"]);
  assert.equal(described.groupState, "Empty");
  assert.equal(
    coordinator.heartbeat({ groupId: "g", generationId: 2, memberId: a }),
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  const next = coordinator.join(joinInput("", { clientId: "d" }));
  clock.advance(3000);
  const joined = await next;
  assert.equal(joined.generationId, 3, "generation 2 was the empty one");
  assert.equal(joined.leader, joined.memberId);
  assert.equal(
    coordinator.fetchOffsets({ groupId: "g", topics: null }).topics[0].partitions[0].committedOffset,
    5,
  );
});

Deno.test("JoinGroup v4+: MEMBER_ID_REQUIRED hands out clientId-UUID, held until the session timeout", async () => {
  const { coordinator, clock } = setup({ initialRebalanceDelayMs: 0 });
  const first = await coordinator.join(joinInput("", { requireKnownMemberId: true, clientId: "kafkajs" }));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.match(first.memberId, /^kafkajs-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(coordinator.describeGroups(["g"])[0].members.length, 0, "pending ids are not members");
  const joined = await coordinator.join(joinInput(first.memberId, { requireKnownMemberId: true }));
  assert.equal(joined.errorCode, 0);
  assert.equal(joined.memberId, first.memberId);
  assert.equal(joined.generationId, 1);
  assert.equal(joined.leader, first.memberId);

  // An id that is not used within the session timeout expires.
  const second = await coordinator.join(joinInput("", { requireKnownMemberId: true }));
  clock.advance(10_000);
  const late = await coordinator.join(joinInput(second.memberId, { requireKnownMemberId: true }));
  assert.equal(late.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  // A made-up id is unknown too.
  assert.equal((await coordinator.join(joinInput("nobody"))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

Deno.test("a pending member id holds the rebalance until it joins", async () => {
  const { coordinator, clock } = setup({ initialRebalanceDelayMs: 0 });
  const { memberId: a } = await coordinator.join(joinInput("", { requireKnownMemberId: true }));
  const { memberId: b } = await coordinator.join(joinInput("", { requireKnownMemberId: true }));
  const ja = track(coordinator.join(joinInput(a, { requireKnownMemberId: true })));
  await flush();
  assert.equal(ja.done, false, "b's id is outstanding");
  const jb = await coordinator.join(joinInput(b, { requireKnownMemberId: true }));
  assert.equal((await ja.promise).generationId, 1);
  assert.equal(jb.generationId, 1);
  assert.equal(clock.pendingTimers > 0, true);
});

Deno.test("protocol selection by vote; a member with no common protocol gets INCONSISTENT_GROUP_PROTOCOL", async () => {
  const { coordinator, clock } = setup();
  const meta = subscription("t");
  const prefs = [["range", "roundrobin"], ["roundrobin", "range"], ["roundrobin", "sticky", "range"]];
  const joins = prefs.map((names) =>
    coordinator.join(joinInput("", { protocols: names.map((name) => ({ name, metadata: meta })) }))
  );
  clock.advance(6000);
  const results = await Promise.all(joins);
  assert.deepEqual(results.map((r) => r.protocolName), ["roundrobin", "roundrobin", "roundrobin"]);

  const odd = await coordinator.join(joinInput("", { protocols: [{ name: "sticky", metadata: meta }] }));
  assert.equal(odd.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const otherType = await coordinator.join(joinInput("", { protocolType: "connect" }));
  assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const noProtocols = await coordinator.join(joinInput("", { groupId: "h", protocols: [] }));
  assert.equal(noProtocols.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(
    coordinator.describeGroups(["h"])[0].groupState,
    "Dead",
    "a refused first join leaves no group",
  );
});

Deno.test("a tie in the vote goes to the first member's preference", async () => {
  const { coordinator, clock } = setup();
  const meta = subscription("t");
  const joins = [["sticky", "range"], ["range", "sticky"]].map((names) =>
    coordinator.join(joinInput("", { protocols: names.map((name) => ({ name, metadata: meta })) }))
  );
  clock.advance(6000);
  assert.deepEqual((await Promise.all(joins)).map((r) => r.protocolName), ["sticky", "sticky"]);
});

Deno.test("SyncGroup errors: unknown member, illegal generation, rebalance in progress", async () => {
  const { coordinator, clock } = setup();
  const { ids: [a, b] } = await formGroup(coordinator, clock, 2);
  const sync = (memberId: string, generationId: number, groupId = "g") =>
    coordinator.sync({ groupId, generationId, memberId, assignments: [] }).then((r) => r.errorCode);
  assert.equal(await sync("ghost", 1), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(await sync(a, 1, "no-such-group"), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(await sync(a, 7), ErrorCode.ILLEGAL_GENERATION);
  coordinator.join(joinInput(a));
  assert.equal(await sync(b, 1), ErrorCode.REBALANCE_IN_PROGRESS);
});

Deno.test("a follower waiting in SyncGroup learns of a rebalance when a member dies before the leader syncs", async () => {
  const { coordinator, clock } = setup();
  const joins = [
    coordinator.join(joinInput("")),
    coordinator.join(joinInput("")),
    coordinator.join(joinInput("")),
  ];
  clock.advance(6000);
  const [, rb, rc] = await Promise.all(joins);
  const waiting = coordinator.sync({ groupId: "g", generationId: 1, memberId: rb.memberId, assignments: [] });
  // Leader and c go silent; b keeps heartbeating while it waits.
  for (let i = 0; i < 3; i++) {
    clock.advance(3000);
    coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: rb.memberId });
  }
  clock.advance(1000);
  assert.deepEqual(await waiting, { errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: bytes() });
  assert.equal(
    coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: rc.memberId }),
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
});

Deno.test("Heartbeat errors: unknown group or member 25, empty group 25, wrong generation 22", async () => {
  const { coordinator, clock } = setup();
  assert.equal(
    coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: "x" }),
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  await coordinator.commitOffsets({
    groupId: "g",
    generationId: -1,
    memberId: "",
    topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: "" }] }],
  });
  assert.equal(coordinator.describeGroups(["g"])[0].groupState, "Empty");
  assert.equal(
    coordinator.heartbeat({ groupId: "g", generationId: 0, memberId: "" }),
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  const { ids: [a] } = await formGroup(coordinator, clock, 1);
  assert.equal(coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: a }), 0);
  assert.equal(
    coordinator.heartbeat({ groupId: "g", generationId: 0, memberId: a }),
    ErrorCode.ILLEGAL_GENERATION,
  );
  assert.equal(
    coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: "x" }),
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
});

Deno.test("OffsetCommit checks generation and member; stale generations are refused", async () => {
  const { coordinator, clock } = setup();
  const { ids: [a, b] } = await formGroup(coordinator, clock, 2);
  const commit = (memberId: string, generationId: number, offset: number) =>
    coordinator.commitOffsets({
      groupId: "g",
      generationId,
      memberId,
      topics: [{
        name: "t",
        partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: "m" }],
      }],
    }).then((r) => r.topics[0].partitions[0].errorCode);
  assert.equal(await commit(a, 1, 10), 0);
  assert.equal(await commit("ghost", 1, 11), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(await commit("", -1, 11), ErrorCode.UNKNOWN_MEMBER_ID, "no simple commits into a live group");
  assert.equal(await commit(a, -1, 11), ErrorCode.ILLEGAL_GENERATION);

  // b leaves: while the rebalance is prepared the current generation may still commit.
  coordinator.leave({ groupId: "g", members: [{ memberId: b }] });
  assert.equal(await commit(a, 1, 12), 0);
  const rejoin = await coordinator.join(joinInput(a));
  assert.equal(rejoin.generationId, 2);
  assert.equal(await commit(a, 2, 13), ErrorCode.REBALANCE_IN_PROGRESS, "not before the assignment arrives");
  await coordinator.sync({ groupId: "g", generationId: 2, memberId: a, assignments: [] });
  assert.equal(await commit(a, 1, 14), ErrorCode.ILLEGAL_GENERATION, "a zombie of generation 1");
  assert.equal(await commit(a, 2, 15), 0);
  const fetched = coordinator.fetchOffsets({
    groupId: "g",
    topics: [{ name: "t", partitionIndexes: [0, 1] }],
  });
  assert.deepEqual(fetched, {
    errorCode: 0,
    topics: [{
      name: "t",
      partitions: [
        { partitionIndex: 0, committedOffset: 15, committedLeaderEpoch: -1, metadata: "m", errorCode: 0 },
        { partitionIndex: 1, committedOffset: -1, committedLeaderEpoch: -1, metadata: "", errorCode: 0 },
      ],
    }],
  });
  // Committing to a group that does not exist needs generation -1.
  const missing = await coordinator.commitOffsets({
    groupId: "other",
    generationId: 3,
    memberId: "m",
    topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] }],
  });
  assert.equal(missing.topics[0].partitions[0].errorCode, ErrorCode.ILLEGAL_GENERATION);
});

Deno.test("simple consumers commit with generation -1 to a group with no members; resets are refused while members remain", async () => {
  const { coordinator, clock } = setup();
  const result = await coordinator.commitOffsets({
    groupId: "g",
    generationId: -1,
    memberId: "",
    topics: [{
      name: "t",
      partitions: [
        { partitionIndex: 0, committedOffset: 3, committedMetadata: "" },
        { partitionIndex: 1, committedOffset: 4, committedMetadata: "x".repeat(5000) },
      ],
    }],
  });
  assert.deepEqual(result.topics[0].partitions.map((p) => p.errorCode), [
    0,
    ErrorCode.OFFSET_METADATA_TOO_LARGE,
  ]);
  assert.deepEqual(coordinator.listGroups().groups, [{
    groupId: "g",
    protocolType: "",
    groupState: "Empty",
  }]);
  const all = coordinator.fetchOffsets({ groupId: "g", topics: null });
  assert.deepEqual(all.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)]), [["t", [3]]]);
  assert.deepEqual(coordinator.fetchOffsets({ groupId: "nothing", topics: null }).topics, []);

  const { ids } = await formGroup(coordinator, clock, 1);
  const refused = await coordinator.resetOffsets("g", [{ topic: "t", partition: 0, offset: 0 }]);
  assert.equal(refused.topics[0].partitions[0].errorCode, ErrorCode.NON_EMPTY_GROUP);
  coordinator.leave({ groupId: "g", members: [{ memberId: ids[0] }] });
  const reset = await coordinator.resetOffsets("g", [{ topic: "t", partition: 0, offset: 0 }]);
  assert.equal(reset.topics[0].partitions[0].errorCode, 0);
  assert.equal(
    coordinator.fetchOffsets({ groupId: "g", topics: null }).topics[0].partitions[0].committedOffset,
    0,
  );
});

Deno.test("DeleteGroups: NON_EMPTY_GROUP with members, GROUP_ID_NOT_FOUND when absent, offsets gone after", async () => {
  const { coordinator, clock, store } = setup();
  const { ids: [a] } = await formGroup(coordinator, clock, 1);
  await coordinator.commitOffsets({
    groupId: "g",
    generationId: 1,
    memberId: a,
    topics: [{ name: "t", partitions: [{ partitionIndex: 2, committedOffset: 9, committedMetadata: null }] }],
  });
  assert.deepEqual(await coordinator.deleteGroups(["g", "nope"]), [
    { groupId: "g", errorCode: ErrorCode.NON_EMPTY_GROUP },
    { groupId: "nope", errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
  ]);
  coordinator.leave({ groupId: "g", members: [{ memberId: a }] });
  assert.deepEqual(await coordinator.deleteGroups(["g"]), [{ groupId: "g", errorCode: 0 }]);
  assert.equal(
    coordinator.fetchOffsets({ groupId: "g", topics: [{ name: "t", partitionIndexes: [2] }] }).topics[0]
      .partitions[0].committedOffset,
    -1,
  );
  assert.equal(coordinator.describeGroups(["g"])[0].groupState, "Dead");
  const log = store.log(coordinator.partitionFor("g"));
  assert.deepEqual(
    log.slice(-2).map((r) => r.value),
    [null, null],
    "tombstones for the offset and the group",
  );
  assert.deepEqual(await coordinator.deleteGroups(["g"]), [{
    groupId: "g",
    errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
  }]);
});

Deno.test("bounds: group size, group count, session timeout range, empty group id", async () => {
  const { coordinator, clock } = setup({ maxGroupSize: 2, maxGroups: 1, initialRebalanceDelayMs: 0 });
  coordinator.join(joinInput(""));
  coordinator.join(joinInput(""));
  const third = await coordinator.join(joinInput(""));
  assert.equal(third.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  const otherGroup = await coordinator.join(joinInput("", { groupId: "h" }));
  assert.equal(otherGroup.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const short = await coordinator.join(joinInput("", { sessionTimeoutMs: 10 }));
  assert.equal(short.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  const long = await coordinator.join(joinInput("", { sessionTimeoutMs: 2_000_000 }));
  assert.equal(long.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal(
    (await coordinator.join(joinInput("", { groupId: "" }))).errorCode,
    ErrorCode.INVALID_GROUP_ID,
  );
  clock.advance(60_000);
});

Deno.test("requests for groups of partitions not served: NOT_COORDINATOR, or COORDINATOR_LOAD_IN_PROGRESS while loading", async () => {
  const { coordinator } = setup({ ownedPartitions: [] });
  assert.equal((await coordinator.join(joinInput(""))).errorCode, ErrorCode.NOT_COORDINATOR);
  const partition = coordinator.partitionFor("g");
  coordinator.beginLoading(partition);
  assert.equal(
    coordinator.heartbeat({ groupId: "g", generationId: 1, memberId: "m" }),
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  );
  const fetched = coordinator.fetchOffsets({ groupId: "g", topics: [{ name: "t", partitionIndexes: [0] }] });
  assert.equal(fetched.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(fetched.topics[0].partitions[0].errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(coordinator.listGroups().errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  coordinator.loadPartition(partition, []);
  assert.equal(coordinator.coordinatorError("g"), 0);
});

Deno.test("a failed append answers the commit with the coordinator's error and keeps the old offset", async () => {
  const { coordinator, store } = setup();
  const commit = (offset: number) =>
    coordinator.commitOffsets({
      groupId: "g",
      generationId: -1,
      memberId: "",
      topics: [{
        name: "t",
        partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: null }],
      }],
    }).then((r) => r.topics[0].partitions[0].errorCode);
  assert.equal(await commit(1), 0);
  const { KafkaError } = await import("../../../src/kafka/errors.ts");
  store.failWith = new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(await commit(2), ErrorCode.NOT_COORDINATOR);
  store.failWith = new Error("disk on fire");
  assert.equal(await commit(3), ErrorCode.UNKNOWN_SERVER_ERROR);
  assert.equal(
    coordinator.fetchOffsets({ groupId: "g", topics: null }).topics[0].partitions[0].committedOffset,
    1,
  );
});

Deno.test("when the leader leaves, the earliest-joined remaining member leads the next generation", async () => {
  const { coordinator, clock } = setup();
  const { ids: [a, b, c] } = await formGroup(coordinator, clock);
  coordinator.leave({ groupId: "g", members: [{ memberId: a }] });
  const [rc, rb] = await Promise.all([coordinator.join(joinInput(c)), coordinator.join(joinInput(b))]);
  assert.equal(rb.leader, b);
  assert.equal(rc.leader, b);
  assert.deepEqual(rb.members.map((m) => m.memberId), [b, c]);
  assert.deepEqual(rc.members, []);
});

Deno.test("a follower rejoining a stable group with unchanged metadata gets the current generation without a rebalance", async () => {
  const { coordinator, clock } = setup();
  const { ids: [a, b] } = await formGroup(coordinator, clock, 2);
  const again = await coordinator.join(joinInput(b));
  assert.equal(again.generationId, 1);
  assert.equal(again.leader, a);
  assert.equal(coordinator.describeGroups(["g"])[0].groupState, "Stable");
  // Changed metadata (a new subscription) does start a rebalance.
  const changed = track(
    coordinator.join(joinInput(b, { protocols: [{ name: "range", metadata: subscription("t", "u") }] })),
  );
  await flush();
  assert.equal(changed.done, false);
  assert.equal(coordinator.describeGroups(["g"])[0].groupState, "PreparingRebalance");
  const ra = await coordinator.join(joinInput(a));
  assert.equal(ra.generationId, 2);
  assert.deepEqual(ra.members[1].metadata, subscription("t", "u"));
});
