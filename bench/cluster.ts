/**
 * Cluster: 3 broker processes (fsync never) and the built-in coordinator on this machine,
 * topics with replication factor 3 (leader broker 1), 100-byte values.
 *
 * - raw producer: pre-encoded batches of 600 records pipelined 8 deep on one connection to the
 *   leader, with acks=1 and with acks=all (each acks=all answer waits until both followers
 *   fetched the batch and the high watermark passed it);
 * - end-to-end latency with acks=all: one record per Produce at 500 records/s while a consumer
 *   long-polls the leader (send → received; consumers only see records below the HWM);
 * - the same with the project's client at BENCH_LATENCY_RATE (5,000) records/s for
 *   BENCH_LATENCY_SECONDS (30), acks=1 and acks=all, BENCH_RUNS (3) runs of each, best and median, p50/p99/p99.9/max from a log-linear
 *   histogram (bench/client-latency.ts), and where the slowest records' time went (before
 *   and after the leader's append, from LogAppendTime);
 * - the same, acks=all, at half the raw producer's acks=all rate of this run for
 *   BENCH_HALF_SECONDS (10): issue 14's "p99 <= 10 ms at half of the maximum throughput".
 *
 * Failover time (SIGKILL of a leader to the first acks=all write acknowledged by the new leader,
 * through the controller) is bench/cluster-failover.ts.
 */
import { startCluster } from "../tests/helpers/cluster.ts";
import { RawKafka } from "../tests/integration/broker-harness.ts";
import { createAssignedTopic, waitForIsr } from "../tests/integration/replication-harness.ts";
import { endToEndLatency, pipelinedProduce, type Row } from "./raw-load.ts";
import {
  clientLatency,
  describeLatencyRuns,
  LATENCY_TOPIC_CONFIGS,
  repeatLatency,
} from "./client-latency.ts";
import { Admin } from "../src/client/admin.ts";
import { machineConditions } from "./machine.ts";

const VALUE_BYTES = 100;
const RECORDS_PER_BATCH = 600;
const RECORDS = 1_200_000;
const PIPELINE_DEPTH = 16;
const LATENCY_RATE = Number(Deno.env.get("BENCH_LATENCY_RATE") ?? 5_000);
const LATENCY_SECONDS = Number(Deno.env.get("BENCH_LATENCY_SECONDS") ?? 30);
const HALF_SECONDS = Number(Deno.env.get("BENCH_HALF_SECONDS") ?? 10);
/** Runs of each own-client latency setup (each on a fresh topic); the best and median are shown. */
const RUNS = Math.max(1, Number(Deno.env.get("BENCH_RUNS") ?? 3));

export async function run(): Promise<void> {
  await using cluster = await startCluster({ brokers: 3 });
  await using admin = await RawKafka.connect(cluster.broker(1).port);
  await using topics = new Admin({ bootstrap: cluster.bootstrap });
  const replicated = async (topic: string, configs: Record<string, string> = {}) => {
    await createAssignedTopic(admin, topic, [[1, 2, 3]], { "min.insync.replicas": "2", ...configs });
    await waitForIsr(admin, topic, 0, [1, 2, 3]);
    return topic;
  };
  for (const topic of ["acks1", "acksall", "latency"]) await replicated(topic);
  const port = cluster.broker(1).port;
  const rows = [await rawProduce(port, "acks1", 1), await rawProduce(port, "acksall", -1)];
  const latency = await endToEndLatency(port, "latency", -1, VALUE_BYTES);
  // The raw runs' topics go before the latency runs (repeatLatency says why).
  await topics.deleteTopics(["acks1", "acksall", "latency"]);
  const latencyRuns = (name: string, acks: 1 | -1, rate: number, seconds: number) =>
    repeatLatency(
      RUNS,
      (run) => replicated(`${name}-${run}`, LATENCY_TOPIC_CONFIGS),
      (topic) =>
        clientLatency(cluster.bootstrap, topic, {
          acks,
          rate,
          seconds,
          valueBytes: VALUE_BYTES,
          logAppendTime: true,
        }),
      (topic) => topics.deleteTopics([topic]),
    );
  const clientRuns = [];
  for (const acks of [1, -1] as const) {
    const name = acks === 1 ? "latency-client-1" : "latency-client-all";
    clientRuns.push({ acks, results: await latencyRuns(name, acks, LATENCY_RATE, LATENCY_SECONDS) });
  }
  const halfRate = Math.round(rows[1].records / rows[1].seconds / 2);
  const half = await latencyRuns("latency-half", -1, halfRate, HALF_SECONDS);

  console.log(
    `3 brokers, replication factor 3, ${VALUE_BYTES}-byte values, batches of ${RECORDS_PER_BATCH}\n`,
  );
  console.log("| workload | records | records/s | MB/s |");
  console.log("|---|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.records.toLocaleString("en-US")} | ${
        Math.round(r.records / r.seconds).toLocaleString("en-US")
      } | ${(r.bytes / r.seconds / 1e6).toFixed(1)} |`,
    );
  }
  console.log(
    `\nend-to-end latency, acks=all at 500 records/s: p50 ${latency.p50.toFixed(2)} ms, p99 ${
      latency.p99.toFixed(2)
    } ms`,
  );
  for (const { acks, results } of clientRuns) {
    console.log(describeLatencyRuns(
      `end-to-end latency, own client, acks=${acks === -1 ? "all" : 1}, ${
        LATENCY_RATE.toLocaleString("en-US")
      } records/s for ${LATENCY_SECONDS} s`,
      results,
    ));
  }
  console.log(describeLatencyRuns(
    `end-to-end latency, own client, acks=all, at half the raw acks=all rate (${
      halfRate.toLocaleString("en-US")
    } records/s) for ${HALF_SECONDS} s`,
    half,
  ));
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  console.log(`load average at the end: ${load}`);
  for (const line of machineConditions()) console.log(`machine: ${line}`);
  admin.conn.close();
}

async function rawProduce(port: number, topic: string, acks: number): Promise<Row> {
  const result = await pipelinedProduce({
    port,
    topic,
    acks,
    records: RECORDS,
    recordsPerBatch: RECORDS_PER_BATCH,
    pipelineDepth: PIPELINE_DEPTH,
    valueBytes: VALUE_BYTES,
  });
  return {
    name: `raw producer, acks=${acks === -1 ? "all" : acks}, pipelined ${PIPELINE_DEPTH} deep`,
    ...result,
  };
}
