/**
 * `deno task bench compaction`: the log cleaner in process (no broker). A compacted partition
 * log gets BENCH_COMPACTION_RECORDS (default 500,000) updates of 100-byte values spread over
 * BENCH_COMPACTION_KEYS (10,000) keys, in batches of 100 records, 16 MiB segments; then one
 * compact() cleans everything but the active segment. Reported per codec (none, gzip): the
 * input and output sizes, cleaning throughput (input MB/s and records/s) and the longest single
 * synchronous step (how long appends could be held up), measured as the largest gap between
 * event-loop turns while cleaning.
 */
import { encodeRecordBatch } from "../src/kafka/record-batch.ts";
import { PartitionLog } from "../src/storage/mod.ts";

const RECORDS = Number(Deno.env.get("BENCH_COMPACTION_RECORDS") ?? 500_000);
const KEYS = Number(Deno.env.get("BENCH_COMPACTION_KEYS") ?? 10_000);
const PER_BATCH = 100;
const VALUE = "x".repeat(100);

async function measure(compression: "none" | "gzip"): Promise<string> {
  const dir = Deno.makeTempDirSync({ prefix: "vltava-bench-compaction-" });
  try {
    const log = PartitionLog.open({
      dir,
      config: { cleanupPolicy: "compact", segmentBytes: 16 * 1024 * 1024 },
      logger: () => {},
    });
    let i = 0;
    while (i < RECORDS) {
      const records = [];
      for (let j = 0; j < PER_BATCH && i < RECORDS; j++, i++) {
        records.push({ key: `key-${(i * 7919) % KEYS}`, value: VALUE });
      }
      log.appendAsLeader(encodeRecordBatch({ records, compression }), 0);
    }
    log.roll();
    log.setHighWatermark(log.logEndOffset);
    const inputBytes = log.sizeBytes;
    let longestStepMs = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestStepMs = Math.max(longestStepMs, now - last);
      last = now;
    }, 0);
    const start = performance.now();
    const stats = await log.compact();
    const seconds = (performance.now() - start) / 1000;
    clearInterval(ticker);
    const outputBytes = log.sizeBytes;
    log.close();
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    return `| ${compression} | ${RECORDS.toLocaleString("en")} / ${KEYS.toLocaleString("en")} | ${
      mb(inputBytes)
    } MB | ` +
      `${mb(outputBytes)} MB | ${(inputBytes / 1e6 / seconds).toFixed(1)} MB/s | ` +
      `${
        Math.round(RECORDS / seconds).toLocaleString("en")
      } | ${stats?.segmentsBefore} → ${stats?.segmentsAfter} | ` +
      `${longestStepMs.toFixed(0)} ms |`;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

export async function run(): Promise<void> {
  const rows = [];
  for (const compression of ["none", "gzip"] as const) rows.push(await measure(compression));
  console.log(
    "| codec | records / keys | log before | after | cleaning | records/s | segments | longest step |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const row of rows) console.log(row);
}

if (import.meta.main) await run();
