import assert from "node:assert/strict";
import type { ClusterView } from "../../src/broker/cluster-tree.ts";
import { LEADER_DURING_DELETE, MetadataCache } from "../../src/broker/metadata-cache.ts";
import type { UpdateMetadataPartitionState } from "../../src/kafka/apis/update-metadata.ts";

function state(topic: string, partition: number, leader: number, leaderEpoch: number, isr = [leader]) {
  return {
    topicName: topic,
    partitionIndex: partition,
    controllerEpoch: 1,
    leader,
    leaderEpoch,
    isr,
    zkVersion: 0,
    replicas: [1, 2, 3],
  } satisfies UpdateMetadataPartitionState;
}

function update(brokers: number[], ...states: UpdateMetadataPartitionState[]) {
  return {
    controllerId: 2,
    controllerEpoch: 1,
    ungroupedPartitionStates: states,
    liveBrokers: brokers.map((id) => ({
      id,
      endpoints: [{ host: "127.0.0.1", port: 9000 + id, listener: "PLAINTEXT", securityProtocol: 0 }],
    })),
  };
}

Deno.test("UpdateMetadata payloads merge into the cache; leader -2 deletes a partition", () => {
  const cache = new MetadataCache();
  cache.applyUpdateMetadata(update([1, 2], state("t", 0, 1, 1), state("t", 1, 2, 1)));
  assert.deepEqual([...cache.brokers.keys()], [1, 2]);
  assert.equal(cache.brokers.get(2)?.port, 9002);
  assert.equal(cache.controllerId, 2);
  assert.ok(cache.hasPartitions("t", 2));
  // A delta: only partition 1 changed; partition 0 is kept.
  cache.applyUpdateMetadata(update([1, 2], state("t", 1, 1, 2, [1, 3])));
  assert.deepEqual(cache.partition("t", 1)?.state?.isr, [1, 3]);
  assert.equal(cache.partition("t", 0)?.state?.leader, 1);
  // A delayed older state never undoes a newer one.
  cache.applyUpdateMetadata(update([1, 2], state("t", 1, 2, 1)));
  assert.equal(cache.partition("t", 1)?.state?.leaderEpoch, 2);
  cache.applyUpdateMetadata(
    update([1], state("t", 0, LEADER_DURING_DELETE, -1), state("t", 1, LEADER_DURING_DELETE, -1)),
  );
  assert.equal(cache.topics.has("t"), false);
  assert.equal(cache.controllerId, 1, "a controller that is not live: the smallest live broker stands in");
});

Deno.test("a tree read replaces the cache but keeps a partition state newer than the read", () => {
  const cache = new MetadataCache();
  cache.applyUpdateMetadata(update([1, 2], state("t", 0, 2, 7), state("gone", 0, 1, 1)));
  const view: ClusterView = {
    brokers: new Map([[1, { brokerId: 1, host: "h", port: 1, rack: null }]]),
    registrations: new Map(),
    offlineReplicas: new Map(),
    topics: new Map([["t", {
      name: "t",
      assignment: [[1, 2], [1, 2]],
      configs: {},
      states: [
        { state: { leader: 1, leaderEpoch: 6, isr: [1], controllerEpoch: 1 }, version: 3 },
        { state: { leader: 1, leaderEpoch: 0, isr: [1, 2], controllerEpoch: 1 }, version: 0 },
      ],
      reassignments: new Map(),
      assignmentVersion: 0,
    }]]),
    controllerId: 1,
  };
  cache.replaceFromTree(view);
  assert.equal(cache.topics.has("gone"), false);
  assert.equal(cache.partition("t", 0)?.state?.leaderEpoch, 7, "the UpdateMetadata was newer than the read");
  assert.deepEqual(cache.partition("t", 1)?.state?.isr, [1, 2]);
  assert.deepEqual([...cache.brokers.keys()], [1]);
});

Deno.test("waitUntil resolves on the change that makes it true, or false at its timeout", async () => {
  const cache = new MetadataCache();
  const waiting = cache.waitUntil((c) => c.topics.has("t"), 10_000);
  cache.applyUpdateMetadata(update([1], state("t", 0, 1, 1)));
  assert.equal(await waiting, true);
  assert.equal(await cache.waitUntil((c) => c.topics.has("never"), 20), false);
  const released = cache.waitUntil(() => false, 10_000);
  cache.close();
  assert.equal(await released, false);
});
