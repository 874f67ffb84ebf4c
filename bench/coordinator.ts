/**
 * Coordinator throughput and latency against a real ZooKeeper 3.8, both with fsync on.
 *
 * Workload (same for both servers, same load client built on the project's codec):
 * - concurrent: SESSIONS sessions, each keeping IN_FLIGHT requests outstanding, run
 *   create / getData / setData / delete over ZNODES 100-byte znodes, one phase per op;
 * - single client: one session, one request at a time, SINGLE_OPS of each op.
 * Reports ops/s and p50/p99 latency per op and the vltava/ZooKeeper ratio.
 *
 * The coordinator runs as its own process (`vltava coordinator start`), like the JVM. Both servers
 * run side by side and the rounds alternate between them; each figure is the median over rounds.
 * Knobs: BENCH_SESSIONS, BENCH_IN_FLIGHT, BENCH_ZNODES, BENCH_SINGLE_OPS, BENCH_ROUNDS.
 */
import type { RunningProgram } from "../tests/helpers/program.ts";
import { type RealZooKeeper, startRealZooKeeper } from "../tests/helpers/real-zookeeper.ts";
import { RawZk } from "../tests/helpers/zk-raw.ts";
import { startCoordinatorProgram } from "../tests/helpers/cluster.ts";
import { OpCode, OPEN_ACL_UNSAFE, type ZkRequest } from "../src/zk/protocol/mod.ts";

const SESSIONS = Number(Deno.env.get("BENCH_SESSIONS") ?? 16);
const IN_FLIGHT = Number(Deno.env.get("BENCH_IN_FLIGHT") ?? 32);
const ZNODES = Number(Deno.env.get("BENCH_ZNODES") ?? 20_000);
const SINGLE_OPS = Number(Deno.env.get("BENCH_SINGLE_OPS") ?? 1_000);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);
const DATA = new Uint8Array(100).fill(0x61);
const OPS = ["create", "getData", "setData", "delete"] as const;
type Op = typeof OPS[number];

interface PhaseResult {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}
type Results = Record<Op, PhaseResult>;

function requestFor(op: Op, path: string): ZkRequest {
  switch (op) {
    case "create":
      return { op: OpCode.create, path, data: DATA, acl: OPEN_ACL_UNSAFE, flags: 0 };
    case "getData":
      return { op: OpCode.getData, path, watch: false };
    case "setData":
      return { op: OpCode.setData, path, data: DATA, version: -1 };
    case "delete":
      return { op: OpCode.delete, path, version: -1 };
  }
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

/** Run `op` on every path, each client keeping `depth` requests in flight on its share. */
async function phase(clients: RawZk[], op: Op, paths: string[][], depth: number): Promise<PhaseResult> {
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(clients.map(async (client, c) => {
    const mine = paths[c];
    let next = 0;
    const worker = async () => {
      while (next < mine.length) {
        const path = mine[next++];
        const sent = performance.now();
        const reply = await client.request(requestFor(op, path));
        latencies.push(performance.now() - sent);
        if (reply.err !== 0) throw new Error(`${op} ${path} failed with ${reply.err}`);
      }
    };
    await Promise.all(Array.from({ length: depth }, worker));
  }));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    opsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

async function workload(port: number, sessions: number, depth: number, znodes: number, tag: string) {
  const clients = await Promise.all(Array.from({ length: sessions }, () => RawZk.connect(port)));
  try {
    const root = `/bench-${tag}`;
    await clients[0].request(requestFor("create", root));
    const perClient = Math.ceil(znodes / sessions);
    const paths = clients.map((_, c) =>
      Array.from({ length: perClient }, (_, i) => `${root}/c${c}-${String(i).padStart(6, "0")}`)
    );
    const results = {} as Results;
    for (const op of OPS) results[op] = await phase(clients, op, paths, depth);
    await clients[0].request(requestFor("delete", root));
    return results;
  } finally {
    for (const client of clients) client.close();
  }
}

/** Per op, the median of each figure over the rounds (the box is shared: single runs are noisy). */
function median(runs: Results[]): Results {
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const result = {} as Results;
  for (const op of OPS) {
    result[op] = {
      opsPerSecond: mid(runs.map((run) => run[op].opsPerSecond)),
      p50Ms: mid(runs.map((run) => run[op].p50Ms)),
      p99Ms: mid(runs.map((run) => run[op].p99Ms)),
    };
  }
  return result;
}

interface Target {
  name: string;
  port: number;
  concurrent: Results[];
  single: Results[];
}

/** Both servers run side by side; rounds alternate between them so load from elsewhere hits both alike. */
async function measureAll(targets: Target[]): Promise<void> {
  for (const target of targets) {
    await workload(target.port, SESSIONS, IN_FLIGHT, Math.min(ZNODES, 5_000), "warmup");
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      target.concurrent.push(await workload(target.port, SESSIONS, IN_FLIGHT, ZNODES, `c${round}`));
      target.single.push(await workload(target.port, 1, 1, SINGLE_OPS, `s${round}`));
    }
  }
}

const fmt = (value: number, digits = 0) => value.toFixed(digits);

export async function run(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "vltava-bench-coordinator-" });
  let vltava: { program: RunningProgram; port: number } | undefined;
  let real: RealZooKeeper | undefined;
  const targets: Target[] = [];
  try {
    vltava = await startCoordinatorProgram(dir);
    targets.push({ name: "vltava", port: vltava.port, concurrent: [], single: [] });
    try {
      real = await startRealZooKeeper({ extraConfig: { forceSync: "yes" } });
      targets.push({ name: "zookeeper", port: real.port, concurrent: [], single: [] });
    } catch (error) {
      console.log(`(real ZooKeeper not measured: ${(error as Error).message.split("\n")[0]})`);
    }
    await measureAll(targets);
  } finally {
    await vltava?.program.stop("SIGTERM");
    await real?.[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  const vltavaConcurrent = median(targets[0].concurrent);
  const vltavaSingle = median(targets[0].single);
  const zookeeper = targets[1] ? median(targets[1].concurrent) : undefined;
  const zookeeperSingle = targets[1] ? median(targets[1].single) : undefined;

  console.log(
    `\n${SESSIONS} sessions x ${IN_FLIGHT} in flight, ${ZNODES} znodes of 100 bytes, fsync on (ZooKeeper forceSync=yes); median of ${ROUNDS} alternating rounds\n`,
  );
  console.log(
    "| op | vltava ops/s | ZooKeeper ops/s | ratio | vltava p50 / p99 ms | ZooKeeper p50 / p99 ms |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const op of OPS) {
    const ours = vltavaConcurrent[op];
    const theirs = zookeeper?.[op];
    console.log(
      `| ${op} | ${fmt(ours.opsPerSecond)} | ${theirs ? fmt(theirs.opsPerSecond) : "-"} | ${
        theirs ? fmt(ours.opsPerSecond / theirs.opsPerSecond, 2) : "-"
      } | ${fmt(ours.p50Ms, 2)} / ${fmt(ours.p99Ms, 2)} | ${
        theirs ? `${fmt(theirs.p50Ms, 2)} / ${fmt(theirs.p99Ms, 2)}` : "-"
      } |`,
    );
  }
  console.log(`\nSingle client, one request at a time, ${SINGLE_OPS} ops each\n`);
  console.log("| op | vltava p50 / p99 ms | ZooKeeper p50 / p99 ms | vltava ops/s | ZooKeeper ops/s |");
  console.log("|---|---:|---:|---:|---:|");
  for (const op of OPS) {
    const ours = vltavaSingle[op];
    const theirs = zookeeperSingle?.[op];
    console.log(
      `| ${op} | ${fmt(ours.p50Ms, 3)} / ${fmt(ours.p99Ms, 3)} | ${
        theirs ? `${fmt(theirs.p50Ms, 3)} / ${fmt(theirs.p99Ms, 3)}` : "-"
      } | ${fmt(ours.opsPerSecond)} | ${theirs ? fmt(theirs.opsPerSecond) : "-"} |`,
    );
  }
}
