/**
 * kafkajs 2.2.4 against a real broker process: its admin creates a topic and reads offsets, its
 * producer (plain and idempotent) sends keyed records with headers, and every record reads back
 * through the raw Fetch API with keys, values and headers intact. kafkajs has no consumer
 * without a group, so its consumer is left for the group coordinator issue.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startCluster } from "../helpers/cluster.ts";
import { RawKafka, text } from "../integration/broker-harness.ts";

Deno.test({
  name: "kafkajs admin and producer (keys, headers, idempotent) against the broker",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using cluster = await startCluster();
    const port = cluster.broker(1).port;
    const kafka = new Kafka({
      clientId: "compat",
      brokers: [`127.0.0.1:${port}`],
      logLevel: logLevel.NOTHING,
    });

    const admin = kafka.admin();
    await admin.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic: "js", numPartitions: 2 }] }), true);
    const metadata = await admin.fetchTopicMetadata({ topics: ["js"] });
    assert.deepEqual(metadata.topics[0].partitions.map((p) => p.leader).sort(), [1, 1]);

    const producer = kafka.producer();
    await producer.connect();
    const sent = 200;
    for (let i = 0; i < sent; i += 50) {
      await producer.send({
        topic: "js",
        acks: -1,
        messages: Array.from({ length: 50 }, (_, j) => ({
          key: `k${i + j}`,
          value: `v${i + j}`,
          headers: { source: "kafkajs", index: String(i + j) },
        })),
      });
    }
    const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await idempotent.connect();
    await idempotent.send({ topic: "js", messages: [{ key: "idem", value: "once", partition: 0 }] });
    await idempotent.disconnect();
    await producer.disconnect();

    const offsets = await admin.fetchTopicOffsets("js");
    const total = offsets.reduce((sum, p) => sum + Number(p.high), 0);
    assert.equal(total, sent + 1);
    await admin.disconnect();

    await using raw = await RawKafka.connect(port);
    const records = [...await raw.readAll("js", 0), ...await raw.readAll("js", 1)];
    assert.equal(records.length, sent + 1);
    for (const record of records) {
      const key = text(record.key)!;
      if (key === "idem") {
        assert.equal(text(record.value), "once");
        continue;
      }
      assert.equal(text(record.value), `v${key.slice(1)}`);
      const headers = Object.fromEntries(record.headers.map((h) => [h.key, text(h.value)]));
      assert.deepEqual(headers, { source: "kafkajs", index: key.slice(1) });
    }
  },
});
