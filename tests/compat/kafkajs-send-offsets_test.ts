/**
 * kafkajs (unmodified) consume-transform-produce: `transaction.sendOffsets` inside a transaction
 * commits the consumer group's offsets only when the transaction commits — an aborted
 * transaction's offsets never become the group's, a committed one's do (read back with kafkajs'
 * own admin.fetchOffsets).
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";

const BROKER_ARGS = ["--transaction-state-partitions", "5", "--offsets-topic-partitions", "5"];

Deno.test({
  name: "kafkajs sendOffsets commits group offsets only when the transaction commits",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using cluster = await startCluster({ brokerArgs: BROKER_ARGS });
    const kafka = new Kafka({
      clientId: "send-offsets-compat",
      brokers: [`127.0.0.1:${cluster.broker(1).port}`],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({
      transactionalId: "payments-1",
      idempotent: true,
      maxInFlightRequests: 1,
    });
    try {
      assert.equal(
        await admin.createTopics({
          topics: [{ topic: "orders", numPartitions: 1 }, { topic: "payments", numPartitions: 1 }],
          waitForLeaders: true,
        }),
        true,
      );
      await producer.connect();
      const committedOffset = async () => {
        const [topic] = await admin.fetchOffsets({ groupId: "payers", topics: ["orders"] });
        return topic.partitions.find((p) => p.partition === 0)!.offset;
      };

      const aborted = await producer.transaction();
      await aborted.send({ topic: "payments", messages: [{ key: "c1", value: "p1", partition: 0 }] });
      await aborted.sendOffsets({
        consumerGroupId: "payers",
        topics: [{ topic: "orders", partitions: [{ partition: 0, offset: "7" }] }],
      });
      await aborted.abort();
      assert.equal(await committedOffset(), "-1", "an aborted transaction commits no offsets");

      const committed = await producer.transaction();
      await committed.send({ topic: "payments", messages: [{ key: "c1", value: "p1", partition: 0 }] });
      await committed.sendOffsets({
        consumerGroupId: "payers",
        topics: [{ topic: "orders", partitions: [{ partition: 0, offset: "3" }] }],
      });
      assert.equal(await committedOffset(), "-1", "not visible before the commit");
      await committed.commit();
      // EndTxn usually answers after the markers are written; on a loaded machine they may follow.
      await eventually("the committed transaction's offset", async () => await committedOffset() === "3");
    } finally {
      await producer.disconnect().catch(() => {}); // the verdict is in; a failed disconnect changes nothing
      await admin.disconnect();
    }
  },
});
