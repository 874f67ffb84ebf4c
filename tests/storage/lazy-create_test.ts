/**
 * A new log touches the disk only at its first write (issue 16: creating thousands of partitions
 * was mostly mkdir and file creation on the brokers). What must hold: a log that was opened, led
 * and closed without a record leaves nothing and reopens as the same empty log; its first append
 * creates the directory and segment, and once flushed (directory entries synced first: the new
 * directory's in its parent, then the segment's) the records survive a crash; a follower that
 * restarts a new log at its leader's start keeps that start across a reopen.
 */
import assert from "node:assert/strict";
import { PartitionLog } from "../../src/storage/mod.ts";
import { syncCounts } from "../../src/storage/file-io.ts";
import { buildBatch, tempLogDir } from "./batches.ts";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("a new log that never gets a record leaves nothing on disk and reopens empty", async () => {
  using parent = tempLogDir();
  const dir = `${parent.path}/quiet-0`;
  const before = { ...syncCounts };
  const log = PartitionLog.open({ dir, logger: () => {} });
  assert.equal(log.created, true);
  assert.equal(log.written, false);
  log.assignEpochStartOffset(3); // becoming leader
  log.setHighWatermark(0);
  await log.maintain();
  await log.flush();
  log.checkpoint();
  assert.deepEqual(log.read(0, 1024).records.length, 0);
  assert.equal(exists(dir), false, "opening, leading and maintaining create nothing");
  log.close();
  assert.equal(exists(dir), false, "nor does closing");
  assert.deepEqual(syncCounts, before, "and nothing is synced");

  const again = PartitionLog.open({ dir, logger: () => {} });
  assert.equal(again.created, true);
  assert.deepEqual(
    [again.logStartOffset, again.logEndOffset, again.highWatermark, again.epochEntries],
    [0, 0, 0, []],
  );
  // closeAll and delete of such logs are no-ops on disk too.
  assert.deepEqual(await PartitionLog.closeAll([again]), []);
  const third = PartitionLog.open({ dir, logger: () => {} });
  third.delete();
  assert.equal(exists(dir), false);
});

Deno.test("the first append creates the log; flushed, it survives a crash with its epochs", async () => {
  using parent = tempLogDir();
  const dir = `${parent.path}/orders-0`;
  const log = PartitionLog.open({ dir, logger: () => {} });
  log.assignEpochStartOffset(2);
  log.appendAsLeader(buildBatch({ records: 4 }), 2);
  assert.equal(exists(dir), true);
  assert.equal(log.written, true);
  const before = { ...syncCounts };
  await log.flush();
  // The parent's entry for the new directory, then the directory (with the segment's entry) as
  // the epoch checkpoint is written into it.
  assert.equal(syncCounts.directories, before.directories + 2);
  assert.equal(exists(`${dir}/leader-epoch-checkpoint`), true);
  assert.equal(log.recoveryPoint, 4);
  await log.flush();
  log.appendAsLeader(buildBatch({ records: 1 }), 2);
  await log.flush();
  assert.equal(syncCounts.directories, before.directories + 2, "only the first flush syncs them");

  // Crash: no close, no checkpoint. The reopen walks the log and finds every flushed record.
  const crashed = PartitionLog.open({ dir, logger: () => {} });
  assert.equal(crashed.created, false);
  assert.equal(crashed.logEndOffset, 5);
  assert.deepEqual(crashed.epochEntries, [{ epoch: 2, startOffset: 0 }]);
  assert.equal(crashed.read(0, 1 << 20).firstBatchOffset, 0);
  log.close();
  crashed.close();
});

Deno.test("a new follower log restarted at its leader's log start keeps that start across a reopen", () => {
  using parent = tempLogDir();
  const dir = `${parent.path}/orders-1`;
  const log = PartitionLog.open({ dir, logger: () => {} });
  log.truncateFullyAndStartAt(120);
  assert.equal(exists(dir), true);
  log.close();
  const reopened = PartitionLog.open({ dir, logger: () => {} });
  assert.deepEqual([reopened.logStartOffset, reopened.logEndOffset], [120, 120]);
  reopened.close();
});
