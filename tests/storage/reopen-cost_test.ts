/**
 * What reopening an existing log costs (issue 16: a broker restarting with 10,000 logs). After a
 * clean shutdown the open trusts the files and costs no fsync: the marker's removal becomes
 * durable before the log's first change, never after it. After a crash the walk of bytes all
 * below the recovery point syncs nothing, while a torn tail past it is still cut and synced.
 */
import assert from "node:assert/strict";
import { PartitionLog } from "../../src/storage/mod.ts";
import { syncCounts } from "../../src/storage/file-io.ts";
import { buildBatch, tempLogDir } from "./batches.ts";

function exists(file: string): boolean {
  try {
    Deno.statSync(file);
    return true;
  } catch {
    return false;
  }
}

Deno.test("a log reopened after a clean shutdown costs no fsync until its first change, which syncs the marker's removal first", () => {
  using parent = tempLogDir();
  const dir = `${parent.path}/idle-0`;
  const first = PartitionLog.open({ dir, logger: () => {} });
  first.appendAsLeader(buildBatch({ records: 3 }), 0);
  first.close();
  assert.ok(exists(`${dir}/clean-shutdown`));

  const before = { ...syncCounts };
  const reopened = PartitionLog.open({ dir, logger: () => {} });
  assert.deepEqual(syncCounts, before, "an idle reopen syncs nothing");
  assert.equal(exists(`${dir}/clean-shutdown`), false, "the marker is gone at once");
  assert.equal(reopened.logEndOffset, 3);
  reopened.truncateTo(10); // above the log end: no change, no sync
  assert.deepEqual(syncCounts, before);

  reopened.appendAsLeader(buildBatch({ records: 2 }), 0);
  assert.equal(syncCounts.directories, before.directories + 1, "the first change syncs the directory first");
  reopened.appendAsLeader(buildBatch({ records: 2 }), 0);
  assert.equal(syncCounts.directories, before.directories + 1, "once");
  // A crash now (no close): the marker's removal was durable, so the open walks the tail.
  const crashed = PartitionLog.open({ dir, logger: () => {} });
  assert.equal(crashed.logEndOffset, 7);
  reopened.close();
  crashed.close();
});

Deno.test("after a crash, a log with nothing past its recovery point is not synced again; a torn tail past it is cut", async () => {
  using parent = tempLogDir();
  const dir = `${parent.path}/crashed-0`;
  const log = PartitionLog.open({ dir, logger: () => {} });
  log.appendAsLeader(buildBatch({ records: 4 }), 0);
  await log.flush();
  log.checkpoint(); // what the broker's maintenance tick writes after a flush
  assert.equal(log.recoveryPoint, 4);
  // Crash (no close): no marker, the checkpoint says everything up to 4 was flushed.
  const before = { ...syncCounts };
  const lines: string[] = [];
  const again = PartitionLog.open({ dir, logger: (line) => lines.push(line) });
  assert.equal(again.logEndOffset, 4);
  assert.deepEqual(syncCounts, before, "nothing past the recovery point: nothing to sync");
  assert.equal(lines.length, 0);

  // Bytes past the recovery point, torn: the next open cuts them and syncs what it kept.
  const segment = [...Deno.readDirSync(dir)].map((e) => e.name).find((n) => n.endsWith(".log"))!;
  const file = await Deno.open(`${dir}/${segment}`, { append: true });
  await file.write(buildBatch({ records: 2 }).subarray(0, 30));
  file.close();
  const torn = PartitionLog.open({ dir, logger: (line) => lines.push(line) });
  assert.equal(torn.logEndOffset, 4);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /recovery cut 30 bytes/);
  assert.ok(syncCounts.segments > before.segments, "what the walk kept is synced");
  log.close();
  again.close();
  torn.close();
});
