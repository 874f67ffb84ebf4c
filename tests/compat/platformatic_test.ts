/**
 * @platformatic/kafka (>= 2.11, non-flexible fallbacks) against a real broker process: its
 * producer sends keyed records with headers; every record reads back through the raw Fetch API.
 * Its admin creates the topic.
 */
import assert from "node:assert/strict";
import { Admin, Producer, stringSerializers } from "@platformatic/kafka";
import { startCluster } from "../helpers/cluster.ts";
import { RawKafka, text } from "../integration/broker-harness.ts";

Deno.test({
  name: "@platformatic/kafka producer with keys and headers against the broker",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using cluster = await startCluster();
    const port = cluster.broker(1).port;
    const admin = new Admin({ clientId: "compat-admin", bootstrapBrokers: [`127.0.0.1:${port}`] });
    try {
      await admin.createTopics({ topics: ["pk"], partitions: 2, replicas: 1 });
    } finally {
      await admin.close();
    }
    await using raw = await RawKafka.connect(port);
    const metadata = await raw.metadata(["pk"]);
    assert.equal(metadata.topics[0].partitions.length, 2);

    const producer = new Producer({
      clientId: "compat",
      bootstrapBrokers: [`127.0.0.1:${port}`],
      serializers: stringSerializers,
    });
    const sent = 100;
    try {
      for (let i = 0; i < sent; i += 25) {
        await producer.send({
          acks: -1,
          messages: Array.from({ length: 25 }, (_, j) => ({
            topic: "pk",
            key: `k${i + j}`,
            value: `v${i + j}`,
            headers: { source: "platformatic" },
          })),
        });
      }
    } finally {
      await producer.close();
    }

    const records = [...await raw.readAll("pk", 0), ...await raw.readAll("pk", 1)];
    assert.equal(records.length, sent);
    for (const record of records) {
      const key = text(record.key)!;
      assert.equal(text(record.value), `v${key.slice(1)}`);
      assert.deepEqual(record.headers.map((h) => [h.key, text(h.value)]), [["source", "platformatic"]]);
    }
  },
});
