import assert from "node:assert/strict";
import { GroupCoordinator } from "../../../src/broker/groups/coordinator.ts";
import { ManualClock } from "../../../src/broker/groups/clock.ts";
import { decodeGroupValue, decodeOffsetsTopicKey } from "../../../src/broker/groups/offsets-records.ts";
import { ErrorCode } from "../../../src/kafka/errors.ts";
import { bytes, flush, joinInput, RecordingStore, setup, track } from "./helpers.ts";

Deno.test("a coordinator move keeps committed offsets, generation, members and assignments", async () => {
  const { coordinator: old, clock, store } = setup();
  const joins = [old.join(joinInput("", { clientId: "a" })), old.join(joinInput("", { clientId: "b" }))];
  clock.advance(6000);
  const [ra, rb] = await Promise.all(joins);
  const followerSync = old.sync({ groupId: "g", generationId: 1, memberId: rb.memberId, assignments: [] });
  await old.sync({
    groupId: "g",
    generationId: 1,
    memberId: ra.memberId,
    assignments: [{ memberId: ra.memberId, assignment: bytes(1) }, {
      memberId: rb.memberId,
      assignment: bytes(2),
    }],
  });
  await followerSync;
  const commit = await old.commitOffsets({
    groupId: "g",
    generationId: 1,
    memberId: ra.memberId,
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: "meta" }],
    }],
  });
  assert.equal(commit.topics[0].partitions[0].errorCode, 0);
  await old.commitOffsets({
    groupId: "solo",
    generationId: -1,
    memberId: "",
    topics: [{ name: "t", partitions: [{ partitionIndex: 1, committedOffset: 7, committedMetadata: null }] }],
  });

  const partition = old.partitionFor("g");
  const log = store.log(partition);
  const kinds = log.map((r) => decodeOffsetsTopicKey(r.key).kind);
  assert.deepEqual(kinds.slice(0, 2), ["group", "offset"], "metadata after the sync, then the commit");
  assert.equal(decodeGroupValue(log[0].value!).generationId, 1);

  // The broker dies; another broker leads the partition and replays it.
  const newClock = new ManualClock(clock.nowMs());
  const moved = new GroupCoordinator({ clock: newClock, store: new RecordingStore() });
  assert.equal(
    moved.heartbeat({ groupId: "g", generationId: 1, memberId: ra.memberId }),
    ErrorCode.NOT_COORDINATOR,
  );
  moved.beginLoading(partition);
  assert.equal(
    moved.heartbeat({ groupId: "g", generationId: 1, memberId: ra.memberId }),
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  );
  const loaded = moved.loadPartition(partition, log);
  assert.equal(loaded.skipped, 0);

  assert.equal(moved.heartbeat({ groupId: "g", generationId: 1, memberId: ra.memberId }), 0);
  assert.equal(moved.heartbeat({ groupId: "g", generationId: 1, memberId: rb.memberId }), 0);
  const [described] = moved.describeGroups(["g"]);
  assert.equal(described.groupState, "Stable");
  assert.equal(described.protocolData, "range");
  assert.deepEqual(described.members.map((m) => [m.memberId, m.clientId, m.memberAssignment]), [
    [ra.memberId, "a", bytes(1)],
    [rb.memberId, "b", bytes(2)],
  ]);
  const fetched = moved.fetchOffsets({ groupId: "g", topics: [{ name: "t", partitionIndexes: [0] }] });
  assert.deepEqual(fetched.topics[0].partitions[0], {
    partitionIndex: 0,
    committedOffset: 42,
    committedLeaderEpoch: -1,
    metadata: "meta",
    errorCode: 0,
  });
  assert.deepEqual(
    await moved.sync({ groupId: "g", generationId: 1, memberId: rb.memberId, assignments: [] }),
    { errorCode: 0, assignment: bytes(2) },
  );
  // Commits of the loaded generation are accepted; the next rebalance continues from it.
  const again = await moved.commitOffsets({
    groupId: "g",
    generationId: 1,
    memberId: rb.memberId,
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, committedOffset: 43, committedMetadata: null }],
    }],
  });
  assert.equal(again.topics[0].partitions[0].errorCode, 0);
  const rejoin = track(moved.join(joinInput(ra.memberId)));
  const rejoinB = await moved.join(joinInput(rb.memberId));
  assert.equal(rejoinB.generationId, 2);
  assert.equal((await rejoin.promise).leader, ra.memberId);
});

Deno.test("loaded members that never come back expire after their session timeout", async () => {
  const { coordinator: old, clock, store } = setup({ initialRebalanceDelayMs: 0 });
  const joined = await old.join(joinInput(""));
  await old.sync({ groupId: "g", generationId: 1, memberId: joined.memberId, assignments: [] });
  const partition = old.partitionFor("g");
  const newClock = new ManualClock(clock.nowMs());
  const moved = new GroupCoordinator({ clock: newClock });
  moved.loadPartition(partition, store.log(partition));
  assert.equal(moved.describeGroups(["g"])[0].groupState, "Stable");
  newClock.advance(10_000);
  await flush();
  assert.equal(moved.describeGroups(["g"])[0].groupState, "Dead", "no members and no offsets: forgotten");
});

Deno.test("unloading a partition answers parked joins with NOT_COORDINATOR and stops serving it", async () => {
  const { coordinator, clock } = setup();
  const parked = coordinator.join(joinInput(""));
  clock.advance(1000);
  coordinator.unloadPartition(coordinator.partitionFor("g"));
  const result = await parked;
  assert.equal(result.errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(coordinator.coordinatorError("g"), ErrorCode.NOT_COORDINATOR);
  assert.equal(coordinator.groupCount, 0);
  clock.advance(60_000);
  assert.equal(clock.pendingTimers, 0, "no timers left behind");
});

Deno.test("deleted groups stay deleted after a reload", async () => {
  const { coordinator, store } = setup();
  await coordinator.commitOffsets({
    groupId: "g",
    generationId: -1,
    memberId: "",
    topics: [{ name: "t", partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] }],
  });
  assert.deepEqual(await coordinator.deleteGroups(["g"]), [{ groupId: "g", errorCode: 0 }]);
  const partition = coordinator.partitionFor("g");
  const reloaded = new GroupCoordinator({ clock: new ManualClock() });
  assert.deepEqual(reloaded.loadPartition(partition, store.log(partition)), { groups: 0, skipped: 0 });
  assert.equal(reloaded.describeGroups(["g"])[0].groupState, "Dead");
});
