/**
 * A stopping broker closes all its logs at once (PartitionLog.closeAll): one file-system sync and
 * one file for the data directory, `clean-shutdown.state`, instead of a checkpoint, a marker and
 * a snapshot per log. The next start takes that file (takeCleanShutdownState) and hands each log
 * its entry: the log opens as it was closed — offsets, epochs, no walk of its tail — and the
 * entry's attachment (the producer state) comes back. A log whose files no longer match its entry
 * recovers as after a crash, and a damaged state file vouches for nothing.
 */
import assert from "node:assert/strict";
import { PartitionLog } from "../../src/storage/mod.ts";
import { CLEAN_SHUTDOWN_STATE, takeCleanShutdownState } from "../../src/storage/clean-shutdown-state.ts";
import { buildBatch, tempLogDir } from "./batches.ts";

/** Three logs: 0 never written, 1 and 2 with records in two epochs; closed with closeAll. */
async function closedLogs(parent: string) {
  const logs = [0, 1, 2].map((i) => PartitionLog.open({ dir: `${parent}/orders-${i}`, logger: () => {} }));
  for (const [i, log] of logs.entries()) {
    if (i === 0) continue;
    log.assignEpochStartOffset(1);
    log.appendAsLeader(buildBatch({ records: 2 + i }), 1);
    log.assignEpochStartOffset(4);
    log.appendAsLeader(buildBatch({ records: 3 }), 4);
    log.setHighWatermark(2 + i);
  }
  const ends = logs.map((log) => log.logEndOffset);
  const attachments = new Map([[logs[1], new Uint8Array([1, 2, 3])], [logs[2], null]]);
  assert.deepEqual(await PartitionLog.closeAll(logs, attachments), []);
  return { logs, ends };
}

/** Flip a bit near the end of the log's segment: only a walk of the tail notices it. */
function damageLastBatch(dir: string): void {
  const file = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`).find((f) => f.endsWith(".log"))!;
  const bytes = Deno.readFileSync(file);
  bytes[bytes.length - 10] ^= 0x01;
  Deno.writeFileSync(file, bytes);
}

Deno.test("closeAll keeps every log's state in one file; a reopen with it trusts the log as closed", async () => {
  using parent = tempLogDir();
  const { logs, ends } = await closedLogs(parent.path);
  assert.throws(() => logs[1].appendAsLeader(buildBatch({ records: 1 }), 4), /closed/);
  // Nothing per log: no marker, and the logs' own checkpoints were not rewritten at close.
  for (const i of [1, 2]) {
    const dir = `${parent.path}/orders-${i}`;
    assert.throws(() => Deno.statSync(`${dir}/clean-shutdown`), Deno.errors.NotFound);
    let own = ""; // a new log has none until its first checkpoint
    try {
      own = Deno.readTextFileSync(`${dir}/offsets.checkpoint`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    assert.doesNotMatch(own, new RegExp(`recoveryPoint ${ends[i]}\n`));
  }
  // Never written: no directory at all, which a reopen reads as the same empty log.
  assert.throws(() => Deno.statSync(`${parent.path}/orders-0`), Deno.errors.NotFound);

  const lines: string[] = [];
  const state = takeCleanShutdownState(parent.path, (line) => lines.push(line));
  assert.equal(lines.length, 0, lines.join("\n"));
  assert.throws(() => Deno.statSync(`${parent.path}/${CLEAN_SHUTDOWN_STATE}`), Deno.errors.NotFound);
  assert.deepEqual([...state.keys()].sort(), ["orders-1", "orders-2"]);
  assert.deepEqual(state.get("orders-1"), {
    logStartOffset: 0,
    logEndOffset: ends[1],
    highWatermark: 3,
    attachment: new Uint8Array([1, 2, 3]),
  });
  assert.equal(state.get("orders-2")!.attachment, null);
  for (const i of [1, 2]) {
    const dir = `${parent.path}/orders-${i}`;
    damageLastBatch(dir);
    const reopened = PartitionLog.open({
      dir,
      logger: (line) => lines.push(line),
      closedCleanly: state.get(`orders-${i}`),
    });
    assert.equal(reopened.restoredFromShutdownState, true);
    assert.equal(reopened.logEndOffset, ends[i]); // the damage is not walked over: the log is trusted
    assert.equal(reopened.recoveryPoint, ends[i]);
    assert.equal(reopened.highWatermark, 2 + i);
    assert.deepEqual(reopened.epochEntries, [{ epoch: 1, startOffset: 0 }, { epoch: 4, startOffset: 2 + i }]);
    reopened.close();
  }
  assert.equal(lines.length, 0, lines.join("\n"));
  // Taken once: a second start finds nothing to trust.
  assert.equal(takeCleanShutdownState(parent.path, () => {}).size, 0);
  // Closing again is harmless: already-closed logs are skipped.
  assert.deepEqual(await PartitionLog.closeAll(logs), []);
});

Deno.test("a log whose files changed since the shutdown recovers its tail instead of trusting its entry", async () => {
  using parent = tempLogDir();
  const { ends } = await closedLogs(parent.path);
  const state = takeCleanShutdownState(parent.path, () => {});
  const dir = `${parent.path}/orders-2`;
  // Someone cut the log after the shutdown: its end no longer is the one the entry vouches for.
  const file = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`).find((f) => f.endsWith(".log"))!;
  Deno.truncateSync(file, Deno.statSync(file).size - 10);
  const lines: string[] = [];
  const reopened = PartitionLog.open({
    dir,
    logger: (line) => lines.push(line),
    closedCleanly: state.get("orders-2"),
  });
  assert.equal(reopened.restoredFromShutdownState, false);
  assert.equal(reopened.logEndOffset, 4); // the torn last batch (offsets 4-6) is cut by the walk
  assert.ok(ends[2] > reopened.logEndOffset);
  assert.ok(lines.some((line) => /not as it was closed/.test(line)), lines.join("\n"));
  assert.ok(lines.some((line) => /recovery cut/.test(line)), lines.join("\n"));
  reopened.close();
});

Deno.test("a damaged clean-shutdown state vouches for nothing: it is reported and removed", async () => {
  using parent = tempLogDir();
  await closedLogs(parent.path);
  const file = `${parent.path}/${CLEAN_SHUTDOWN_STATE}`;
  const bytes = Deno.readFileSync(file);
  bytes[20] ^= 0x40;
  Deno.writeFileSync(file, bytes);
  const lines: string[] = [];
  const state = takeCleanShutdownState(parent.path, (line) => lines.push(line));
  assert.equal(state.size, 0);
  assert.match(lines.join("\n"), /CRC mismatch; every log recovers its tail instead/);
  assert.throws(() => Deno.statSync(file), Deno.errors.NotFound);
  // Without an entry the log walks its tail and finds the damage a trusting open would have kept.
  const dir = `${parent.path}/orders-1`;
  damageLastBatch(dir);
  const logLines: string[] = [];
  const reopened = PartitionLog.open({ dir, logger: (line) => logLines.push(line) });
  assert.equal(reopened.restoredFromShutdownState, false);
  assert.equal(reopened.logEndOffset, 3);
  reopened.close();
});
