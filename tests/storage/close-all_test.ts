/**
 * A stopping broker closes all its logs at once (PartitionLog.closeAll: two file-system syncs
 * instead of fsyncs per log). The end state must be close()'s: every log's checkpoint at its log
 * end and high watermark, its epochs written, and the clean-shutdown marker, so the next open
 * trusts the files and finds everything that was written. A log that never held a record has
 * nothing on disk, before and after (it reopens as the same empty log).
 */
import assert from "node:assert/strict";
import { PartitionLog } from "../../src/storage/mod.ts";
import { buildBatch, tempLogDir } from "./batches.ts";

Deno.test("closeAll leaves every log as close() would: checkpoint at the log end, epochs, clean marker", async () => {
  using parent = tempLogDir();
  const logs = [0, 1, 2].map((i) =>
    PartitionLog.open({ dir: `${parent.path}/orders-${i}`, logger: () => {} })
  );
  // Log 0 stays empty (a partition that never got a record); 1 and 2 get records in two epochs.
  for (const [i, log] of logs.entries()) {
    if (i === 0) continue;
    log.assignEpochStartOffset(1);
    log.appendAsLeader(buildBatch({ records: 2 + i }), 1);
    log.assignEpochStartOffset(4);
    log.appendAsLeader(buildBatch({ records: 3 }), 4);
    log.setHighWatermark(2 + i);
  }
  const ends = logs.map((log) => log.logEndOffset);
  assert.deepEqual(await PartitionLog.closeAll(logs), []);
  assert.throws(() => logs[1].appendAsLeader(buildBatch({ records: 1 }), 4), /closed/);
  for (const i of logs.keys()) {
    const dir = `${parent.path}/orders-${i}`;
    if (i === 0) {
      // Never written: no directory at all, which a reopen reads as the same empty log.
      assert.throws(() => Deno.statSync(dir), Deno.errors.NotFound);
    } else {
      Deno.statSync(`${dir}/clean-shutdown`); // throws when missing
      const checkpoint = Deno.readTextFileSync(`${dir}/offsets.checkpoint`);
      assert.match(checkpoint, new RegExp(`recoveryPoint ${ends[i]}\n`));
      assert.match(checkpoint, new RegExp(`highWatermark ${2 + i}\n`));
      // Damage the last batch: an open that trusts the marker does not walk the log to find it.
      const file = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`).find((f) => f.endsWith(".log"))!;
      const bytes = Deno.readFileSync(file);
      bytes[bytes.length - 10] ^= 0x01;
      Deno.writeFileSync(file, bytes);
    }
    const reopened = PartitionLog.open({ dir, logger: () => {} });
    assert.equal(reopened.logEndOffset, ends[i]);
    assert.equal(reopened.recoveryPoint, ends[i]);
    assert.deepEqual(
      reopened.epochEntries,
      i === 0 ? [] : [{ epoch: 1, startOffset: 0 }, { epoch: 4, startOffset: 2 + i }],
    );
    reopened.close();
  }
  // Closing again is harmless: already-closed logs are skipped.
  assert.deepEqual(await PartitionLog.closeAll(logs), []);
});
