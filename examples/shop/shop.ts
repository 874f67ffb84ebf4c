/**
 * What the shop's services share: the names of its topics and groups (suffixed by a run id, so
 * every `deno task example` starts from empty topics on a long-lived `vltava dev`), the
 * command-line flags, the event shapes, and one line of output per thing that happens.
 */
import { parseArgs } from "node:util";
import type { GroupConsumer } from "../../mod.ts";

/** An order placed by a customer (topic orders, key = customer). */
export interface Order {
  orderId: string;
  customer: string;
  amountCents: number;
}

/** A payment taken for an order (topic payments, key = customer). */
export interface Payment {
  orderId: string;
  customer: string;
  amountCents: number;
  /** The payment instance that took it (to watch the work move after the SIGKILL). */
  paidBy: string;
}

/** A shipment sent for a paid order (topic shipments, key = customer). */
export interface Shipment {
  orderId: string;
  customer: string;
  shippedBy: string;
}

/** Names of one run's topics and groups. */
export function names(run: string) {
  return {
    orders: `shop-${run}.orders`,
    payments: `shop-${run}.payments`,
    shipments: `shop-${run}.shipments`,
    paymentsGroup: `shop-${run}.payments`,
    shippingGroup: `shop-${run}.shipping`,
    /** One transactional id per payment instance: a restarted instance fences its crashed self. */
    transactionalId: (instance: string) => `shop-${run}.payments-${instance}`,
  };
}

/** --bootstrap (default $VLTAVA_BOOTSTRAP or vltava dev's 127.0.0.1:9092), --run, --instance, --orders. */
export function flags() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      bootstrap: { type: "string", default: Deno.env.get("VLTAVA_BOOTSTRAP") ?? "127.0.0.1:9092" },
      run: { type: "string", default: "" },
      instance: { type: "string", default: "1" },
      orders: { type: "string", default: "60" },
    },
  });
  const orders = Number(values.orders);
  if (!Number.isInteger(orders) || orders < 1) throw new RangeError(`--orders must be a positive integer`);
  return { bootstrap: values.bootstrap, run: values.run, instance: values.instance, orders };
}

/** One line of what a service does, as it happens. */
export function say(service: string, message: string): void {
  console.log(`${service.padEnd(12)} ${message}`);
}

const decoder = new TextDecoder();

export function parse<T>(value: Uint8Array | null): T {
  return JSON.parse(decoder.decode(value!)) as T;
}

/**
 * Resolves on SIGTERM / SIGINT, or when stdin ends while it is not a terminal: run.ts gives each
 * service a pipe it never writes, so a service also stops when the runner itself dies.
 */
export function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    Deno.addSignalListener("SIGTERM", () => resolve());
    Deno.addSignalListener("SIGINT", () => resolve());
    if (!Deno.stdin.isTerminal()) {
      (async () => {
        for await (const _ of Deno.stdin.readable) {
          // Nothing is ever written; only the end matters.
        }
        resolve();
      })();
    }
  });
}

/** "0 2" — the partitions a group member holds now. */
export function partitionsOf(consumer: GroupConsumer): string {
  const held = consumer.assignment().map((tp) => tp.partition).sort((a, b) => a - b);
  return held.length > 0 ? held.join(" ") : "none";
}
