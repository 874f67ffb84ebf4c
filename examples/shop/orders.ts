/**
 * The order service: places `--orders` orders, keyed by customer so that one customer's orders
 * stay in order on one partition, with the idempotent Producer (a retry after a lost answer is
 * stored once). It paces them a little so the flow is visible, then exits.
 */
import { Producer } from "../../mod.ts";
import { flags, names, type Order, say } from "./shop.ts";

const { bootstrap, run, orders } = flags();
const topics = names(run);
const service = "orders";
await using producer = new Producer({ bootstrap });
const customers = ["ada", "bohumil", "cyril", "dana", "emil", "frantiska", "greta"];
for (let i = 1; i <= orders; i++) {
  const order: Order = {
    orderId: `o-${String(i).padStart(4, "0")}`,
    customer: customers[i % customers.length],
    amountCents: 100 * (1 + (i * 37) % 90),
  };
  const { partition, offset } = await producer.send({
    topic: topics.orders,
    key: order.customer,
    value: JSON.stringify(order),
  });
  say(service, `placed ${order.orderId} for ${order.customer} (${partition}:${offset})`);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
say(service, `done: ${orders} orders placed`);
