/**
 * `deno task bench reassign`: a topic of BENCH_REASSIGN_PARTITIONS partitions (8) holding
 * BENCH_REASSIGN_MB of data (32) gets a second replica on a 3-broker cluster
 * (`topic alter --replication-factor 2`), unthrottled and then with `--throttle`
 * (BENCH_REASSIGN_THROTTLE, 2MB: a rate per broker, as Kafka's): the time until the move is done, the bytes copied per second,
 * and the p99 latency of a concurrent acks=all producer on another topic, for both. Between the
 * runs the factor goes back to 1 (no copy).
 */
import { Admin } from "../src/client/admin.ts";
import { Producer } from "../src/client/producer.ts";
import { createTopics, startCluster } from "../tests/helpers/cluster.ts";
import { runCli } from "../tests/helpers/program.ts";
import { LatencyHistogram } from "./histogram.ts";

const PARTITIONS = Number(Deno.env.get("BENCH_REASSIGN_PARTITIONS") ?? 8);
const MEGABYTES = Number(Deno.env.get("BENCH_REASSIGN_MB") ?? 32);
const THROTTLE = Deno.env.get("BENCH_REASSIGN_THROTTLE") ?? "2MB";

export async function run(): Promise<void> {
  await using cluster = await startCluster({ brokers: 3 });
  await cluster.waitForBrokers();
  const b = ["--bootstrap", cluster.bootstrap];
  await createTopics(cluster.bootstrap, [
    { name: "move", partitions: PARTITIONS, replicationFactor: 1 },
    { name: "live", partitions: 1, replicationFactor: 3 },
  ]);
  const loader = new Producer({ bootstrap: cluster.bootstrap, acks: 1, lingerMs: 5 });
  const value = "x".repeat(10_000);
  const records = Math.ceil((MEGABYTES * 1_000_000) / value.length);
  const sends = [];
  for (let i = 0; i < records; i++) {
    sends.push(loader.send({ topic: "move", partition: i % PARTITIONS, value }));
    if (sends.length >= 200) await Promise.all(sends.splice(0));
  }
  await Promise.all(sends);
  await loader.close();
  await using admin = new Admin({ bootstrap: cluster.bootstrap });
  const [described] = await admin.describeTopics(["move"]);
  const bytes = described.partitions.reduce((sum, p) => sum + Math.max(0, p.sizeBytes), 0);

  const rows: string[] = [];
  for (const throttle of [null, THROTTLE]) {
    const latency = new LatencyHistogram();
    let producing = true;
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: "all", lingerMs: 0 });
    const writer = (async () => {
      while (producing) {
        const started = performance.now();
        await producer.send({ topic: "live", partition: 0, value: "latency" });
        latency.record(performance.now() - started);
      }
    })();
    const started = performance.now();
    const args = ["topic", "alter", "move", "--replication-factor", "2", "--yes", ...b];
    const result = await runCli(throttle === null ? args : [...args, "--throttle", throttle]);
    const seconds = (performance.now() - started) / 1000;
    producing = false;
    await writer;
    await producer.close();
    if (result.code !== 0) throw new Error(`topic alter failed: ${result.stderr}`);
    rows.push(
      `| ${throttle ?? "none"} | ${(bytes / 1e6).toFixed(1)} | ${seconds.toFixed(1)} | ${
        (bytes / 1e6 / seconds).toFixed(1)
      } | ${latency.percentile(0.5).toFixed(1)} | ${latency.percentile(0.99).toFixed(1)} |`,
    );
    const back = await runCli(["topic", "alter", "move", "--replication-factor", "1", "--yes", ...b]);
    if (back.code !== 0) throw new Error(`topic alter back failed: ${back.stderr}`);
  }
  const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "?")).split(" ").slice(0, 3).join(" ");
  console.log(
    `\nreassignment: ${PARTITIONS} partitions, replication factor 1 -> 2 on 3 brokers, ` +
      `${new Date().toISOString()}, load ${load}\n`,
  );
  console.log("| throttle | MB copied | seconds | MB/s | acks=all p50 ms | acks=all p99 ms |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const row of rows) console.log(row);
}
