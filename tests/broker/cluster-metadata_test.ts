import assert from "node:assert/strict";
import { ClusterMetadata } from "../../src/broker/cluster-metadata.ts";
import type { Coordination, MultiOp, VersionedData } from "../../src/broker/coordination.ts";
import {
  encodeBrokerEndpoint,
  encodePartitionState,
  encodeTopicAssignment,
  partitionStatePath,
  topicPath,
} from "../../src/broker/zk-layout.ts";

/** An in-memory znode tree with one-shot watches, enough for ClusterMetadata. */
class FakeCoordination implements Coordination {
  nodes = new Map<string, VersionedData>();
  #dataWatches = new Map<string, (() => void)[]>();
  #childWatches = new Map<string, (() => void)[]>();

  #fire(map: Map<string, (() => void)[]>, path: string) {
    const watches = map.get(path) ?? [];
    map.delete(path);
    for (const watch of watches) watch();
  }
  #parent(path: string) {
    return path.slice(0, path.lastIndexOf("/")) || "/";
  }
  set(path: string, data: Uint8Array) {
    const existed = this.nodes.get(path);
    this.nodes.set(path, {
      data,
      version: existed ? existed.version + 1 : 0,
      createdMs: existed?.createdMs ?? 0,
    });
    this.#fire(this.#dataWatches, path);
    if (!existed) this.#fire(this.#childWatches, this.#parent(path));
  }
  remove(path: string) {
    for (const key of [...this.nodes.keys()]) {
      if (key === path || key.startsWith(`${path}/`)) this.nodes.delete(key);
    }
    this.#fire(this.#dataWatches, path);
    this.#fire(this.#childWatches, this.#parent(path));
  }
  ensurePath() {
    return Promise.resolve();
  }
  create(path: string, data: Uint8Array) {
    this.set(path, data);
    return Promise.resolve();
  }
  createEphemeral(path: string, data: Uint8Array) {
    return this.create(path, data);
  }
  createSequential(): Promise<string> {
    return Promise.reject(new Error("not used by ClusterMetadata"));
  }
  put(path: string, data: Uint8Array) {
    return this.create(path, data);
  }
  getData(path: string, watch?: () => void) {
    const node = this.nodes.get(path) ?? null;
    if (node && watch) this.#dataWatches.set(path, [...this.#dataWatches.get(path) ?? [], watch]);
    return Promise.resolve(node);
  }
  setData(path: string, data: Uint8Array) {
    return this.create(path, data);
  }
  getChildren(path: string, watch?: () => void) {
    if (watch) this.#childWatches.set(path, [...this.#childWatches.get(path) ?? [], watch]);
    const children = [...this.nodes.keys()].filter((key) => this.#parent(key) === path).map((key) =>
      key.slice(path.length + 1)
    );
    return Promise.resolve(children);
  }
  deleteRecursive(path: string) {
    this.remove(path);
    return Promise.resolve();
  }
  multi(_ops: MultiOp[]) {
    return Promise.resolve();
  }
  onExpired() {}
  close() {
    return Promise.resolve();
  }
}

function addTopic(zk: FakeCoordination, name: string, leader: number, epoch = 0) {
  zk.set(topicPath(name), encodeTopicAssignment([[leader]]));
  zk.set(
    partitionStatePath(name, 0),
    encodePartitionState({ leader, leaderEpoch: epoch, isr: [leader], controllerEpoch: 0 }),
  );
}

Deno.test("watches keep the snapshot current: brokers, topics, partition states", async () => {
  const zk = new FakeCoordination();
  zk.set("/brokers/ids/2", encodeBrokerEndpoint({ brokerId: 2, host: "h2", port: 2, rack: null }));
  zk.set("/brokers/ids/1", encodeBrokerEndpoint({ brokerId: 1, host: "h1", port: 1, rack: null }));
  addTopic(zk, "a", 1);
  const metadata = new ClusterMetadata(zk);
  await metadata.refresh();
  assert.deepEqual([...metadata.snapshot.brokers.keys()].sort(), [1, 2]);
  assert.equal(metadata.snapshot.controllerId, 1);
  assert.equal(metadata.snapshot.topics.get("a")!.partitions[0].state!.leader, 1);

  const changed = new Promise<void>((resolve) =>
    metadata.onChange((s) =>
      s.topics.get("a")?.partitions[0].state?.leaderEpoch === 3 ? resolve() : undefined
    )
  );
  zk.set(
    partitionStatePath("a", 0),
    encodePartitionState({ leader: 2, leaderEpoch: 3, isr: [2], controllerEpoch: 0 }),
  );
  await changed;
  zk.remove("/brokers/ids/1");
  await metadata.refresh();
  assert.deepEqual([...metadata.snapshot.brokers.keys()], [2]);
  assert.equal(metadata.snapshot.controllerId, 2);
  metadata.close();
});

Deno.test("refresh() called while listeners of an earlier read run still sees the later change", async () => {
  const zk = new FakeCoordination();
  const metadata = new ClusterMetadata(zk);
  let release = () => {};
  let block = true;
  metadata.onChange(async () => {
    if (block) {
      block = false;
      await new Promise<void>((resolve) => release = resolve);
    }
  });
  const first = metadata.refresh(); // its listener blocks after the read
  await new Promise((resolve) => setTimeout(resolve, 10));
  addTopic(zk, "late", 1); // a change after the first read finished
  const second = metadata.refresh();
  release();
  await first;
  await second;
  assert.ok(metadata.snapshot.topics.has("late"));
  metadata.close();
});

Deno.test("malformed znodes are skipped, not fatal", async () => {
  const zk = new FakeCoordination();
  zk.set("/brokers/ids/1", new TextEncoder().encode("garbage"));
  zk.set(topicPath("bad"), new TextEncoder().encode("{}"));
  addTopic(zk, "good", 1);
  const metadata = new ClusterMetadata(zk);
  await metadata.refresh();
  assert.equal(metadata.snapshot.brokers.size, 0);
  assert.deepEqual([...metadata.snapshot.topics.keys()], ["good"]);
  metadata.close();
});
