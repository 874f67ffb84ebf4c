import assert from "node:assert/strict";
import { ReplicaManager } from "../../src/broker/replica-manager.ts";
import type { ClusterSnapshot, TopicMetadata } from "../../src/broker/cluster-metadata.ts";
import type { ReplicaLog } from "../../src/broker/replica-log.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";

class FakeLog implements ReplicaLog {
  closed = false;
  logStartOffset = 0;
  logEndOffset = 5;
  highWatermark = 0;
  appendAsLeader() {
    return Promise.resolve({ baseOffset: 0, nextOffset: 0, logAppendTimeMs: -1 });
  }
  read() {
    return Promise.resolve(new Uint8Array());
  }
  offsetForTimestamp() {
    return Promise.resolve(null);
  }
  setHighWatermark(offset: number) {
    this.highWatermark = offset;
  }
  maintain() {
    return Promise.resolve();
  }
  close() {
    this.closed = true;
    return Promise.resolve();
  }
}

function topic(name: string, partitions: [number[], number, number][]): TopicMetadata {
  return {
    name,
    configs: {},
    partitions: partitions.map(([replicas, leader, leaderEpoch], partition) => ({
      partition,
      replicas,
      state: { leader, leaderEpoch, isr: [leader], controllerEpoch: 0 },
    })),
  };
}

function snapshot(...topics: TopicMetadata[]): ClusterSnapshot {
  return {
    brokers: new Map([[1, { brokerId: 1, host: "h", port: 1, rack: null }]]),
    topics: new Map(topics.map((t) => [t.name, t])),
    controllerId: 1,
  };
}

function manager() {
  const opened: string[] = [];
  const removed: string[] = [];
  const logs = new Map<string, FakeLog>();
  const replicas = new ReplicaManager(1, (t, p) => {
    opened.push(`${t}-${p}`);
    const log = new FakeLog();
    logs.set(`${t}-${p}`, log);
    return log;
  }, (t, p) => void removed.push(`${t}-${p}`));
  const leadership: string[] = [];
  replicas.onLeadershipChange((partition, isLeader) => void leadership.push(`${partition.key}=${isLeader}`));
  return { replicas, opened, removed, logs, leadership };
}

Deno.test("hosts exactly the partitions naming this broker and reports leadership changes", async () => {
  const { replicas, opened, logs, leadership } = manager();
  await replicas.apply(snapshot(topic("t", [[[1], 1, 0], [[2], 2, 0], [[2, 1], 2, 0]])));
  assert.deepEqual(opened, ["t-0", "t-2"]);
  assert.deepEqual(leadership, ["t:0=true"]);
  // Alone in its ISR, the leader commits its whole log (e.g. after a restart).
  assert.equal(logs.get("t-0")!.highWatermark, 5);
  const s = snapshot(topic("t", [[[1], 1, 0], [[2], 2, 0], [[2, 1], 1, 1]]));
  await replicas.apply(s);
  assert.deepEqual(leadership, ["t:0=true", "t:2=true"]);
  assert.equal(replicas.leaderFor(s, "t", 2).errorCode, 0);
  assert.equal(replicas.leaderFor(s, "t", 1).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(replicas.leaderFor(s, "t", 9).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(replicas.leaderFor(s, "u", 0).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

Deno.test("a stale partition state never moves the leader epoch backwards", async () => {
  const { replicas } = manager();
  await replicas.apply(snapshot(topic("t", [[[1, 2], 2, 5]])));
  await replicas.apply(snapshot(topic("t", [[[1, 2], 1, 4]])));
  const hosted = replicas.get("t", 0)!;
  assert.deepEqual([hosted.leader, hosted.leaderEpoch], [2, 5]);
});

Deno.test("only a topic seen and then gone is removed from disk", async () => {
  const { replicas, removed, logs, leadership } = manager();
  await replicas.apply(snapshot(topic("a", [[[1], 1, 0]]), topic("b", [[[1], 1, 0]])));
  await replicas.apply(snapshot(topic("b", [[[1], 1, 0]])));
  assert.deepEqual(removed, ["a-0"]);
  assert.equal(logs.get("a-0")!.closed, true);
  assert.ok(leadership.includes("a:0=false"));
  await replicas.close();
  assert.equal(logs.get("b-0")!.closed, true);
});
