/**
 * Ten thousand partitions (issue 16): what the control plane costs as a cluster grows. For each
 * size (100, 1,000, 3,000, 10,000 partitions; BENCH_SCALE_SIZES=100,1000 to shorten) a fresh
 * cluster — coordinator (tick 500 ms) + 3 brokers, `--session-timeout-ms 6000`, replication
 * factor 3 — and, in order:
 *   create → every partition led (the observer broker's metadata: what clients see);
 *   idle RSS and CPU of each broker (no clients, after the creation settled), and again after one
 *   record was written to every partition (logs with data cost their maintenance);
 *   SIGTERM (controlled shutdown) of a broker leading a third → its process exits;
 *   that broker restarted → back in every ISR (from its "listening" line);
 *   preferred election (leadership back to the first replica), then SIGKILL of that broker
 *   → every partition led by a live broker (its session must expire first: 6 s + up to a tick);
 *   that broker restarted and back in every ISR, then SIGKILL of the controller → every partition
 *   led by a live broker, counted from the next controller's election (the creation time of its
 *   /controller node): the new controller's own work, which issue 16 bounds at 2 s.
 * The broker stopped first is never the controller, and the observer is the controller's broker
 * (then, for the last step, the broker that was stopped first).
 * Each row prints beside the previous run's figure (bench/results/scale.json, committed so the
 * comparison survives between worktrees; the first run compares with issue 16's table).
 * `deno task bench scale`.
 */
import { startCluster, type TestCluster } from "../tests/helpers/cluster.ts";
import { ClusterProbe } from "../tests/integration/controller-harness.ts";
import { Admin } from "../src/client/admin.ts";
import { Producer } from "../src/client/producer.ts";
import { cpuSeconds } from "./process-cpu.ts";

const SESSION_TIMEOUT_MS = 6000;
const TICK_MS = 500;
const DEFAULT_SIZES = [100, 1_000, 3_000, 10_000];
/** Above this, a size is spread over topics of this many partitions (10,000 = 5 × 2,000, as issue 16). */
const TOPIC_SIZE = 2_000;
/**
 * Idle means after the creation's aftermath: past the brokers' first periodic reconcile (30 s,
 * which reads the tree once more because the creation changed it), then a 20 s sample.
 */
const IDLE_SETTLE_MS = 35_000;
const IDLE_SAMPLE_MS = 20_000;
/** Any one step that takes longer is reported as a timeout and the size is abandoned. */
const STEP_TIMEOUT_MS = 300_000;
const RESULTS = new URL("./results/scale.json", import.meta.url);

type Row =
  | "create"
  | "shutdown"
  | "rejoin"
  | "failover"
  | "controller"
  | "rss"
  | "cpu"
  | "writtenRss"
  | "writtenCpu";
const ROWS: { key: Row; what: string; unit: string }[] = [
  { key: "create", what: "create → every partition led", unit: "s" },
  { key: "shutdown", what: "SIGTERM (controlled shutdown) of a broker leading a third → exit", unit: "s" },
  { key: "rejoin", what: "restarted broker back in every ISR", unit: "s" },
  {
    key: "failover",
    what: "SIGKILL of a broker leading a third → every partition led by a live broker",
    unit: "s",
  },
  {
    key: "controller",
    what: "SIGKILL of the controller (leading a third) → the next one's election → every partition led",
    unit: "s",
  },
  { key: "rss", what: "broker RSS, idle (min–max of 3)", unit: "MB" },
  { key: "cpu", what: "broker CPU while idle (min–max of 3)", unit: "% of a core" },
  {
    key: "writtenRss",
    what: "broker RSS, idle after one record in every partition (min–max of 3)",
    unit: "MB",
  },
  {
    key: "writtenCpu",
    what: "broker CPU while idle after one record in every partition (min–max of 3)",
    unit: "% of a core",
  },
];

/** One size's figures: a number, a [min, max] pair, or an error text. */
type Figure = number | [number, number] | string;
interface RunFile {
  date: string;
  load: string;
  sizes: Record<string, Partial<Record<Row, Figure>>>;
}

/** Issue 16's table (main before the fix), the comparison for a first run. */
const ISSUE_16: RunFile = {
  date: "issue 16 (before)",
  load: "unknown",
  sizes: {
    "100": { create: 1.0, failover: 7.3, rejoin: 1.6, rss: 86 },
    "1000": { create: 4.5, failover: 14.6, rejoin: 3.3, rss: 128 },
    "3000": { create: 9.7, failover: 38.3, shutdown: 52.6, rejoin: 10.3, rss: 216, cpu: 5 },
    "10000": { create: 38.6, failover: 126.9, rss: [323, 365], cpu: [11, 15] },
  },
};

export async function run(): Promise<void> {
  const sizes = (Deno.env.get("BENCH_SCALE_SIZES") ?? "").split(",").map((s) => s.trim()).filter(Boolean)
    .map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 3)) {
    console.error("error: BENCH_SCALE_SIZES must be comma-separated partition counts of at least 3");
    Deno.exit(2);
  }
  const chosen = sizes.length > 0 ? sizes : DEFAULT_SIZES;
  const previous = await readPrevious();
  const current: RunFile = {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    load: "",
    sizes: {},
  };
  const loadBefore = loadAverage();
  for (const size of chosen) {
    console.log(`… ${size.toLocaleString("en")} partitions`);
    current.sizes[String(size)] = await measure(size);
  }
  current.load = `${loadBefore} → ${loadAverage()}`;
  print(current, previous, chosen);
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  // Sizes this run skipped keep their previous figures, so a shortened run does not lose them.
  const merged: RunFile = { ...current, sizes: { ...(previous?.sizes ?? {}), ...current.sizes } };
  if (previous === ISSUE_16) merged.sizes = current.sizes;
  await Deno.writeTextFile(RESULTS, JSON.stringify(merged, null, 2) + "\n");
}

async function readPrevious(): Promise<RunFile> {
  try {
    return JSON.parse(await Deno.readTextFile(RESULTS)) as RunFile;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return ISSUE_16; // no run stored yet: compare with the issue's figures
  }
}

function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
  } catch {
    return "?"; // not Linux: the load is only context for the figures
  }
}

function topicsFor(size: number): { name: string; partitions: number }[] {
  if (size <= TOPIC_SIZE) return [{ name: "scale-0", partitions: size }];
  const topics = [];
  for (let i = 0, left = size; left > 0; i++, left -= TOPIC_SIZE) {
    topics.push({ name: `scale-${i}`, partitions: Math.min(TOPIC_SIZE, left) });
  }
  return topics;
}

async function measure(size: number): Promise<Partial<Record<Row, Figure>>> {
  const figures: Partial<Record<Row, Figure>> = {};
  await using cluster = await startCluster({
    brokers: 3,
    brokerArgs: ["--session-timeout-ms", String(SESSION_TIMEOUT_MS)],
    coordinatorArgs: ["--tick-ms", String(TICK_MS)],
    timeoutMs: STEP_TIMEOUT_MS,
  });
  await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
  const controller = (await probe.waitForController()).brokerId;
  const target = [1, 2, 3].find((id) => id !== controller)!;
  const topics = topicsFor(size);
  const names = topics.map((t) => t.name);
  await using observer = new Admin({
    bootstrap: `127.0.0.1:${cluster.broker(controller).port}`,
    operationTimeoutMs: STEP_TIMEOUT_MS,
  });
  const partitions = async () => {
    await observer.cluster.refreshMetadata(names);
    return names.flatMap((name) => observer.cluster.topic(name)?.partitions ?? []);
  };
  const until = async (what: string, done: () => Promise<boolean>) => {
    const deadline = performance.now() + STEP_TIMEOUT_MS;
    while (!(await done().catch(() => false))) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  try {
    let start = performance.now();
    await observer.createTopics(topics.map((t) => ({ ...t, replicationFactor: 3 })));
    await until("every partition led", async () => {
      const all = await partitions();
      return all.length === size && all.every((p) => p.leader >= 0);
    });
    figures.create = seconds(start);

    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    const idle = await idleUsage(cluster);
    figures.rss = range(idle.map((u) => u.rssMb));
    figures.cpu = range(idle.map((u) => u.cpuPercent));

    // A cluster in use has data: one record (acks=all) in every partition, then idle again.
    await using producer = new Producer({
      bootstrap: `127.0.0.1:${cluster.broker(controller).port}`,
      acks: "all",
      ackTimeoutMs: STEP_TIMEOUT_MS,
    });
    await Promise.all(
      topics.flatMap((t) =>
        Array.from(
          { length: t.partitions },
          (_, partition) => producer.send({ topic: t.name, partition, value: "x" }),
        )
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    const written = await idleUsage(cluster);
    figures.writtenRss = range(written.map((u) => u.rssMb));
    figures.writtenCpu = range(written.map((u) => u.cpuPercent));

    const led = (await partitions()).filter((p) => p.leader === target).length;
    start = performance.now();
    await cluster.broker(target).program.stop("SIGTERM", STEP_TIMEOUT_MS);
    figures.shutdown = seconds(start);
    console.log(`  controlled shutdown of broker ${target}, which led ${led}`);

    // Restart: the clock starts at its "listening" line.
    await cluster.startBroker(target, cluster.broker(target).port);
    start = performance.now();
    await until("the restarted broker in every ISR", async () => {
      const all = await partitions();
      return all.length === size && all.every((p) => p.isr.includes(target));
    });
    figures.rejoin = seconds(start);

    await observer.electLeaders("preferred", null);
    await until("preferred leaders back", async () => {
      const all = await partitions();
      return all.every((p) => p.leader === p.replicas[0]);
    });
    const ledNow = (await partitions()).filter((p) => p.leader === target).length;
    start = performance.now();
    await cluster.broker(target).program.stop("SIGKILL");
    await until("every partition led by a live broker", async () => {
      const all = await partitions();
      return all.length === size && all.every((p) => p.leader >= 0 && p.leader !== target);
    });
    figures.failover = seconds(start);
    console.log(`  SIGKILL of broker ${target}, which led ${ledNow}`);

    // The controller's turn: the other broker comes back first, so every partition has a live ISR member.
    await cluster.startBroker(target, cluster.broker(target).port);
    await until("the restarted broker in every ISR again", async () => {
      const all = await partitions();
      return all.length === size && all.every((p) => p.isr.length === 3);
    });
    await observer.electLeaders("preferred", null); // the restarted broker leads its third again
    await until("preferred leaders back again", async () => {
      const all = await partitions();
      return all.every((p) => p.leader === p.replicas[0]);
    });
    const ledByController = (await partitions()).filter((p) => p.leader === controller).length;
    await using survivor = new Admin({
      bootstrap: `127.0.0.1:${cluster.broker(target).port}`,
      operationTimeoutMs: STEP_TIMEOUT_MS,
    });
    await survivor.cluster.refreshMetadata(names);
    const killedAt = Date.now();
    await cluster.broker(controller).program.stop("SIGKILL");
    const next = await probe.waitForController((c) => c.brokerId !== controller, STEP_TIMEOUT_MS);
    const electedAt = Number((await probe.zk.getData("/controller")).stat.ctime);
    await until("every partition led by a live broker after the controller's death", async () => {
      await survivor.cluster.refreshMetadata(names);
      const all = names.flatMap((name) => survivor.cluster.topic(name)?.partitions ?? []);
      return all.length === size && all.every((p) => p.leader >= 0 && p.leader !== controller);
    });
    figures.controller = (Date.now() - electedAt) / 1000;
    console.log(
      `  SIGKILL of the controller, broker ${controller}, which led ${ledByController}: broker ${next.brokerId} ` +
        `elected ${((electedAt - killedAt) / 1000).toFixed(1)} s after the kill`,
    );
    const lost = cluster.brokers.filter((b) =>
      /lost the connection to the coordinator|session expired/i.test(b.program.stderr) && b.id !== target &&
      b.id !== controller
    );
    if (lost.length > 0) {
      console.log(`  note: broker(s) ${lost.map((b) => b.id)} lost their coordinator connection`);
    }
  } catch (error) {
    const message = (error as Error).message.split("\n")[0];
    console.log(`  stopped: ${message}`);
    const short = /timed out/i.test(message) ? "timed out" : "failed";
    for (const row of ROWS) figures[row.key] ??= short;
  }
  return figures;
}

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

function range(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

/** Each broker's resident memory now and its CPU over IDLE_SAMPLE_MS, from /proc. */
async function idleUsage(cluster: TestCluster): Promise<{ rssMb: number; cpuPercent: number }[]> {
  const rss = (pid: number) => {
    const line = Deno.readTextFileSync(`/proc/${pid}/status`).split("\n").find((l) => l.startsWith("VmRSS:"));
    return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
  };
  const pids = cluster.brokers.map((b) => b.program.pid);
  const before = pids.map(cpuSeconds);
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
  const elapsed = (performance.now() - start) / 1000;
  return pids.map((pid, i) => ({
    rssMb: rss(pid),
    cpuPercent: 100 * (cpuSeconds(pid) - before[i]) / elapsed,
  }));
}

function format(figure: Figure | undefined, unit: string): string {
  if (figure === undefined) return "—";
  if (typeof figure === "string") return figure;
  const one = (n: number) => unit === "MB" ? n.toFixed(0) : n.toFixed(1);
  return Array.isArray(figure) ? `${one(figure[0])}–${one(figure[1])}` : one(figure);
}

function print(current: RunFile, previous: RunFile, sizes: number[]): void {
  console.log(
    `\nscale: coordinator (tick ${TICK_MS} ms) + 3 brokers, --session-timeout-ms ${SESSION_TIMEOUT_MS}, ` +
      `replication factor 3, topics of up to ${TOPIC_SIZE.toLocaleString("en")} partitions; ` +
      `this run ${current.date} (load ${current.load}), previous ${previous.date} (load ${previous.load})\n`,
  );
  console.log(`| partitions in the cluster | ${sizes.map((s) => s.toLocaleString("en")).join(" | ")} |`);
  console.log(`|---|${sizes.map(() => "---:").join("|")}|`);
  for (const row of ROWS) {
    const cells = sizes.map((size) => {
      const now = format(current.sizes[String(size)]?.[row.key], row.unit);
      const before = format(previous.sizes[String(size)]?.[row.key], row.unit);
      return `${now} (was ${before})`;
    });
    console.log(`| ${row.what}, ${row.unit} | ${cells.join(" | ")} |`);
  }
}

if (import.meta.main) await run();
