/**
 * Child process for crash_test.ts: appends batches to the log in Deno.args[0] forever, fsyncing
 * every few appends and printing each flushed offset (a promise it made) on stdout, until killed.
 */
import { PartitionLog } from "../../src/storage/mod.ts";
import { buildBatch } from "./batches.ts";

const log = PartitionLog.open({ dir: Deno.args[0], config: { segmentBytes: 64 * 1024 } });
const encoder = new TextEncoder();
for (let i = 0;; i++) {
  log.appendAsLeader(buildBatch({ records: 1 + (i % 7), valueBytes: 50 + (i % 300), fill: i & 0xff }), 1);
  if (i % 5 === 4) {
    await log.flush();
    Deno.stdout.writeSync(encoder.encode(`${log.recoveryPoint}\n`));
  }
}
