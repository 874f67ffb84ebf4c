/**
 * RecordBatch v2 codec speed per compression codec: batches of 1,000 records with 100-byte
 * text values (the broker benchmark's shape). encode = encodeRecordBatch (client produce path),
 * decode = decodeRecordBatch including CRC and decompression (client consume path), validate =
 * validateBatch (the broker's whole per-batch check on produce).
 * Run: `deno run -A bench/record-batch.ts` (or via bench/main.ts once listed there).
 */
import { CompressionCodec, type CompressionName, ZSTD_SUPPORTED } from "../src/kafka/compression.ts";
import { decodeRecordBatch, encodeRecordBatch, validateBatch } from "../src/kafka/record-batch.ts";

const RECORDS_PER_BATCH = 1000;
const MEASURE_MS = 1500;

export function run(): Promise<void> {
  const encoder = new TextEncoder();
  const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
    key: null,
    value: encoder.encode(
      `{"id":${i},"user":"user-${i % 97}","event":"page_view","path":"/items/${i % 13}"}`.padEnd(100, " "),
    ),
    timestamp: 1_700_000_000_000 + i,
  }));
  console.log("| codec | batch bytes | encode records/s | decode records/s | validate records/s |");
  console.log("|---|---:|---:|---:|---:|");
  for (const codec of Object.keys(CompressionCodec) as CompressionName[]) {
    if (codec === "zstd" && !ZSTD_SUPPORTED) continue;
    const bytes = encodeRecordBatch({ records, compression: codec });
    const encode = rate(() => encodeRecordBatch({ records, compression: codec }));
    const decode = rate(() => decodeRecordBatch(bytes));
    const validate = rate(() => validateBatch(bytes));
    console.log(`| ${codec} | ${bytes.length} | ${fmt(encode)} | ${fmt(decode)} | ${fmt(validate)} |`);
  }
  return Promise.resolve();
}

/** Records per second of a per-batch operation, after a short warm-up. */
function rate(fn: () => unknown): number {
  for (let i = 0; i < 20; i++) fn();
  let batches = 0;
  const start = performance.now();
  while (performance.now() - start < MEASURE_MS) {
    fn();
    batches++;
  }
  return (batches * RECORDS_PER_BATCH) / ((performance.now() - start) / 1000);
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

if (import.meta.main) await run();
