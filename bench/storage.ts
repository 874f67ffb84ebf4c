/**
 * Storage: PartitionLog append and read throughput on the local disk, for 16 KiB batches of
 * 100-byte records (what a batching producer sends). Append includes the CRC-32C check and the
 * in-place offset rewrite; "fsync always" awaits flush() after every append (one producer, no
 * group commit), "fsync per 16 appends" is what group commit gives 16 concurrent producers.
 * Read walks the log with 1 MiB reads (page cache warm, as right after producing).
 */
import { PartitionLog } from "../src/storage/mod.ts";
import { buildBatch } from "../tests/storage/batches.ts";

const BATCH_TARGET_BYTES = 16 * 1024;
const VALUE_BYTES = 100;

export async function run(): Promise<void> {
  let recordsPerBatch = Math.floor(BATCH_TARGET_BYTES / VALUE_BYTES);
  while (buildBatch({ records: recordsPerBatch, valueBytes: VALUE_BYTES }).length > BATCH_TARGET_BYTES) {
    recordsPerBatch--;
  }
  const template = buildBatch({ records: recordsPerBatch, valueBytes: VALUE_BYTES });
  const rows: string[][] = [];
  const dir = Deno.makeTempDirSync({ prefix: "vltava-bench-storage-" });
  try {
    const plain = await measureAppend(`${dir}/plain`, template, recordsPerBatch, 16_384, 0);
    rows.push(row("append, flush left to the OS", plain));
    rows.push(row("read (1 MiB reads)", measureRead(`${dir}/plain`, recordsPerBatch)));
    rows.push(
      row(
        "append, fsync per 16 appends",
        await measureAppend(`${dir}/group`, template, recordsPerBatch, 512, 16),
      ),
    );
    rows.push(
      row("append, fsync always", await measureAppend(`${dir}/always`, template, recordsPerBatch, 64, 1)),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  console.log(`${recordsPerBatch} records of ${VALUE_BYTES}-byte values per ${template.length}-byte batch\n`);
  console.log("| operation | batches | MB/s | records/s |");
  console.log("|---|---:|---:|---:|");
  for (const cells of rows) console.log(`| ${cells.join(" | ")} |`);
}

interface Measurement {
  batches: number;
  bytes: number;
  records: number;
  seconds: number;
}

function row(name: string, m: Measurement): string[] {
  return [
    name,
    String(m.batches),
    (m.bytes / m.seconds / 1e6).toFixed(1),
    Math.round(m.records / m.seconds).toLocaleString("en-US"),
  ];
}

async function measureAppend(
  dir: string,
  template: Uint8Array,
  recordsPerBatch: number,
  batches: number,
  appendsPerFsync: number,
): Promise<Measurement> {
  const log = PartitionLog.open({ dir, config: { retentionMs: -1 } });
  const batch = template.slice();
  const start = performance.now();
  for (let i = 0; i < batches; i++) {
    log.appendAsLeader(batch, 0);
    if (appendsPerFsync > 0 && (i + 1) % appendsPerFsync === 0) await log.flush();
  }
  const seconds = (performance.now() - start) / 1000;
  log.close();
  return { batches, bytes: batches * template.length, records: batches * recordsPerBatch, seconds };
}

function measureRead(dir: string, recordsPerBatch: number): Measurement {
  const log = PartitionLog.open({ dir, config: { retentionMs: -1 } });
  let bytes = 0;
  let batches = 0;
  const start = performance.now();
  for (let round = 0; round < 3; round++) {
    for (let offset = 0; offset < log.logEndOffset;) {
      const { records } = log.read(offset, 1024 * 1024);
      const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
      let at = 0;
      while (at < records.length) {
        offset = view.getUint32(at + 4) + view.getInt32(at + 23) + 1;
        at += 12 + view.getInt32(at + 8);
        batches++;
      }
      bytes += records.length;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  log.close();
  return { batches, bytes, records: batches * recordsPerBatch, seconds };
}
