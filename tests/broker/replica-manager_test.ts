/**
 * ReplicaManager without a process: real partition logs in a temporary data dir, leadership
 * news through LeaderAndIsr, StopReplica and reconciles with a tree read.
 */
import assert from "node:assert/strict";
import { setInvariantMode } from "../../src/assert.ts";
import type { ClusterView, TopicView } from "../../src/broker/cluster-tree.ts";
import { resolveBrokerConfig } from "../../src/broker/config.ts";
import { MetadataCache } from "../../src/broker/metadata-cache.ts";
import type { PartitionStateStore } from "../../src/broker/partition/isr-writer.ts";
import { IGNORE_PARTITION_EVENTS } from "../../src/broker/partition/partition.ts";
import { Purgatory } from "../../src/broker/purgatory.ts";
import { ReplicaManager } from "../../src/broker/replica-manager.ts";
import type { LeaderAndIsrPartitionState } from "../../src/kafka/apis/leader-and-isr.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { eventually, tempDir } from "../helpers/program.ts";
import { PartitionLog } from "../../src/storage/partition-log.ts";
import { syncCounts } from "../../src/storage/file-io.ts";
import { buildBatch } from "../storage/batches.ts";

setInvariantMode("throw");

const store: PartitionStateStore = {
  read: () => Promise.resolve(null),
  writeIsr: () => Promise.reject(new Error("no ISR writes in these tests")),
};

async function setup() {
  const dir = await tempDir();
  const metadata = new MetadataCache();
  const purgatory = new Purgatory(100);
  const configReads: string[] = [];
  const topicConfigs = new Map<string, Record<string, string>>();
  const replicas = new ReplicaManager({
    config: resolveBrokerConfig({ brokerId: 1, dataDir: dir.path }),
    metadata,
    purgatory,
    stateStore: store,
    readTopicConfigs: (topic) => {
      configReads.push(topic);
      return Promise.resolve(topicConfigs.get(topic) ?? {});
    },
    log: () => {},
  });
  const leadership: string[] = [];
  replicas.addObserver({
    ...IGNORE_PARTITION_EVENTS,
    leadershipChanged: (partition, isLeader) => void leadership.push(`${partition.key}=${isLeader}`),
  });
  return {
    dir: dir.path,
    replicas,
    metadata,
    configReads,
    topicConfigs,
    leadership,
    async [Symbol.asyncDispose]() {
      await replicas.close();
      purgatory.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

function state(topic: string, partition: number, replicas: number[], leader: number, leaderEpoch = 1) {
  return {
    topicName: topic,
    partitionIndex: partition,
    controllerEpoch: 1,
    leader,
    leaderEpoch,
    isr: replicas,
    zkVersion: 0,
    replicas,
    isNew: false,
  } satisfies LeaderAndIsrPartitionState;
}

function leaderAndIsr(controllerEpoch: number, ...states: LeaderAndIsrPartitionState[]) {
  return { controllerId: 1, controllerEpoch, ungroupedPartitionStates: states, liveLeaders: [] };
}

function topicView(name: string, assignment: number[][], leaders: number[], configs = {}): TopicView {
  return {
    name,
    assignment,
    configs,
    states: leaders.map((leader, p) => ({
      state: { leader, leaderEpoch: 1, isr: assignment[p], controllerEpoch: 1 },
      version: 0,
    })),
    reassignments: new Map(),
    assignmentVersion: 0,
  };
}

function view(...topics: TopicView[]): ClusterView {
  return {
    brokers: new Map(
      [1, 2].map((id) => [id, { brokerId: id, host: "127.0.0.1", port: 9000 + id, rack: null }]),
    ),
    registrations: new Map(),
    offlineReplicas: new Map(),
    topics: new Map(topics.map((t) => [t.name, t])),
    controllerId: 1,
  };
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("LeaderAndIsr hosts the partitions naming this broker and makes it leader or follower", async () => {
  await using t = await setup();
  const response = await t.replicas.becomeLeaderOrFollower(
    leaderAndIsr(1, state("a", 0, [1, 2], 1), state("a", 1, [2, 1], 2), state("a", 2, [2, 3], 2)),
  );
  assert.deepEqual(response.partitionErrors.map((e) => e.errorCode), [
    0,
    0,
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ]);
  assert.equal(t.replicas.get("a", 0)?.isLeader, true);
  assert.equal(t.replicas.get("a", 1)?.leader, 2);
  assert.equal(t.replicas.get("a", 2), undefined);
  assert.deepEqual(t.leadership, ["a:0=true"]);
  // Hosted, but nothing on disk until a partition's first write (thousands arrive at once).
  assert.equal(await exists(`${t.dir}/a-0`) || await exists(`${t.dir}/a-1`), false);
  t.replicas.get("a", 1)!.log.appendAsFollower(buildBatch({ records: 2 }));
  assert.ok(await exists(`${t.dir}/a-1`));
  assert.deepEqual(t.configReads, ["a"], "one config read for the topic, not one per partition");
  assert.equal(t.replicas.leaderFor("a", 0).errorCode, 0);
});

Deno.test("an older controller epoch is refused by LeaderAndIsr and StopReplica alike", async () => {
  await using t = await setup();
  await t.replicas.becomeLeaderOrFollower(leaderAndIsr(5, state("a", 0, [1, 2], 1)));
  const stale = await t.replicas.becomeLeaderOrFollower(leaderAndIsr(4, state("a", 0, [1, 2], 2, 9)));
  assert.equal(stale.errorCode, ErrorCode.STALE_CONTROLLER_EPOCH);
  assert.equal(t.replicas.get("a", 0)?.leaderEpoch, 1);
  const stop = await t.replicas.stopReplicas(4, [{ topicName: "a", partitionIndex: 0 }], true);
  assert.equal(stop.errorCode, ErrorCode.STALE_CONTROLLER_EPOCH);
  assert.ok(t.replicas.get("a", 0));
});

Deno.test("a stale leader epoch in LeaderAndIsr is answered FENCED_LEADER_EPOCH and changes nothing", async () => {
  await using t = await setup();
  await t.replicas.becomeLeaderOrFollower(leaderAndIsr(1, state("a", 0, [1, 2], 2, 5)));
  const response = await t.replicas.becomeLeaderOrFollower(leaderAndIsr(1, state("a", 0, [1, 2], 1, 4)));
  assert.equal(response.partitionErrors[0].errorCode, ErrorCode.FENCED_LEADER_EPOCH);
  assert.deepEqual([t.replicas.get("a", 0)?.leader, t.replicas.get("a", 0)?.leaderEpoch], [2, 5]);
});

Deno.test("StopReplica with delete stops the partition and removes its log, syncing nothing for it", async () => {
  await using t = await setup();
  await t.replicas.becomeLeaderOrFollower(leaderAndIsr(1, state("a", 0, [1], 1)));
  await t.replicas.get("a", 0)!.appendAsLeader(buildBatch({ records: 3 }), { requiredAcks: 1 });
  const before = { ...syncCounts };
  await t.replicas.stopReplicas(1, [{ topicName: "a", partitionIndex: 0 }], true);
  // A plain close would write and fsync a producer snapshot into the directory about to go.
  assert.deepEqual(syncCounts, before);
  assert.equal(t.replicas.get("a", 0), undefined);
  assert.equal(await exists(`${t.dir}/a-0`), false);
  assert.deepEqual(t.leadership, ["a:0=true", "a:0=false"]);
});

Deno.test("reconcile: only a topic seen in an earlier read and gone now is deleted from disk", async () => {
  await using t = await setup();
  // Hosted through LeaderAndIsr before any tree read saw the topic.
  await t.replicas.becomeLeaderOrFollower(leaderAndIsr(1, state("early", 0, [1], 1)));
  await t.replicas.reconcile(view(topicView("a", [[1]], [1]), topicView("b", [[1, 2]], [2])));
  for (const topic of ["early", "a"]) {
    t.replicas.get(topic, 0)!.log.appendAsFollower(buildBatch({ records: 1 }));
  }
  assert.ok(await exists(`${t.dir}/a-0`));
  assert.equal(t.replicas.get("b", 0)?.leader, 2, "the tree's state is applied like LeaderAndIsr");
  assert.ok(t.replicas.get("early", 0), "a topic never seen in a read is not deleted for its absence");
  await t.replicas.reconcile(view(topicView("b", [[1, 2]], [2])));
  assert.equal(t.replicas.get("a", 0), undefined);
  assert.equal(await exists(`${t.dir}/a-0`), false);
  assert.ok(await exists(`${t.dir}/early-0`));
});

Deno.test("reconcile: a partition no longer assigned here goes, and changed topic configs apply live", async () => {
  await using t = await setup();
  await t.replicas.reconcile(view(topicView("a", [[1, 2], [1, 2]], [1, 1])));
  assert.equal(t.replicas.get("a", 0)?.minInsyncReplicas, 1);
  await t.replicas.reconcile(
    view(topicView("a", [[1, 2], [2]], [1, 2], { "min.insync.replicas": "2", "retention.ms": "1000" })),
  );
  assert.equal(t.replicas.get("a", 1), undefined);
  assert.equal(await exists(`${t.dir}/a-1`), false);
  assert.equal(t.replicas.get("a", 0)?.minInsyncReplicas, 2);
  assert.equal(t.replicas.get("a", 0)?.log.config.retentionMs, 1000);
});

Deno.test("leaderFor tells a client why this broker cannot serve a partition", async () => {
  await using t = await setup();
  t.metadata.replaceFromTree(view(topicView("a", [[1, 2], [2]], [2, -1])));
  assert.equal(t.replicas.leaderFor("a", 0).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(t.replicas.leaderFor("a", 1).errorCode, ErrorCode.LEADER_NOT_AVAILABLE);
  assert.equal(t.replicas.leaderFor("a", 2).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(t.replicas.leaderFor("nope", 0).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

/** A cleanly closed log of 30 batches of 10 records in `dir`, with one bit flipped in its second segment. */
function damagedLog(dir: string): void {
  const log = PartitionLog.open({ dir, logger: () => {}, config: { segmentBytes: 4096 } });
  for (let i = 0; i < 30; i++) log.appendAsLeader(buildBatch({ records: 10, fill: i }), 0);
  log.close();
  const second = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".log")).sort()[1];
  const bytes = Deno.readFileSync(`${dir}/${second}`);
  bytes[Math.floor(bytes.length / 2)] ^= 0x10;
  Deno.writeFileSync(`${dir}/${second}`, bytes);
}

Deno.test("the start-up CRC check: a damaged follower out of the ISR truncates; a damaged leader goes offline and is reported", async () => {
  await using dir = await tempDir();
  damagedLog(`${dir.path}/a-0`);
  damagedLog(`${dir.path}/a-1`);
  const purgatory = new Purgatory(100);
  const reported: string[][] = [];
  const replicas = new ReplicaManager({
    config: resolveBrokerConfig({ brokerId: 1, dataDir: dir.path }),
    metadata: new MetadataCache(),
    purgatory,
    stateStore: store,
    readTopicConfigs: () => Promise.resolve({ "segment.bytes": "4096" }),
    onOfflineReplicas: (partitions) => reported.push(partitions.map((p) => `${p.topic}:${p.partition}`)),
    log: () => {},
  });
  try {
    // a-0 is led here; this broker follows a-1 and is not in its ISR (it was stopped).
    await replicas.becomeLeaderOrFollower(leaderAndIsr(1, state("a", 0, [1, 2], 1), {
      ...state("a", 1, [2, 1], 2),
      isr: [2],
    }));
    const led = replicas.get("a", 0)!;
    const followed = replicas.get("a", 1)!;
    assert.equal(followed.verified, false, "not fetched from until checked");
    await eventually("the check to finish", () => followed.verified && led.offline !== null, 10_000, 20);

    assert.ok(
      followed.logEndOffset > 0 && followed.logEndOffset < 300,
      `truncated to ${followed.logEndOffset}`,
    );
    assert.equal(followed.logEndOffset % 10, 0);
    assert.equal(followed.leader, 2, "still following");

    assert.match(led.offline ?? "", /damaged batch at offset \d+/);
    assert.equal(led.isLeader, false, "gave up leading");
    assert.equal(led.logEndOffset, 300, "a leader never truncates");
    assert.equal(replicas.leaderFor("a", 0).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.deepEqual(reported, [["a:0"]]);
    const again = await replicas.becomeLeaderOrFollower(leaderAndIsr(1, state("a", 0, [1, 2], 1, 2)));
    assert.deepEqual(again.partitionErrors.map((e) => e.errorCode), [ErrorCode.KAFKA_STORAGE_ERROR]);
  } finally {
    await replicas.close();
    purgatory.close();
  }
});
