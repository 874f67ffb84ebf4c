/**
 * The shipping service: a consumer group of two (or more) instances reading payments
 * (read_committed: a payment of an aborted transaction is never shipped). The group spreads the
 * partitions over the members and moves them when one leaves. Shipping is at-least-once (offsets
 * committed after the shipments are written): a crash may ship a parcel twice, which the
 * warehouse tolerates; money never moves here.
 */
import { GroupConsumer, Producer } from "../../mod.ts";
import { flags, names, parse, partitionsOf, type Payment, say, type Shipment, stopSignal } from "./shop.ts";

const { bootstrap, run, instance } = flags();
const topics = names(run);
const service = `shipping-${instance}`;
const consumer = new GroupConsumer({
  bootstrap,
  groupId: topics.shippingGroup,
  topics: [topics.payments],
  isolationLevel: "read_committed",
  autoOffsetReset: "earliest",
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
});
const producer = new Producer({ bootstrap });
let stopping = false;
stopSignal().then(() => stopping = true);
await producer.connect([topics.shipments]);
await consumer.start(); // joined, with partitions
say(service, `started: partitions ${partitionsOf(consumer)}`);
consumer.addEventListener("assigned", () => say(service, `partitions now ${partitionsOf(consumer)}`));
while (!stopping) {
  // Asking for the next batch marks this one processed (committed by the auto-commit).
  const records = await consumer.poll(500);
  if (records.length === 0) continue;
  for (const record of records) {
    const payment = parse<Payment>(record.value);
    const shipment: Shipment = { orderId: payment.orderId, customer: payment.customer, shippedBy: instance };
    producer.produce({ topic: topics.shipments, key: payment.customer, value: JSON.stringify(shipment) });
  }
  await producer.flush();
  say(service, `shipped ${records.map((r) => parse<Payment>(r.value).orderId).join(" ")}`);
}
await producer.close();
await consumer.close();
Deno.exit(0); // the signal listeners would keep the process alive
