/**
 * What network and process faults cost in availability: for each nemesis fault kind (issue 9),
 * a fresh 3-broker cluster in network namespaces (session timeout 3000 ms, coordinator tick
 * 500 ms, replica lag 3000 ms; one topic, 3 partitions, replication factor 3,
 * min.insync.replicas 2) under the acks=all workload, BENCH_ROUNDS rounds of that fault (default
 * 3). Per fault kind: how long the partitions the fault aims at, and the others, went without an
 * acknowledged write (median and worst over rounds), the failover stages for a cut-off leader
 * (new leader in the coordinator, serving, first ack), and the produce throughput and p99 latency
 * of acknowledged writes through the run. Needs root, iproute2 and nftables.
 * `deno task bench partitions`.
 */
import { hasExecutable } from "../tests/helpers/peers.ts";
import type { ProduceEntry } from "../tests/partitions/checker.ts";
import { FAULT_KINDS, type RoundOutcome } from "../tests/partitions/nemesis.ts";
import { partitionRun, PARTITIONS, TIMINGS } from "../tests/partitions/partition-run.ts";

const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

function worst(values: number[]): number | null {
  return values.length === 0 ? null : Math.max(...values);
}

function ms(value: number | null): string {
  return value === null ? "–" : value.toFixed(0);
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** The partitions a round's fault aims at: those that must fail over, move or shrink, else all. */
function targeted(outcome: RoundOutcome): number[] {
  const plan = outcome.plan;
  if (plan.mustFailOver.length > 0) return plan.mustFailOver;
  if (plan.mustMove.length > 0) return plan.mustMove;
  if (plan.mustShrink.length > 0) return plan.mustShrink.map((s) => s.partition);
  return PARTITIONS;
}

interface KindRow {
  kind: string;
  rounds: number;
  targetedWindows: number[];
  otherWindows: number[];
  elected: number[];
  serving: number[];
  writable: number[];
  acksPerSecond: number;
  p99Ms: number | null;
  notes: string[];
}

async function measure(kind: typeof FAULT_KINDS[number]): Promise<KindRow> {
  const result = await partitionRun({
    kinds: [kind],
    rounds: ROUNDS,
    workload: { writers: 2, intervalMs: 0 },
  });
  const row: KindRow = {
    kind,
    rounds: result.outcomes.length,
    targetedWindows: [],
    otherWindows: [],
    elected: [],
    serving: [],
    writable: [],
    acksPerSecond: 0,
    p99Ms: null,
    notes: [],
  };
  result.outcomes.forEach((outcome, index) => {
    const aimed = targeted(outcome);
    for (const u of result.report.unavailability.filter((u) => u.faultIndex === index)) {
      (aimed.includes(u.partition) ? row.targetedWindows : row.otherWindows).push(u.windowMs);
    }
    for (const f of outcome.failover) {
      if (f.electedMs !== null) row.elected.push(f.electedMs);
      if (f.servingMs !== null) row.serving.push(f.servingMs);
      if (f.writableMs !== null) row.writable.push(f.writableMs);
    }
    row.notes.push(...outcome.problems.map((p) => `round ${index}: ${p.slice(0, 160)}`));
    if (outcome.brokerExit) row.notes.push(`round ${index}: ${outcome.brokerExit.split("\n")[0]}`);
  });
  if (!result.report.valid) row.notes.push(...result.report.problems.map((p) => p.slice(0, 160)));
  type Ack = Extract<ProduceEntry, { type: "ok" }>;
  const acks = result.history.produced.filter((e): e is Ack => e.type === "ok");
  const first = Math.min(...result.history.produced.map((e) => e.start));
  const seconds = (result.history.endTime - first) / 1000;
  row.acksPerSecond = seconds > 0 ? acks.length / seconds : 0;
  row.p99Ms = percentile(acks.map((a) => a.end - a.start), 0.99);
  return row;
}

export async function run(): Promise<void> {
  if (Deno.uid() !== 0 || !hasExecutable("ip") || !hasExecutable("nft")) {
    console.log("skipped: needs root, iproute2 and nftables (network namespaces and nftables cuts)");
    return;
  }
  const rows: KindRow[] = [];
  for (const kind of FAULT_KINDS) rows.push(await measure(kind));
  const bound = TIMINGS.sessionTimeoutMs + TIMINGS.tickMs + 1_000;
  console.log(
    `\nfaults under acks=all load: session timeout ${TIMINGS.sessionTimeoutMs} ms, tick ${TIMINGS.tickMs} ms, ` +
      `replica lag ${TIMINGS.replicaLagTimeMaxMs} ms; failover bound (session + tick + 1 s) ${bound} ms; ` +
      `up to ${ROUNDS} rounds per fault\n`,
  );
  console.log(
    "| fault | rounds | aimed-at partitions unwritable: median ms | worst ms | other partitions: median ms | worst ms " +
      "| new leader elected, median ms | serving | first ack | acks/s | p99 ack ms |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.kind} | ${r.rounds} | ${ms(median(r.targetedWindows))} | ${ms(worst(r.targetedWindows))} | ` +
        `${ms(median(r.otherWindows))} | ${ms(worst(r.otherWindows))} | ${ms(median(r.elected))} | ` +
        `${ms(median(r.serving))} | ${ms(median(r.writable))} | ${r.acksPerSecond.toFixed(0)} | ` +
        `${ms(r.p99Ms)} |`,
    );
  }
  const notes = rows.flatMap((r) => r.notes.map((n) => `- ${r.kind}: ${n}`));
  if (notes.length > 0) console.log(`\n${notes.join("\n")}`);
}

if (import.meta.main) await run();
