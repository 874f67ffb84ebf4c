/**
 * A roll costs the append path no directory fsync (issue 14: at 1.6 M records/s a 128 MiB segment
 * rolls about every 0.8 s, and its fsync held the broker's event loop up to 68 ms). What must
 * hold instead: the next flush syncs the directory, with the new segment's entry, before its
 * recovery point passes into that segment, once per flush however many rolls came before it;
 * and a crash after the flush finds every flushed record, across the rolled segments.
 */
import assert from "node:assert/strict";
import { PartitionLog } from "../../src/storage/mod.ts";
import { syncCounts } from "../../src/storage/file-io.ts";
import { buildBatch, tempLogDir } from "./batches.ts";

Deno.test("a roll syncs nothing; the next flush syncs the directory once before its recovery point passes the new segments", async () => {
  using parent = tempLogDir();
  const dir = `${parent.path}/rolling-0`;
  const log = PartitionLog.open({ dir, logger: () => {} });
  log.assignEpochStartOffset(0);
  log.appendAsLeader(buildBatch({ records: 3 }), 0);
  await log.flush(); // the new log's own entries are synced here, not counted below
  assert.equal(log.recoveryPoint, 3);

  const before = { ...syncCounts };
  log.roll();
  log.appendAsLeader(buildBatch({ records: 2 }), 0);
  log.roll();
  log.appendAsLeader(buildBatch({ records: 4 }), 0);
  assert.deepEqual(log.segmentBaseOffsets, [0, 3, 5]);
  assert.deepEqual(syncCounts, before, "rolling and appending sync nothing");

  await log.flush();
  assert.equal(log.recoveryPoint, 9);
  assert.equal(syncCounts.directories, before.directories + 1, "one directory sync covers both rolls");
  await log.flush();
  assert.equal(syncCounts.directories, before.directories + 1, "and is not repeated");

  // Crash: no close, no checkpoint. The reopen finds every flushed record in all three segments.
  const crashed = PartitionLog.open({ dir, logger: () => {} });
  assert.deepEqual(crashed.segmentBaseOffsets, [0, 3, 5]);
  assert.equal(crashed.logEndOffset, 9);
  assert.equal(crashed.read(5, 1 << 20).firstBatchOffset, 5);
  log.close();
  crashed.close();
});
