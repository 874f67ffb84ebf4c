/**
 * `deno task example`: the whole shop against a running `vltava dev` (or --bootstrap). It
 * creates the run's topics (3 partitions each), starts two payment instances and two shipping
 * instances, then the order service, and prints what each does as it happens. Midway it SIGKILLs
 * payment instance "a" (its open transaction, if any, is left behind) and starts another "a",
 * which fences the dead one and aborts that transaction. At the end it reads payments and
 * shipments (read_committed) and checks that every order was paid exactly once and shipped;
 * exit status 0 when so, 1 otherwise.
 *
 * @example
 * ```sh
 * vltava dev &          # in another terminal
 * deno task example     # --orders 60 --bootstrap 127.0.0.1:9092
 * ```
 */
import { Admin, Consumer } from "../../mod.ts";
import { flags, names, type Order, parse, type Payment, say, type Shipment } from "./shop.ts";

const { bootstrap, orders } = flags();
const run = Date.now().toString(36);
const topics = names(run);
const here = new URL(".", import.meta.url).pathname;
const children = new Set<Deno.ChildProcess>();
const DEADLINE_MS = 180_000;

/** Start a service as its own process; its lines go to our stdout as they come. */
function start(script: string, instance: string, onLine?: (line: string) => void): Deno.ChildProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${here}${script}`,
      "--bootstrap",
      bootstrap,
      "--run",
      run,
      "--instance",
      instance,
      "--orders",
      String(orders),
    ],
    stdin: "piped", // never written: its end tells the service that the runner is gone
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  children.add(child);
  child.status.then(() => children.delete(child));
  (async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        console.log(line);
        onLine?.(line);
      }
    }
  })();
  return child;
}

function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (condition()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`Gave up waiting for ${what}`));
      }
    }, 100);
  });
}

/** Every record of a topic (read_committed), as JSON, once `enough` says so or the deadline passes. */
async function readAll<T>(topic: string, enough: (values: T[]) => boolean): Promise<T[]> {
  await using consumer = new Consumer({ bootstrap, isolationLevel: "read_committed" });
  await consumer.assignTopic(topic, "earliest");
  const values: T[] = [];
  const deadline = Date.now() + DEADLINE_MS;
  while (!enough(values) && Date.now() < deadline) {
    for (const record of await consumer.poll(500)) values.push(parse<T>(record.value));
  }
  // Whatever else is there (a duplicate would show up here).
  for (const record of await consumer.poll(1_000)) values.push(parse<T>(record.value));
  return values;
}

/** Stop every service still running (SIGTERM: they close their clients) and wait for them. */
async function stopAll(): Promise<void> {
  for (const child of children) {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
  }
  await Promise.all([...children].map((child) => child.status));
}

// Ctrl-C: the services stop too.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => stopAll().finally(() => Deno.exit(130)));
}

let ok = false;
try {
  say("shop", `run ${run}: ${orders} orders against ${bootstrap}`);
  {
    await using admin = new Admin({ bootstrap });
    const brokers = (await admin.describeCluster()).brokers.length;
    await admin.createTopics(
      [topics.orders, topics.payments, topics.shipments].map((name) => ({
        name,
        partitions: 3,
        replicationFactor: Math.min(3, brokers),
      })),
    );
    say("shop", `topics ${topics.orders}, ${topics.payments}, ${topics.shipments} (3 partitions each)`);
  }
  let started = 0;
  const ready = (line: string) => {
    if (/ started: /.test(line)) started++;
  };
  let victimLines = (_line: string) => {};
  let victim = start("payments.ts", "a", (line) => {
    ready(line);
    victimLines(line);
  });
  start("payments.ts", "b", ready);
  start("shipping.ts", "1", ready);
  start("shipping.ts", "2", ready);
  await waitFor("the services to start", () => started >= 4);

  let placed = 0;
  const orderService = start("orders.ts", "1", (line) => {
    if (/ placed /.test(line)) placed++;
  });
  let paidByA = 0;
  victimLines = (line) => {
    if (/^payments-a +paid /.test(line)) paidByA++;
  };
  // Midway: half the orders placed and payments-a busy (it has paid at least one batch).
  await waitFor(
    "half the orders, some paid by payments-a",
    () => placed >= Math.ceil(orders / 2) && paidByA > 0,
  );
  say("shop", `SIGKILL payments-a (pid ${victim.pid}) midway; starting another payments-a`);
  victim.kill("SIGKILL");
  await victim.status;
  victim = start("payments.ts", "a");
  await orderService.status;

  // The verdict: each order paid exactly once, and shipped.
  const payments = await readAll<Payment>(
    topics.payments,
    (v) => new Set(v.map((p) => p.orderId)).size >= orders,
  );
  const shipments = await readAll<Shipment>(
    topics.shipments,
    (v) => new Set(v.map((s) => s.orderId)).size >= orders,
  );
  const placedOrders = await readAll<Order>(topics.orders, (v) => v.length >= orders);
  const paidCount = new Map<string, number>();
  for (const payment of payments) paidCount.set(payment.orderId, (paidCount.get(payment.orderId) ?? 0) + 1);
  const shipped = new Set(shipments.map((s) => s.orderId));
  const unpaid = placedOrders.filter((o) => !paidCount.has(o.orderId)).map((o) => o.orderId);
  const twice = [...paidCount].filter(([, count]) => count > 1).map(([id]) => id);
  const unshipped = placedOrders.filter((o) => !shipped.has(o.orderId)).map((o) => o.orderId);
  const byInstance = new Map<string, number>();
  for (const payment of payments) byInstance.set(payment.paidBy, (byInstance.get(payment.paidBy) ?? 0) + 1);
  say(
    "shop",
    `${placedOrders.length} orders, ${payments.length} payments (${
      [...byInstance].map(([i, n]) => `${n} by payments-${i}`).join(", ")
    }), ${shipments.length} shipments`,
  );
  ok = placedOrders.length === orders && unpaid.length === 0 && twice.length === 0 && unshipped.length === 0;
  if (ok) say("shop", `OK: every order was paid exactly once and shipped`);
  else {
    say(
      "shop",
      `FAILED: unpaid [${unpaid.join(" ")}], paid twice [${twice.join(" ")}], unshipped [${
        unshipped.join(" ")
      }]`,
    );
  }
} catch (error) {
  say("shop", `FAILED: ${(error as Error).message}`);
} finally {
  await stopAll();
}
Deno.exit(ok ? 0 : 1);
