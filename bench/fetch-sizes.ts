/**
 * `deno task bench fetch-sizes`: does reading get slower when a client asks for bigger fetches?
 * One broker, one partition of 1,000,000 records of 100-byte values (acks=1, batched), read
 * from the beginning by kcat (librdkafka) with `fetch.message.max.bytes` (its
 * max.partition.fetch.bytes) of 1, 8, 16 and 64 MiB, and by our own consumer. Reports the read
 * time, records/s and the broker's CPU time for the read (utime+stime from /proc), so a cliff
 * (bigger fetches costing more, not less) shows next to the 1 MiB figure of the same run.
 *
 * Knobs (env): BENCH_FETCH_RECORDS (1,000,000), BENCH_RUNS (3; best and median),
 * BENCH_DATA_DIR (parent of the broker's data directory), BENCH_BROKER_FETCH_MAX_BYTES (the
 * broker's --fetch-max-bytes, the bound of one fetch response; default the broker's own).
 */
import { Producer } from "../src/client/producer.ts";
import { Admin } from "../src/client/admin.ts";
import { startCluster } from "../tests/helpers/cluster.ts";
import { hasExecutable } from "../tests/helpers/peers.ts";
import { cpuSeconds } from "./process-cpu.ts";

const RECORDS = Number(Deno.env.get("BENCH_FETCH_RECORDS") ?? 1_000_000);
const RUNS = Math.max(1, Number(Deno.env.get("BENCH_RUNS") ?? 3));
const MiB = 1024 * 1024;
const BROKER_FETCH_MAX_BYTES = Deno.env.get("BENCH_BROKER_FETCH_MAX_BYTES");
/**
 * fetch.message.max.bytes in MiB, with librdkafka's defaults and with its pre-fetch queue
 * threshold raised: by default librdkafka stops fetching for fetch.queue.backoff.ms (1 s) once
 * more than queued.min.messages (100,000) records wait in its queue, which one 16 MiB fetch of
 * 100-byte records (~150,000) does; 8 MiB (~75,000) does not. That client-side pause is the
 * "cliff"; the raised rows show what the broker itself does at those sizes.
 */
const CASES: { mib: number; raisedQueue: boolean }[] = [
  { mib: 1, raisedQueue: false },
  { mib: 8, raisedQueue: false },
  { mib: 16, raisedQueue: false },
  { mib: 64, raisedQueue: false },
  { mib: 1, raisedQueue: true },
  { mib: 16, raisedQueue: true },
  { mib: 64, raisedQueue: true },
];

async function kcatRead(
  port: number,
  topic: string,
  fetchBytes: number,
  raisedQueue: boolean,
): Promise<number> {
  const started = performance.now();
  const output = await new Deno.Command("kcat", {
    args: [
      "-C",
      "-b",
      `127.0.0.1:${port}`,
      "-t",
      topic,
      "-p",
      "0",
      "-o",
      "beginning",
      "-c",
      String(RECORDS),
      "-e",
      "-q",
      "-f",
      "",
      "-X",
      `fetch.message.max.bytes=${fetchBytes}`,
      "-X",
      `receive.message.max.bytes=${Math.max(fetchBytes * 2, 100 * MiB)}`,
      "-X",
      `fetch.max.bytes=${Math.max(fetchBytes, 50 * MiB)}`,
      ...(raisedQueue
        ? ["-X", "queued.min.messages=10000000", "-X", "queued.max.messages.kbytes=2000000"]
        : []),
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (!output.success) throw new Error(`kcat failed: ${new TextDecoder().decode(output.stderr).trim()}`);
  return seconds;
}

export async function run(): Promise<void> {
  if (!hasExecutable("kcat")) {
    console.log("skipped: needs kcat (apt-get install kcat)");
    return;
  }
  await using cluster = await startCluster({
    parentDir: Deno.env.get("BENCH_DATA_DIR"),
    brokerArgs: BROKER_FETCH_MAX_BYTES ? ["--fetch-max-bytes", BROKER_FETCH_MAX_BYTES] : [],
  });
  const broker = cluster.brokers[0];
  const topic = "bench-fetch-sizes";
  {
    await using admin = new Admin({ bootstrap: cluster.bootstrap });
    await admin.createTopics([{ name: topic, partitions: 1 }]);
  }
  {
    await using producer = new Producer({
      bootstrap: cluster.bootstrap,
      acks: 1,
      lingerMs: 5,
      batchBytes: 1_000_000,
      maxRequestBytes: 8 * MiB,
      bufferBytes: 128 * MiB,
    });
    await producer.connect([topic]);
    const record = { topic, partition: 0, value: new Uint8Array(100).fill(97) };
    for (let i = 0; i < RECORDS; i++) {
      if (!producer.produce(record)) await producer.waitForSpace();
    }
    await producer.flush();
  }
  const results = CASES.map((c) => ({ ...c, seconds: [] as number[], cpu: [] as number[] }));
  for (let run = 0; run < RUNS; run++) {
    for (const entry of results) {
      const cpuBefore = cpuSeconds(broker.program.pid);
      entry.seconds.push(await kcatRead(broker.port, topic, entry.mib * MiB, entry.raisedQueue));
      entry.cpu.push(cpuSeconds(broker.program.pid) - cpuBefore);
    }
  }
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  console.log(
    `\nkcat (librdkafka) reading ${RECORDS.toLocaleString("en-US")} records of 100 bytes from one ` +
      `partition; best and median of ${RUNS} runs; broker --fetch-max-bytes ${
        BROKER_FETCH_MAX_BYTES ?? "default"
      }; load average ${load}\n`,
  );
  console.log(
    "| fetch.message.max.bytes | librdkafka queue | best s | median s | best records/s | broker CPU s (median) |",
  );
  console.log("|---:|---|---:|---:|---:|---:|");
  for (const entry of results) {
    const sorted = [...entry.seconds].sort((a, b) => a - b);
    const cpu = [...entry.cpu].sort((a, b) => a - b);
    const median = (values: number[]) => values[Math.floor(values.length / 2)];
    console.log(
      `| ${entry.mib} MiB | ${entry.raisedQueue ? "queued.min.messages=10M" : "default"} | ${
        sorted[0].toFixed(2)
      } | ${median(sorted).toFixed(2)} | ${Math.round(RECORDS / sorted[0]).toLocaleString("en-US")} | ${
        median(cpu).toFixed(2)
      } |`,
    );
  }
}

if (import.meta.main) await run();
