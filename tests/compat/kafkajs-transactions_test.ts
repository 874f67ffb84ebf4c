/**
 * kafkajs (unmodified) transactions against a real broker process: a transactional producer
 * commits one transaction and aborts another; a read_committed kafkajs consumer sees exactly the
 * committed records while a read_uncommitted one sees all of them; a second producer with the
 * same transactional id fences the first, whose transaction then fails with the fencing error.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";

const BROKER_ARGS = ["--transaction-state-partitions", "5", "--group-initial-rebalance-delay-ms", "0"];

/** Every value a kafkajs consumer of `topic` sees, collected until the test stops it. */
async function collect(kafka: Kafka, groupId: string, topic: string, readUncommitted: boolean) {
  const consumer = kafka.consumer({ groupId, readUncommitted, sessionTimeout: 10_000 });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => Promise.resolve(void values.push(String(message.value))),
  });
  return { values, stop: () => consumer.disconnect() };
}

Deno.test({
  name: "kafkajs transactions: commit, abort, read_committed, fencing",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using cluster = await startCluster({ brokerArgs: BROKER_ARGS });
    const kafka = new Kafka({
      clientId: "txn-compat",
      brokers: [`127.0.0.1:${cluster.broker(1).port}`],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal(
        await admin.createTopics({ topics: [{ topic: "ledger", numPartitions: 2 }], waitForLeaders: true }),
        true,
      );
    } finally {
      await admin.disconnect();
    }

    const producer = kafka.producer({
      transactionalId: "ledger-writer",
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({
      topic: "ledger",
      messages: [{ key: "a", value: "c1", partition: 0 }, { key: "b", value: "c2", partition: 1 }],
    });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({
      topic: "ledger",
      messages: [{ value: "x1", partition: 0 }, { value: "x2", partition: 1 }],
    });
    await aborted.abort();
    const last = await producer.transaction();
    await last.send({ topic: "ledger", messages: [{ value: "c3", partition: 0 }] });
    await last.commit();

    const readCommitted = await collect(kafka, "rc", "ledger", false);
    const readAll = await collect(kafka, "ru", "ledger", true);
    try {
      await eventually("read_uncommitted sees every record", () => readAll.values.length >= 5, 60_000, 200);
      // c3 and c2 are the last committed records of their partitions: once both are in, anything
      // read_committed would wrongly deliver from the aborted transaction came before them.
      await eventually(
        "read_committed reaches the last committed record of each partition",
        () => readCommitted.values.includes("c3") && readCommitted.values.includes("c2"),
        60_000,
        200,
      );
      assert.deepEqual([...readAll.values].sort(), ["c1", "c2", "c3", "x1", "x2"]);
      assert.deepEqual([...readCommitted.values].sort(), ["c1", "c2", "c3"]);
    } finally {
      await readCommitted.stop();
      await readAll.stop();
    }

    // A second instance with the same transactional id fences the first.
    const open = await producer.transaction();
    await open.send({ topic: "ledger", messages: [{ value: "zombie", partition: 1 }] });
    const successor = kafka.producer({
      transactionalId: "ledger-writer",
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await successor.connect();
    try {
      // kafkajs takes its producer id with the first transaction: that InitProducerId fences the first.
      const next = await successor.transaction();
      await assert.rejects(
        () => open.commit(),
        (error: { type?: string }) =>
          error.type === "INVALID_PRODUCER_EPOCH" || error.type === "PRODUCER_FENCED",
      );
      await next.send({ topic: "ledger", messages: [{ value: "c4", partition: 1 }] });
      await next.commit();
      const after = await collect(kafka, "rc2", "ledger", false);
      try {
        // c4 is the last record of partition 1 and c3 of partition 0 (the zombie before c4 was aborted).
        await eventually(
          "read_committed sees c4",
          () => after.values.includes("c4") && after.values.includes("c3"),
          60_000,
          200,
        );
        assert.deepEqual([...after.values].sort(), ["c1", "c2", "c3", "c4"]);
      } finally {
        await after.stop();
      }
    } finally {
      await successor.disconnect();
      await producer.disconnect().catch(() => {
        // The fenced producer may refuse to disconnect cleanly; the test is over for it.
      });
    }
  },
});
