/**
 * One partition-test run, shared by the nemesis test files and `deno task bench partitions`:
 * a 3-broker cluster in network namespaces (short session timeout and lag time, a fast-ticking
 * coordinator), one topic with 3 partitions, replication factor 3 and min.insync.replicas=2,
 * the acks=all workload, rounds of faults, then the heal, a final full read, a clean stop, the
 * replica bytes and the checker. The result says everything the run saw; `assertRunPassed`
 * is what the tests demand of it. VLTAVA_PARTITION_LOGS=DIR keeps every server's whole output
 * (lines timed like the nemesis's) in DIR; VLTAVA_NEMESIS_SEED replays the nemesis's choices.
 */
import { check, type FaultPeriod, formatReport, type History, type Report } from "./checker.ts";
import { NetnsCluster } from "./netns-cluster.ts";
import { type FaultKind, Nemesis, type RoundOutcome } from "./nemesis.ts";
import {
  createTopic,
  finalRead,
  replicaImages,
  stopBrokersCleanly,
  waitForQuiet,
  Workload,
  type WorkloadOptions,
} from "./workload.ts";

export const TOPIC = "jepsen";
export const PARTITIONS = [0, 1, 2];
export const TIMINGS = { sessionTimeoutMs: 3_000, tickMs: 500, replicaLagTimeMaxMs: 3_000 };

export interface PartitionRunOptions {
  /** Each round applies every kind once, in this order. */
  kinds: FaultKind[];
  rounds: number;
  seed?: number;
  workload?: Partial<WorkloadOptions>;
  /** Quiet time before the first fault and between rounds. */
  settleMs?: number;
}

export interface PartitionRunResult {
  seed: number;
  outcomes: RoundOutcome[];
  /** Set when a broker process ended during the run. */
  fatal: string | null;
  history: History;
  report: Report;
  /** Brokers that were not running at the end (without anyone stopping them). */
  exited: { id: number; output: string }[];
  /** The servers' last lines, for failure messages. */
  logs: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function partitionRun(options: PartitionRunOptions): Promise<PartitionRunResult> {
  const seed = options.seed ?? Number(Deno.env.get("VLTAVA_NEMESIS_SEED") ?? Date.now() % 1_000_000);
  console.log(`nemesis seed ${seed} (set VLTAVA_NEMESIS_SEED to replay the same choices)`);
  await using cluster = await NetnsCluster.start({
    brokerArgs: [
      "--session-timeout-ms",
      String(TIMINGS.sessionTimeoutMs),
      "--replica-lag-time-max-ms",
      String(TIMINGS.replicaLagTimeMaxMs),
    ],
    coordinatorArgs: ["--tick-ms", String(TIMINGS.tickMs)],
  });
  await createTopic(cluster, TOPIC, PARTITIONS.length, { "min.insync.replicas": "2" });
  const workload = await Workload.start(cluster, {
    topic: TOPIC,
    partitions: PARTITIONS,
    ...options.workload,
  });
  const settleMs = options.settleMs ?? 2_000;
  const nemesis = new Nemesis(cluster, workload, TOPIC, TIMINGS, seed);
  const outcomes: RoundOutcome[] = [];
  let fatal: string | null = null;
  try {
    await sleep(settleMs);
    rounds: for (let round = 0; round < options.rounds; round++) {
      for (const kind of options.kinds) {
        const outcome = await nemesis.round(kind);
        outcomes.push(outcome);
        fatal = outcome.brokerExit;
        if (fatal) break rounds;
        await sleep(settleMs);
      }
    }
  } finally {
    await cluster.lab.heal();
    for (const broker of cluster.brokers.values()) cluster.lab.resume(broker.program);
  }
  const { produced, reads } = await workload.stop();
  const faults: FaultPeriod[] = outcomes.map((o) => o.period);
  const exited = cluster.exitedBrokers();
  // A cluster that lost a broker cannot get its ISRs whole again: read what the survivors have.
  let final = new Map<number, { offset: number; value: string }[]>();
  let readError: string | null = exited.length === cluster.brokers.size ? "every broker had ended" : null;
  if (readError === null) {
    try {
      await waitForQuiet(cluster, TOPIC, exited.length === 0 ? 60_000 : 30_000, exited.length === 0);
      final = await finalRead(cluster, TOPIC, PARTITIONS);
    } catch (error) {
      readError = (error as Error).message;
    }
  }
  const logs = cluster.logs();
  const keepLogs = Deno.env.get("VLTAVA_PARTITION_LOGS");
  if (keepLogs) {
    await Deno.mkdir(keepLogs, { recursive: true });
    await Deno.writeTextFile(`${keepLogs}/${options.kinds.join("+")}-${seed}.log`, cluster.logs(Infinity));
  }
  await stopBrokersCleanly(cluster);
  // A broker that ended never caught up (or truncated): only the survivors' bytes can be compared.
  const survivors = [...cluster.brokers.keys()].filter((id) => !exited.some((b) => b.id === id));
  const replicas = await replicaImages(cluster, TOPIC, PARTITIONS, survivors);
  const history: History = { produced, reads, final, replicas, faults, endTime: workload.stoppedAt };
  let report = check(history, { idempotent: false });
  if (readError) {
    // Without a final read, lost and dirty would list everything: check only the replicas.
    const replicasOnly = check({ ...history, produced: [], reads: [] }, { idempotent: false });
    report = {
      ...report,
      anomalies: replicasOnly.anomalies,
      problems: [
        `no final read, so lost writes and dirty reads were not checked: ${readError}`,
        ...replicasOnly.problems,
      ],
      valid: false,
    };
  }
  return { seed, outcomes, fatal, history, report, exited, logs };
}

/** Print the run's report and throw one error naming everything the demands saw fail. */
export function assertRunPassed(result: PartitionRunResult): void {
  console.log(formatReport(result.report));
  const failures = [
    ...(result.fatal ? [`a broker ended: ${result.fatal}`] : []),
    ...result.exited.filter(() => !result.fatal).map((b) =>
      `broker ${b.id} not running at the end:\n${b.output}`
    ),
    ...result.outcomes.flatMap((o, i) =>
      o.problems.map((p) => `round ${i} ${o.plan.kind} (${o.plan.description}): ${p}`)
    ),
    ...result.report.problems,
  ];
  if (failures.length > 0) {
    throw new Error(`${failures.join("\n")}\n(nemesis seed ${result.seed})\n${result.logs}`);
  }
}
