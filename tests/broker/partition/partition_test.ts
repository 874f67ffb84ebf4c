/**
 * Partition without a process: a real PartitionLog in a temporary directory, the real ISR
 * writer over an in-memory state node (whose writes a test can hold in flight), a purgatory and
 * a manual clock. Covers leader/follower transitions, ISR shrink and expand (also racing the
 * controller's own write), high-watermark advancement and acks=all wake-ups.
 */
import assert from "node:assert/strict";
import { setInvariantMode } from "../../../src/assert.ts";
import { BadVersionError, type Coordination } from "../../../src/broker/coordination.ts";
import { coordinatorStateStore } from "../../../src/broker/partition/isr-writer.ts";
import {
  type IsrChangeReason,
  type LeadershipNews,
  Partition,
  type PartitionObserver,
} from "../../../src/broker/partition/partition.ts";
import { Purgatory } from "../../../src/broker/purgatory.ts";
import {
  decodePartitionState,
  encodePartitionState,
  type PartitionState,
} from "../../../src/broker/zk-layout.ts";
import { ErrorCode, KafkaError } from "../../../src/kafka/errors.ts";
import { PartitionLog } from "../../../src/storage/partition-log.ts";
import { buildBatch, tempLogDir } from "../../storage/batches.ts";

setInvariantMode("throw");

const LAG_MS = 10_000;

/** The partition's state znode in memory; `hold` keeps the next setData in flight until released. */
class StateNode {
  data: Uint8Array;
  version = 0;
  writes = 0;
  reads = 0;
  notifications = 0;
  #held: { release: () => void; gate: Promise<void> } | null = null;
  /** Runs once just before the next setData compares versions (a concurrent writer). */
  beforeNextWrite: (() => void) | null = null;

  constructor(state: PartitionState) {
    this.data = encodePartitionState(state);
  }

  get state(): PartitionState {
    return decodePartitionState("state", this.data);
  }

  set(state: PartitionState): void {
    this.data = encodePartitionState(state);
    this.version++;
  }

  hold(): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    this.#held = { release, gate };
    return release;
  }

  coordination(): Coordination {
    return {
      getData: () => {
        this.reads++;
        return Promise.resolve({ data: this.data, version: this.version });
      },
      setData: async (path: string, data: Uint8Array, expected: number) => {
        const held = this.#held;
        this.#held = null;
        if (held) await held.gate;
        const race = this.beforeNextWrite;
        this.beforeNextWrite = null;
        race?.();
        if (expected !== this.version) throw new BadVersionError(path);
        this.data = data;
        this.version++;
        this.writes++;
      },
      createSequential: () => {
        this.notifications++;
        return Promise.resolve("/isr_change_notification/isr_change_0000000000");
      },
    } as unknown as Coordination;
  }
}

interface Events {
  leadership: boolean[];
  isr: [readonly number[], readonly number[], IsrChangeReason][];
  highWatermarks: number[];
  newerStates: (PartitionState | null)[];
}

function setup(
  options: { leaderEpoch?: number; isr?: number[]; fsyncAlways?: boolean; live?: Set<number> } = {},
) {
  const dir = tempLogDir();
  const log = PartitionLog.open({ dir: dir.path, config: { fsyncAlways: options.fsyncAlways ?? false } });
  const node = new StateNode({
    leader: 1,
    leaderEpoch: options.leaderEpoch ?? 1,
    isr: options.isr ?? [1, 2, 3],
    controllerEpoch: 1,
  });
  const purgatory = new Purgatory(100);
  let nowMs = 1_000_000;
  const events: Events = { leadership: [], isr: [], highWatermarks: [], newerStates: [] };
  const observer: PartitionObserver = {
    leadershipChanged: (_p, isLeader) => void events.leadership.push(isLeader),
    isrChanged: (_p, before, after, reason) => void events.isr.push([before, after, reason]),
    highWatermarkAdvanced: (_p, value) => void events.highWatermarks.push(value),
    appended: () => {},
  };
  const partition = new Partition({ topic: "t", partition: 0 }, log, {
    brokerId: 1,
    purgatory,
    stateStore: coordinatorStateStore(node.coordination(), () => {}),
    observer,
    replicaLagTimeMaxMs: LAG_MS,
    onNewerState: (_p, state) => void events.newerStates.push(state),
    log: () => {},
    now: () => nowMs,
    isLiveBroker: options.live ? (id) => options.live!.has(id) : undefined,
  });
  return {
    partition,
    node,
    events,
    advance: (ms: number) => nowMs += ms,
    [Symbol.dispose]() {
      purgatory.close();
      log.close();
      dir[Symbol.dispose]();
    },
  };
}

const leadNews = (isr: number[], leaderEpoch = 1): LeadershipNews => ({
  leader: 1,
  leaderEpoch,
  isr,
  replicas: [1, 2, 3],
});

/** Let the in-memory coordinator's promise chains settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("a leader alone in its ISR commits each append at once; acks=all answers right away", async () => {
  using t = setup({ isr: [1] });
  assert.equal(t.partition.applyLeadership(leadNews([1])), "became-leader");
  assert.deepEqual(t.events.leadership, [true]);
  const appended = await t.partition.appendAsLeader(buildBatch({ records: 3 }), { requiredAcks: -1 });
  assert.deepEqual([appended.baseOffset, appended.nextOffset], [0, 3]);
  assert.equal(t.partition.highWatermark, 3);
  assert.equal(await t.partition.waitForCommit(appended.nextOffset, 1000), 0);
  assert.deepEqual(t.events.highWatermarks, [3]);
});

Deno.test("the high watermark is the smallest log end in the ISR and wakes acks=all waiters", async () => {
  using t = setup();
  t.partition.applyLeadership(leadNews([1, 2, 3]));
  const appended = await t.partition.appendAsLeader(buildBatch({ records: 5 }), { requiredAcks: -1 });
  assert.equal(t.partition.highWatermark, 0, "nothing is committed before every ISR member fetched");
  const waiting = t.partition.waitForCommit(appended.nextOffset, 60_000);
  t.partition.recordFollowerFetch(2, 5);
  assert.equal(t.partition.highWatermark, 0, "follower 3 has not fetched yet");
  t.partition.recordFollowerFetch(3, 2);
  assert.equal(t.partition.highWatermark, 2);
  t.partition.recordFollowerFetch(3, 5);
  assert.equal(t.partition.highWatermark, 5);
  assert.equal(await waiting, 0);
  assert.deepEqual(t.events.highWatermarks, [2, 5], "never backwards, one event per move");
});

Deno.test("leadership news: older epochs are refused, the same epoch refreshes a follower's ISR", () => {
  using t = setup();
  assert.equal(
    t.partition.applyLeadership({ leader: 2, leaderEpoch: 5, isr: [2, 3], replicas: [1, 2, 3] }),
    "became-follower",
  );
  assert.equal(
    t.partition.applyLeadership({ leader: 3, leaderEpoch: 4, isr: [3], replicas: [1, 2, 3] }),
    "stale",
  );
  assert.deepEqual([t.partition.leader, t.partition.leaderEpoch], [2, 5]);
  assert.equal(
    t.partition.applyLeadership({ leader: 2, leaderEpoch: 5, isr: [1, 2, 3], replicas: [1, 2, 3] }),
    "unchanged",
  );
  assert.deepEqual(t.partition.isr, [1, 2, 3]);
  assert.deepEqual(t.events.isr.at(-1), [[2, 3], [1, 2, 3], "controller"]);
  assert.deepEqual(t.events.leadership, [], "a follower never was leader");
});

Deno.test("a leader that becomes follower wakes its acks=all waiters with NOT_LEADER_OR_FOLLOWER", async () => {
  using t = setup();
  t.partition.applyLeadership(leadNews([1, 2, 3]));
  const appended = await t.partition.appendAsLeader(buildBatch(), { requiredAcks: -1 });
  const waiting = t.partition.waitForCommit(appended.nextOffset, 60_000);
  t.partition.applyLeadership({ leader: 2, leaderEpoch: 2, isr: [2, 3], replicas: [1, 2, 3] });
  assert.equal(await waiting, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.deepEqual(t.events.leadership, [true, false]);
  await assert.rejects(
    t.partition.appendAsLeader(buildBatch(), { requiredAcks: 1 }),
    (error: unknown) => error instanceof KafkaError && error.code === ErrorCode.NOT_LEADER_OR_FOLLOWER,
  );
});

Deno.test("a lagging follower leaves the ISR; while the write is in flight the HWM still waits for it", async () => {
  using t = setup();
  t.partition.applyLeadership(leadNews([1, 2, 3]));
  const appended = await t.partition.appendAsLeader(buildBatch({ records: 4 }), { requiredAcks: -1 });
  const waiting = t.partition.waitForCommit(appended.nextOffset, 60_000);
  t.partition.recordFollowerFetch(2, 4);
  t.partition.recordFollowerFetch(3, 0); // 3 fetched once, then stopped
  t.advance(LAG_MS + 1);
  t.partition.recordFollowerFetch(2, 4); // 2 keeps fetching
  const release = t.node.hold();
  t.partition.maybeShrinkIsr();
  assert.deepEqual(t.partition.pendingIsr, [1, 2]);
  assert.equal(t.partition.highWatermark, 0, "the ISR being left still counts until the write is confirmed");
  release();
  await settle();
  assert.deepEqual(t.partition.isr, [1, 2]);
  assert.deepEqual(t.node.state.isr, [1, 2], "written to the coordinator");
  assert.equal(t.node.notifications, 1, "the controller is told through an ISR change notification");
  assert.equal(t.partition.highWatermark, 4);
  assert.equal(await waiting, 0);
  assert.deepEqual(t.events.isr.at(-1), [[1, 2, 3], [1, 2], "shrink"]);
});

Deno.test("acks=all with an ISR below min.insync.replicas is refused; a shrink while waiting fails the ack", async () => {
  using t = setup({ isr: [1, 2] });
  t.partition.minInsyncReplicas = 2;
  t.partition.applyLeadership(leadNews([1, 2]));
  const appended = await t.partition.appendAsLeader(buildBatch(), { requiredAcks: -1 });
  const waiting = t.partition.waitForCommit(appended.nextOffset, 60_000);
  t.partition.recordFollowerFetch(2, 0);
  t.advance(LAG_MS + 1);
  t.partition.maybeShrinkIsr();
  await settle();
  assert.deepEqual(t.partition.isr, [1]);
  assert.equal(await waiting, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, "stored, but not acknowledged");
  await assert.rejects(
    t.partition.appendAsLeader(buildBatch(), { requiredAcks: -1 }),
    (error: unknown) => error instanceof KafkaError && error.code === ErrorCode.NOT_ENOUGH_REPLICAS,
  );
  // acks=1 is not guarded by min.insync.replicas.
  await t.partition.appendAsLeader(buildBatch(), { requiredAcks: 1 });
});

Deno.test("a follower that caught up rejoins; the expansion merges with the controller's concurrent change", async () => {
  using t = setup({ isr: [1, 2] });
  t.partition.applyLeadership(leadNews([1, 2]));
  await t.partition.appendAsLeader(buildBatch({ records: 2 }), { requiredAcks: 1 });
  t.partition.recordFollowerFetch(2, 2);
  assert.equal(t.partition.highWatermark, 2);
  // While 3's rejoin is being written, the controller removes 2 (say it died) in the same epoch.
  t.node.beforeNextWrite = () => t.node.set({ ...t.node.state, isr: [1] });
  t.partition.recordFollowerFetch(3, 2);
  await settle();
  assert.deepEqual(t.node.state.isr, [1, 3], "the write re-read the node and kept the controller's change");
  assert.deepEqual(t.partition.isr, [1, 3]);
  assert.deepEqual(t.events.isr.at(-1), [[1, 2], [1, 3], "expand"]);
});

Deno.test("a caught-up follower the cluster counts dead does not rejoin until it is live again", async () => {
  // Broker 3 is cut from the coordinator only: its session expired, the controller dropped it
  // from the ISR, and it still fetches here.
  const live = new Set([1, 2]);
  using t = setup({ isr: [1, 2], live });
  t.partition.applyLeadership(leadNews([1, 2]));
  t.partition.recordFollowerFetch(3, 0);
  await settle();
  assert.deepEqual(t.partition.isr, [1, 2], "not live: not written back into the ISR");
  assert.equal(t.node.writes, 0, "no ISR write for a dead broker");
  live.add(3); // it registered again and the controller's UpdateMetadata said so
  t.partition.recordFollowerFetch(3, 0);
  await settle();
  assert.deepEqual(t.partition.isr, [1, 2, 3]);
  assert.deepEqual(t.events.isr.at(-1), [[1, 2], [1, 2, 3], "expand"]);
});

Deno.test("a follower missing records of this epoch's start may not rejoin", async () => {
  using t = setup({ isr: [1, 2] });
  await (async () => {
    // Records from an earlier leadership: the new epoch starts at offset 3.
    t.partition.applyLeadership(leadNews([1, 2], 1));
    await t.partition.appendAsLeader(buildBatch({ records: 3 }), { requiredAcks: 1 });
  })();
  t.partition.applyLeadership({ leader: 2, leaderEpoch: 2, isr: [1, 2], replicas: [1, 2, 3] });
  t.partition.applyLeadership(leadNews([1, 2], 3));
  t.partition.recordFollowerFetch(3, 1);
  await settle();
  assert.deepEqual(t.partition.isr, [1, 2], "3 lacks offsets 1..2 written before this epoch began");
});

Deno.test("an ISR write that finds a newer leadership reports it instead of writing", async () => {
  using t = setup({ isr: [1, 2] });
  t.partition.applyLeadership(leadNews([1, 2]));
  t.node.set({ leader: 2, leaderEpoch: 2, isr: [2], controllerEpoch: 2 });
  t.partition.recordFollowerFetch(3, 0);
  await settle();
  assert.equal(t.node.writes, 0);
  assert.deepEqual(t.events.newerStates, [{ leader: 2, leaderEpoch: 2, isr: [2], controllerEpoch: 2 }]);
});

Deno.test("the leader told of a smaller ISR in its own epoch re-reads the node and adopts its ISR", async () => {
  using t = setup();
  t.partition.applyLeadership(leadNews([1, 2, 3]));
  const appended = await t.partition.appendAsLeader(buildBatch(), { requiredAcks: -1 });
  t.partition.recordFollowerFetch(2, 1);
  assert.equal(t.partition.highWatermark, 0, "3 never fetched");
  // The controller removed dead broker 3 in the leader's epoch.
  t.node.set({ ...t.node.state, isr: [1, 2] });
  assert.equal(t.partition.applyLeadership(leadNews([1, 2])), "unchanged");
  await settle();
  assert.deepEqual(t.partition.isr, [1, 2]);
  assert.equal(t.partition.highWatermark, appended.nextOffset);
});

Deno.test("a leader adopts a same-epoch ISR from news of a newer node version without reading the node", async () => {
  using t = setup();
  t.partition.applyLeadership({ ...leadNews([1, 2, 3]), zkVersion: 0 });
  const appended = await t.partition.appendAsLeader(buildBatch(), { requiredAcks: -1 });
  t.partition.recordFollowerFetch(2, 1);
  assert.equal(t.partition.highWatermark, 0, "3 never fetched");
  // The controller removed dead broker 3 in the leader's epoch (version 1) and says so.
  t.node.set({ ...t.node.state, isr: [1, 2] });
  assert.equal(t.partition.applyLeadership({ ...leadNews([1, 2]), zkVersion: 1 }), "unchanged");
  assert.deepEqual(t.partition.isr, [1, 2], "adopted at once");
  assert.equal(t.partition.highWatermark, appended.nextOffset, "the high watermark no longer waits for 3");
  await settle();
  assert.equal(t.node.reads, 0, "the node was not read");
  assert.deepEqual(t.events.isr.at(-1), [[1, 2, 3], [1, 2], "controller"]);
});

Deno.test("news older than the leader's own ISR write changes nothing; news of unknown version re-reads", async () => {
  using t = setup();
  t.partition.applyLeadership({ ...leadNews([1, 2, 3]), zkVersion: 0 });
  t.advance(LAG_MS + 1);
  t.partition.recordFollowerFetch(2, 0);
  t.partition.maybeShrinkIsr(); // 3 lags: the leader writes [1, 2] (version 1)
  await settle();
  assert.deepEqual([t.node.state.isr, t.node.version], [[1, 2], 1]);
  // A LeaderAndIsr built from version 0 (sent before the leader's write) arrives late.
  t.partition.applyLeadership({ ...leadNews([1, 2, 3]), zkVersion: 0 });
  assert.deepEqual(t.partition.isr, [1, 2], "stale news does not bring 3 back");
  const readsBefore = t.node.reads;
  // News without a version (an older controller's path) is checked against the node.
  t.node.set({ ...t.node.state, isr: [1] });
  t.partition.applyLeadership(leadNews([1]));
  await settle();
  assert.equal(t.node.reads, readsBefore + 1, "read once");
  assert.deepEqual(t.partition.isr, [1]);
});

Deno.test("a member the controller dropped while the leader still saw it is written back when it fetches again", async () => {
  using t = setup();
  t.partition.applyLeadership(leadNews([1, 2, 3]));
  t.partition.recordFollowerFetch(2, 0);
  t.partition.recordFollowerFetch(3, 0);
  // Broker 3 restarts: its old session expired, so the controller dropped it in the leader's
  // epoch, while the leader still had a fetch of it.
  t.node.set({ ...t.node.state, isr: [1, 2] });
  t.partition.applyLeadership(leadNews([1, 2]));
  await settle();
  assert.deepEqual(t.partition.isr, [1, 2], "the leader adopts the node's ISR");
  t.partition.recordFollowerFetch(3, 0);
  await settle();
  assert.deepEqual(t.node.state.isr, [1, 2, 3], "its next fetch writes it back into the node");
  assert.deepEqual(t.partition.isr, [1, 2, 3]);
});

Deno.test("under fsync=always an append resolves only once it is on disk", async () => {
  using t = setup({ isr: [1], fsyncAlways: true });
  t.partition.applyLeadership(leadNews([1]));
  const appended = await t.partition.appendAsLeader(buildBatch({ records: 3 }), { requiredAcks: 1 });
  assert.equal(t.partition.log.recoveryPoint, appended.nextOffset);
});

Deno.test("a producer's batch is validated once, by the log: bad CRC, old magic and zstd before Produce v7", async () => {
  using t = setup({ isr: [1] });
  t.partition.applyLeadership(leadNews([1]));
  const corrupt = buildBatch();
  corrupt[corrupt.length - 1] ^= 0xff;
  await assert.rejects(t.partition.appendAsLeader(corrupt, { requiredAcks: 1 }), /CRC/i);
  const oldMagic = buildBatch();
  oldMagic[16] = 1;
  await assert.rejects(
    t.partition.appendAsLeader(oldMagic, { requiredAcks: 1 }),
    (error: { errorCode?: number }) => error.errorCode === ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
  );
  const zstd = buildBatch();
  zstd[22] |= 4; // attributes low byte: codec 4 = zstd (the CRC covers it, so recompute)
  const { crc32c } = await import("../../../src/wire/crc32c.ts");
  new DataView(zstd.buffer).setUint32(17, crc32c(zstd, 21, zstd.length));
  await assert.rejects(
    t.partition.appendAsLeader(zstd, { requiredAcks: 1, zstdAllowed: false }),
    (error: { errorCode?: number }) => error.errorCode === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  );
  assert.equal(t.partition.logEndOffset, 0, "nothing was appended");
});

Deno.test("a follower appends a leader's batches as they are and learns the high watermark", () => {
  using t = setup();
  t.partition.applyLeadership({ leader: 2, leaderEpoch: 3, isr: [1, 2], replicas: [1, 2, 3] });
  assert.equal(t.partition.appendAsFollower(buildBatch({ records: 4, baseOffset: 0, epoch: 3 })), 4);
  t.partition.updateFollowerHighWatermark(10);
  assert.equal(t.partition.highWatermark, 4, "never above its own log end");
  assert.equal(t.partition.latestEpoch, 3);
  assert.throws(() => t.partition.appendAsFollower(buildBatch({ records: 1, baseOffset: 2, epoch: 3 })));
  assert.equal(t.partition.logEndOffset, 4);
});
