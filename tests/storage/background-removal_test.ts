/**
 * Deleting a log or a segment frees its name at once and leaves the freeing of its blocks to the
 * background (issue 14: with `discard` an unlink waits for the disk, 0.4–0.7 s for a 1.7 GB
 * partition, which held the broker's event loop): the files stay, under a retired name no reader
 * looks at, until the background removal is done; a topic created again gets a fresh log at the
 * old path meanwhile; and retired entries a crash left behind are removed at the next open or
 * start, while everything else stays.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PartitionLog } from "../../src/storage/mod.ts";
import {
  isRetiredName,
  removeRetiredIn,
  retiredRemoved,
  retireFile,
} from "../../src/storage/background-removal.ts";
import { buildBatch, tempLogDir } from "./batches.ts";

const retiredIn = (directory: string) => fs.readdirSync(directory).filter(isRetiredName).sort();

/** A log at `dir` with two segments, offsets 0–2 and 3–4, indexing every batch after a segment's first. */
function twoSegmentLog(dir: string): PartitionLog {
  const log = PartitionLog.open({ dir, logger: () => {}, config: { indexIntervalBytes: 1 } });
  log.assignEpochStartOffset(0);
  log.appendAsLeader(buildBatch({ records: 3 }), 0);
  log.roll();
  log.appendAsLeader(buildBatch({ records: 2 }), 0);
  return log;
}

Deno.test("a deleted log's directory is free at once and its files go in the background", async () => {
  using parent = tempLogDir();
  const dir = `${parent.path}/orders-0`;
  const log = twoSegmentLog(dir);
  log.appendAsLeader(buildBatch({ records: 2 }), 0); // an index entry of the active segment, not yet written
  log.delete();

  assert.equal(fs.existsSync(dir), false, "the partition's name is free at once");
  const retired = retiredIn(parent.path);
  assert.equal(retired.length, 1, "the files wait under a retired name, not removed in the deleting call");
  assert.match(retired[0], /^orders-0\..+-delete$/);
  const files = fs.readdirSync(path.join(parent.path, retired[0]));
  assert.ok(files.includes("00000000000000000003.log"), files.join(" "));
  assert.ok(!files.includes("00000000000000000003.index"), "a deletion writes no index for a next open");

  // The topic created again meanwhile: a fresh, empty log at the same path.
  const again = PartitionLog.open({ dir, logger: () => {} });
  assert.equal(again.logEndOffset, 0);
  again.assignEpochStartOffset(0);
  again.appendAsLeader(buildBatch({ records: 1 }), 0);

  await retiredRemoved();
  assert.deepEqual(retiredIn(parent.path), [], "removed in the background");
  assert.equal(again.read(0, 1 << 20).firstBatchOffset, 0, "and the new log untouched by it");
  again.close();
});

Deno.test("a truncated segment's names are free at once, its files removed in the background and ignored by a reopen", async () => {
  using parent = tempLogDir();
  const dir = `${parent.path}/payments-0`;
  const log = twoSegmentLog(dir);
  assert.deepEqual(log.segmentBaseOffsets, [0, 3]);

  assert.equal(log.truncateTo(3), true);
  assert.deepEqual(log.segmentBaseOffsets, [0]);
  assert.ok(!fs.existsSync(path.join(dir, "00000000000000000003.log")), "its name is free at once");
  assert.ok(
    retiredIn(dir).some((name) => name.startsWith("00000000000000000003.log.")),
    "retired, not yet removed",
  );

  // The follower fetches again: a new segment at the same base offset while the old one waits.
  log.roll();
  log.appendAsLeader(buildBatch({ records: 4 }), 0);
  assert.deepEqual(log.segmentBaseOffsets, [0, 3]);
  await log.flush();

  // A crash left a retired segment behind: the reopen neither loads it nor keeps it.
  const leftover = path.join(dir, "00000000000000000009.log.crash1.deleted");
  fs.writeFileSync(leftover, new Uint8Array(100));
  const reopened = PartitionLog.open({ dir, logger: () => {} });
  assert.deepEqual(reopened.segmentBaseOffsets, [0, 3]);
  assert.equal(reopened.logEndOffset, 7);
  await retiredRemoved();
  assert.deepEqual(retiredIn(dir), [], "every retired file removed");
  assert.ok(fs.existsSync(path.join(dir, "00000000000000000003.log")), "the live segment kept");
  log.close();
  reopened.close();
});

Deno.test("removeRetiredIn removes only retired entries (a crash's leftovers at a broker's start)", async () => {
  using parent = tempLogDir();
  const keep = ["orders-0", "orders-10", "data.log", "recovery-point-offset-checkpoint"];
  for (const name of keep) fs.writeFileSync(path.join(parent.path, name), "kept");
  fs.mkdirSync(path.join(parent.path, "orders-1.lx2k3-delete", "nested"), { recursive: true });
  fs.writeFileSync(
    path.join(parent.path, "orders-1.lx2k3-delete", "nested", "00000000000000000000.log"),
    "x",
  );
  fs.writeFileSync(path.join(parent.path, "00000000000000000000.log.lx2k4.deleted"), "x");
  assert.equal(removeRetiredIn(parent.path), 2);
  await retiredRemoved();
  assert.deepEqual(fs.readdirSync(parent.path).sort(), keep.sort());
  assert.equal(removeRetiredIn(path.join(parent.path, "missing")), 0, "a missing directory has none");
  retireFile(path.join(parent.path, "never-was")); // nothing to delete: no error, nothing queued
  await retiredRemoved();
});
