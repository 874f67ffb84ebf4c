/**
 * The payment service (consume-transform-produce, exactly once): a member of the payments group
 * reads orders (read_committed), and for each batch, in ONE transaction, writes a payment per
 * order and commits the batch's input offsets with `sendOffsets`. Either both happen or neither:
 * a crash mid-batch leaves an open transaction that its successor (same transactional id) aborts
 * at start-up, and the orders are read again from the committed offsets — so no order is paid
 * twice and none is lost. The generation and member id go with the offsets, so an instance that
 * lost its partitions in a rebalance cannot commit for them any more.
 */
import { GroupConsumer, Producer } from "../../mod.ts";
import { flags, names, type Order, parse, partitionsOf, type Payment, say, stopSignal } from "./shop.ts";

const { bootstrap, run, instance } = flags();
const topics = names(run);
const service = `payments-${instance}`;
const consumer = new GroupConsumer({
  bootstrap,
  groupId: topics.paymentsGroup,
  topics: [topics.orders],
  isolationLevel: "read_committed",
  autoCommit: false, // offsets are committed by the transactions
  autoOffsetReset: "earliest",
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
});
const producer = new Producer({ bootstrap, transactionalId: topics.transactionalId(instance) });
let stopping = false;
stopSignal().then(() => stopping = true);

// Fence a crashed predecessor with our transactional id now, aborting what it left open.
await producer.initTransactions();
await producer.connect([topics.payments]);
await consumer.start(); // joined, with partitions
say(
  service,
  `started: transactional id ${topics.transactionalId(instance)}, partitions ${partitionsOf(consumer)}`,
);
consumer.addEventListener("assigned", () => say(service, `partitions now ${partitionsOf(consumer)}`));
while (!stopping) {
  const records = await consumer.poll(500);
  if (records.length === 0) continue;
  const next = new Map<string, { topic: string; partition: number; offset: number }>();
  const first = new Map<string, { topic: string; partition: number; offset: number }>();
  const paid: string[] = [];
  try {
    await producer.transaction(async (tx) => {
      for (const record of records) {
        const order = parse<Order>(record.value);
        const payment: Payment = { ...order, paidBy: instance };
        tx.produce({ topic: topics.payments, key: order.customer, value: JSON.stringify(payment) });
        paid.push(order.orderId);
        const key = `${record.topic}:${record.partition}`;
        if (!first.has(key)) {
          first.set(key, { topic: record.topic, partition: record.partition, offset: record.offset });
        }
        next.set(key, { topic: record.topic, partition: record.partition, offset: record.offset + 1 });
      }
      await tx.sendOffsets({
        groupId: topics.paymentsGroup,
        offsets: [...next.values()],
        generationId: consumer.generationId,
        memberId: consumer.memberId,
      });
    });
    say(service, `paid ${paid.join(" ")} (one transaction with the input offsets)`);
  } catch (error) {
    // Aborted: nothing of this batch counts. Read it again (a rebalance may also have moved it).
    say(service, `transaction aborted (${(error as Error).message}); reading the batch again`);
    for (const { topic, partition, offset } of first.values()) {
      try {
        consumer.consumer.seek(topic, partition, offset);
      } catch {
        // Not ours any more: its new owner reads it from the committed offset.
      }
    }
  }
}
await producer.close();
await consumer.close();
Deno.exit(0); // the signal listeners would keep the process alive
