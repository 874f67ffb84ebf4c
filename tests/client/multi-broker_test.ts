/**
 * Two brokers: partitions led by different brokers get their own Produce requests and
 * Fetches (one connection per leader), and nothing is lost or duplicated.
 */
import assert from "node:assert/strict";
import { Admin } from "../../src/client/admin.ts";
import { Consumer, type ConsumerRecord } from "../../src/client/consumer.ts";
import { keyedPartition } from "../../src/client/partitioner.ts";
import { Producer } from "../../src/client/producer.ts";
import { startCluster } from "../helpers/cluster.ts";

Deno.test({
  name: "producer and consumer spread over the leaders of two brokers",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await startCluster({ brokers: 2 });
    const bootstrap = cluster.bootstrap;
    const admin = new Admin({ bootstrap });
    let leaders: number[];
    try {
      await admin.createTopics([{ name: "spread", partitions: 6, replicationFactor: 1 }]);
      const [topic] = await admin.describeTopics(["spread"]);
      leaders = topic.partitions.map((p) => p.leader);
      assert.deepEqual(new Set(leaders), new Set([1, 2]), `leaders ${leaders}`);
      assert.deepEqual((await admin.describeCluster()).brokers.map((b) => b.nodeId), [1, 2]);
    } finally {
      admin.close();
    }
    await using producer = new Producer({ bootstrap, lingerMs: 2 });
    await producer.connect(["spread"]);
    for (let i = 0; i < 3000; i++) producer.produce({ topic: "spread", key: `key-${i}`, value: `v${i}` });
    await producer.flush();
    assert.equal(producer.acknowledgedRecords, 3000);

    await using consumer = new Consumer({ bootstrap });
    await consumer.assignTopic("spread", "earliest");
    const records: ConsumerRecord[] = [];
    const deadline = Date.now() + 60_000;
    while (records.length < 3000 && Date.now() < deadline) records.push(...await consumer.poll(1_000));
    assert.equal(records.length, 3000);
    const values = new Set(records.map((r) => new TextDecoder().decode(r.value!)));
    assert.equal(values.size, 3000);
    for (const record of records) assert.equal(record.partition, keyedPartition(record.key!, 6));
    for (let p = 0; p < 6; p++) {
      const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
      assert.deepEqual(offsets, offsets.map((_, i) => i), `partition ${p} (leader ${leaders[p]})`);
    }
  },
});
