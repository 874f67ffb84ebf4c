/**
 * The client library against real processes (coordinator + one broker over TCP): admin,
 * produce/consume round trips with keys, headers, every compression codec and every acks
 * setting, consumer start positions, error paths. One cluster serves the steps of a test.
 */
import assert from "node:assert/strict";
import { Admin } from "../../src/client/admin.ts";
import { Consumer, type ConsumerRecord } from "../../src/client/consumer.ts";
import { type AcknowledgedBatch, Producer, type ProducerRecord } from "../../src/client/producer.ts";
import { keyedPartition } from "../../src/client/partitioner.ts";
import { BrokerUnreachableError } from "../../src/client/errors.ts";
import { KafkaError } from "../../src/kafka/errors.ts";
import { startCluster } from "../helpers/cluster.ts";
import { freePort } from "../helpers/program.ts";

const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);

/** Read until `count` records arrived (generous timeout for a busy machine). */
async function readRecords(consumer: Consumer, count: number, timeoutMs = 60_000): Promise<ConsumerRecord[]> {
  const records: ConsumerRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (records.length < count && Date.now() < deadline) records.push(...await consumer.poll(1_000));
  return records;
}

Deno.test({
  name: "client library against a real broker",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using cluster = await startCluster();
    const bootstrap = cluster.bootstrap;
    const admin = new Admin({ bootstrap });
    try {
      await t.step("admin creates, lists, describes and deletes topics; describes the cluster", async () => {
        await admin.createTopics([{ name: "admin-a", partitions: 3 }, { name: "admin-b", partitions: 1 }]);
        await assert.rejects(
          admin.createTopics([{ name: "admin-a", partitions: 1 }]),
          /TOPIC_ALREADY_EXISTS/,
        );
        const names = await admin.listTopics();
        assert.ok(names.includes("admin-a") && names.includes("admin-b"), names.join(","));
        const [a] = await admin.describeTopics(["admin-a"]);
        assert.deepEqual(a.partitions.map((p) => p.partition), [0, 1, 2]);
        for (const p of a.partitions) {
          assert.equal(p.leader, 1);
          assert.deepEqual(p.replicas, [1]);
          assert.deepEqual(p.isr, [1]);
          assert.equal(p.logStartOffset, 0);
          assert.equal(p.highWatermark, 0);
          assert.ok(p.leaderEpoch >= 0);
        }
        const description = await admin.describeCluster();
        assert.equal(description.controllerId, 1);
        assert.deepEqual(description.brokers.map((b) => [b.nodeId, b.port]), [[1, cluster.brokers[0].port]]);
        await admin.deleteTopics(["admin-b"]);
        assert.ok(!(await admin.listTopics()).includes("admin-b"));
        await assert.rejects(admin.describeTopics(["admin-b"]), /UNKNOWN_TOPIC_OR_PARTITION/);
      });

      await t.step(
        "keyed records land in murmur2 partitions; keys, headers, timestamps survive",
        async () => {
          await admin.createTopics([{ name: "keyed", partitions: 4 }]);
          await using producer = new Producer({ bootstrap, lingerMs: 2 });
          const sent = await Promise.all(Array.from({ length: 200 }, (_, i) =>
            producer.send({
              topic: "keyed",
              key: `key-${i % 20}`,
              value: `value-${i}`,
              headers: [{ key: "index", value: String(i) }, { key: "nothing", value: null }],
              timestamp: 1_600_000_000_000 + i,
            })));
          for (const [i, meta] of sent.entries()) {
            assert.equal(meta.partition, keyedPartition(new TextEncoder().encode(`key-${i % 20}`), 4));
          }
          await using consumer = new Consumer({ bootstrap });
          await consumer.assignTopic("keyed", "earliest");
          const records = await readRecords(consumer, 200);
          assert.equal(records.length, 200);
          const byValue = new Map(records.map((r) => [text(r.value), r]));
          for (const [i, meta] of sent.entries()) {
            const record = byValue.get(`value-${i}`)!;
            assert.equal(text(record.key), `key-${i % 20}`);
            assert.equal(record.partition, meta.partition);
            assert.equal(record.offset, meta.offset);
            assert.equal(record.timestamp, 1_600_000_000_000 + i);
            assert.deepEqual(record.headers.map((h) => [h.key, text(h.value)]), [["index", String(i)], [
              "nothing",
              null,
            ]]);
          }
          // Within a partition, offsets are dense and in send order.
          for (let p = 0; p < 4; p++) {
            const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
            assert.deepEqual(offsets, offsets.map((_, i) => i));
          }
        },
      );

      for (const compression of ["gzip", "snappy", "lz4", "zstd"] as const) {
        await t.step(`${compression} batches round-trip`, async () => {
          const topic = `compressed-${compression}`;
          await admin.createTopics([{ name: topic, partitions: 1 }]);
          await using producer = new Producer({ bootstrap, compression });
          await producer.connect([topic]);
          for (let i = 0; i < 1000; i++) {
            producer.produce({ topic, key: null, value: `record ${i} `.repeat(5) });
          }
          await producer.flush();
          assert.equal(producer.acknowledgedRecords, 1000);
          await using consumer = new Consumer({ bootstrap });
          await consumer.assign([{ topic, partition: 0, from: "earliest" }]);
          const records = await readRecords(consumer, 1000);
          assert.deepEqual(records.map((r) => r.offset), records.map((_, i) => i));
          assert.equal(text(records[999].value), "record 999 ".repeat(5));
        });
      }

      for (const acks of [0, 1, "all"] as const) {
        await t.step(`acks=${acks}: every record is stored`, async () => {
          const topic = `acks-${acks}`;
          await admin.createTopics([{ name: topic, partitions: 2 }]);
          await using producer = new Producer({ bootstrap, acks });
          const first = await producer.send({ topic, key: "k", value: "first" });
          assert.equal(first.offset, acks === 0 ? -1 : 0);
          await producer.connect([topic]);
          for (let i = 0; i < 500; i++) producer.produce({ topic, value: `v${i}` });
          await producer.flush();
          await using consumer = new Consumer({ bootstrap });
          await consumer.assignTopic(topic, "earliest");
          const records = await readRecords(consumer, 501);
          assert.equal(records.length, 501);
          assert.deepEqual(new Set(records.map((r) => text(r.value))).size, 501);
        });
      }

      await t.step("consumer starts at earliest, latest, an offset or a timestamp", async () => {
        const topic = "positions";
        await admin.createTopics([{ name: topic, partitions: 1 }]);
        await using producer = new Producer({ bootstrap });
        const base = 1_700_000_000_000;
        for (let i = 0; i < 10; i++) {
          await producer.send({ topic, partition: 0, value: `r${i}`, timestamp: base + i * 1000 });
        }
        const firstOffsetFrom = async (from: Parameters<Consumer["seek"]>[2]) => {
          await using consumer = new Consumer({ bootstrap });
          await consumer.assign([{ topic, partition: 0, from }]);
          const [first] = await readRecords(consumer, 1);
          return first.offset;
        };
        assert.equal(await firstOffsetFrom("earliest"), 0);
        assert.equal(await firstOffsetFrom(7), 7);
        assert.equal(await firstOffsetFrom({ timestamp: base + 4500 }), 5);
        // "latest" and a timestamp after the last record see only what is produced afterwards.
        for (const from of ["latest", { timestamp: Date.now() + 3_600_000 }] as const) {
          await using consumer = new Consumer({ bootstrap });
          await consumer.assign([{ topic, partition: 0, from }]);
          assert.deepEqual(await consumer.poll(300), []);
          const { offset } = await producer.send({
            topic,
            partition: 0,
            value: "late",
            timestamp: base + 20_000,
          });
          const [record] = await readRecords(consumer, 1);
          assert.equal(record.offset, offset);
          assert.equal(text(record.value), "late");
          assert.equal(consumer.position(topic, 0), offset + 1);
        }
      });

      await t.step("an offset past the end resets by policy, or fails with 'none'", async () => {
        const topic = "positions";
        await using resetting = new Consumer({ bootstrap, autoOffsetReset: "earliest" });
        await resetting.assign([{ topic, partition: 0, from: 1_000_000 }]);
        const [first] = await readRecords(resetting, 1);
        assert.equal(first.offset, 0);
        await using strict = new Consumer({ bootstrap, autoOffsetReset: "none" });
        await strict.assign([{ topic, partition: 0, from: 1_000_000 }]);
        await assert.rejects(
          (async () => {
            for (let i = 0; i < 60; i++) await strict.poll(1_000);
          })(),
          (error: Error) => error instanceof KafkaError && error.type === "OFFSET_OUT_OF_RANGE",
        );
      });

      await t.step("a missing topic and a dead broker are clear errors", async () => {
        await using producer = new Producer({ bootstrap, retries: 1, retryBackoffMs: 10 });
        await assert.rejects(
          producer.send({ topic: "does-not-exist", value: "x" }),
          (error: Error) => error instanceof KafkaError && error.type === "UNKNOWN_TOPIC_OR_PARTITION",
        );
        await using consumer = new Consumer({ bootstrap });
        await assert.rejects(
          consumer.assign([{ topic: "does-not-exist", partition: 0 }]),
          /UNKNOWN_TOPIC_OR_PARTITION/,
        );
        const nobody = new Admin({ bootstrap: `127.0.0.1:${freePort()}` });
        await assert.rejects(nobody.listTopics(), BrokerUnreachableError);
        nobody.close();
      });

      await t.step("a custom partitioner decides; one that answers out of range is refused", async () => {
        await admin.createTopics([{ name: "custom", partitions: 3 }]);
        await using producer = new Producer({
          bootstrap,
          partitioner: (_topic, key, count) => (key?.length ?? 0) % count,
        });
        assert.equal((await producer.send({ topic: "custom", key: "ab", value: "x" })).partition, 2);
        assert.equal((await producer.send({ topic: "custom", value: "y" })).partition, 0);
        await using broken = new Producer({ bootstrap, partitioner: () => 7 });
        await assert.rejects(broken.send({ topic: "custom", value: "z" }), /Partitioner returned 7/);
      });

      await t.step("paused partitions are not fetched until resumed, positions kept", async () => {
        await admin.createTopics([{ name: "pausing", partitions: 2 }]);
        await using producer = new Producer({ bootstrap });
        for (let i = 0; i < 10; i++) {
          await producer.send({ topic: "pausing", partition: i % 2, value: `p${i}` });
        }
        await using consumer = new Consumer({ bootstrap });
        await consumer.assignTopic("pausing", "earliest");
        consumer.pause([{ topic: "pausing", partition: 1 }]);
        assert.deepEqual(consumer.paused(), [{ topic: "pausing", partition: 1 }]);
        const early: ConsumerRecord[] = [];
        while (early.length < 5) early.push(...await consumer.poll(1_000));
        assert.deepEqual(new Set(early.map((r) => r.partition)), new Set([0]));
        // Nothing from partition 1 arrives while paused (several fetch rounds pass).
        for (let i = 0; i < 3; i++) assert.deepEqual(await consumer.poll(300), []);
        consumer.resume([{ topic: "pausing", partition: 1 }]);
        const late = await readRecords(consumer, 5);
        assert.deepEqual(late.map((r) => [r.partition, r.offset]), [[1, 0], [1, 1], [1, 2], [1, 3], [1, 4]]);
        assert.equal(consumer.position("pausing", 1), 5);
      });

      await t.step("send() of many records pipelines requests and resolves every offset", async () => {
        const topic = "many";
        await admin.createTopics([{ name: topic, partitions: 3 }]);
        await using producer = new Producer({ bootstrap, batchBytes: 4096, lingerMs: 1 });
        const records: ProducerRecord[] = Array.from({ length: 5000 }, (_, i) => ({ topic, value: `m${i}` }));
        const results = await Promise.all(records.map((r) => producer.send(r)));
        const perPartition = new Map<number, number[]>();
        for (const r of results) {
          perPartition.set(r.partition, [...(perPartition.get(r.partition) ?? []), r.offset]);
        }
        let total = 0;
        for (const offsets of perPartition.values()) {
          total += offsets.length;
          assert.deepEqual([...offsets].sort((a, b) => a - b), offsets.map((_, i) => i));
        }
        assert.equal(total, 5000);
      });

      await t.step("maxPollRecords: polls hand out whole batches up to the bound, all in order", async () => {
        const topic = "poll-bound";
        await admin.createTopics([{ name: topic, partitions: 1 }]);
        await using producer = new Producer({ bootstrap, acks: 1 });
        await producer.connect([topic]);
        for (let batch = 0; batch < 3; batch++) {
          for (let i = 0; i < 100; i++) {
            producer.produce({ topic, partition: 0, value: `p${batch * 100 + i}` });
          }
          await producer.flush(); // one stored batch of 100 each time
        }
        assert.throws(() => new Consumer({ bootstrap, maxPollRecords: 0 }), /maxPollRecords/);
        await using consumer = new Consumer({ bootstrap, maxPollRecords: 150 });
        await consumer.assign([{ topic, partition: 0, from: "earliest" }]);
        const sizes: number[] = [];
        const offsets: number[] = [];
        const deadline = Date.now() + 60_000;
        while (offsets.length < 300 && Date.now() < deadline) {
          const records = await consumer.poll(1_000);
          if (records.length > 0) sizes.push(records.length);
          offsets.push(...records.map((r) => r.offset));
        }
        assert.deepEqual(offsets, Array.from({ length: 300 }, (_, i) => i));
        // Whole batches of 100: a poll stops at the batch that reaches 150.
        for (const size of sizes) assert.ok(size === 100 || size === 200, sizes.join(","));
        assert.equal(consumer.position(topic, 0), 300);
      });

      await t.step("onBatchStages reports every acknowledged batch once, its stages in order", async () => {
        const topic = "staged";
        await admin.createTopics([{ name: topic, partitions: 1 }]);
        const reported: AcknowledgedBatch[] = [];
        await using producer = new Producer({
          bootstrap,
          batchBytes: 2048,
          onBatchStages: (batch) => reported.push(structuredClone(batch)),
        });
        await producer.connect([topic]);
        for (let i = 0; i < 500; i++) producer.produce({ topic, partition: 0, value: `s${i}` });
        await producer.flush();
        assert.ok(reported.length > 1, `${reported.length} batches`); // 2 KiB batches: several
        reported.sort((a, b) => a.baseOffset - b.baseOffset);
        let next = 0;
        for (const { topic: name, partition, baseOffset, recordCount, attempts, stages } of reported) {
          assert.deepEqual([name, partition, baseOffset, attempts], [topic, 0, next, 1]);
          next += recordCount;
          const { createdMs, closedMs, sentMs, writtenMs, answeredMs } = stages;
          assert.ok(
            createdMs <= closedMs && closedMs <= sentMs && sentMs <= writtenMs && writtenMs <= answeredMs,
            JSON.stringify(stages),
          );
        }
        assert.equal(next, 500);
      });
    } finally {
      admin.close();
    }
  },
});
