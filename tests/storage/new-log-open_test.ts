/**
 * Opening a brand-new partition log and becoming its leader costs no fsync (thousands arrive in
 * one LeaderAndIsr), yet nothing a flush made durable is lost: the leader-epoch entry and the
 * first segment's directory entry are written before the recovery point passes them, and a
 * crash before that rebuilds the epoch from the batches.
 */
import assert from "node:assert/strict";
import { PartitionLog } from "../../src/storage/mod.ts";
import { buildBatch, tempLogDir } from "./batches.ts";

Deno.test("a new log's epoch reaches the file only with a flush; a crash before it rebuilds the epoch from the batches", async () => {
  using parent = tempLogDir();
  const dir = `${parent.path}/orders-0`;
  const log = PartitionLog.open({ dir, logger: () => {} });
  log.assignEpochStartOffset(3);
  assert.throws(() => Deno.statSync(`${dir}/leader-epoch-checkpoint`), Deno.errors.NotFound);
  log.appendAsLeader(buildBatch({ records: 2 }), 3);
  // A crash now (no close, no flush): recovery walks the batches and finds epoch 3 in them.
  const crashed = PartitionLog.open({ dir, logger: () => {} });
  assert.equal(crashed.logEndOffset, 2);
  assert.deepEqual(crashed.epochEntries, [{ epoch: 3, startOffset: 0 }]);
  await crashed.flush();
  log.close();
  crashed.close();
});

Deno.test("a flush writes a new epoch before its batches count as durable", async () => {
  using parent = tempLogDir();
  const dir = `${parent.path}/orders-1`;
  const log = PartitionLog.open({ dir, logger: () => {} });
  log.assignEpochStartOffset(7);
  log.appendAsLeader(buildBatch({ records: 3 }), 7);
  await log.flush();
  assert.equal(log.recoveryPoint, 3);
  assert.equal(Deno.readTextFileSync(`${dir}/leader-epoch-checkpoint`), "0\n1\n7 0\n");
  log.close();
  const reopened = PartitionLog.open({ dir, logger: () => {} });
  assert.deepEqual(reopened.epochEntries, [{ epoch: 7, startOffset: 0 }]);
  assert.equal(reopened.logEndOffset, 3);
  reopened.close();
});
