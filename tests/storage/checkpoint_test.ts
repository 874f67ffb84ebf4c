import assert from "node:assert/strict";
import {
  readCheckpoint,
  writeCheckpoint,
  writeCheckpointInBackground,
} from "../../src/storage/checkpoint-file.ts";
import { StorageError } from "../../src/storage/mod.ts";
import { PartitionLog } from "../../src/storage/mod.ts";
import { buildBatch, tempLogDir } from "./batches.ts";

Deno.test("checkpoint round-trips entries and reports a missing file as null", () => {
  using dir = tempLogDir();
  const file = `${dir.path}/x.checkpoint`;
  assert.equal(readCheckpoint(file), null);
  writeCheckpoint(file, [["logStartOffset", 5], ["highWatermark", 2 ** 50]]);
  assert.deepEqual(readCheckpoint(file), [["logStartOffset", 5], ["highWatermark", 2 ** 50]]);
  assert.equal(Deno.readTextFileSync(file), `0\n2\nlogStartOffset 5\nhighWatermark ${2 ** 50}\n`);
  writeCheckpoint(file, []);
  assert.deepEqual(readCheckpoint(file), []);
});

Deno.test("checkpoint replacement leaves no temp file; a leftover temp file is never read", () => {
  using dir = tempLogDir();
  const file = `${dir.path}/x.checkpoint`;
  writeCheckpoint(file, [["a", 1]]);
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((entry) => entry.name), ["x.checkpoint"]);
  Deno.writeTextFileSync(`${file}.tmp`, "0\n1\na 99"); // a crash mid-replace
  assert.deepEqual(readCheckpoint(file), [["a", 1]]);
});

Deno.test("a checkpoint written in the background replaces the file only while still wanted", async () => {
  using dir = tempLogDir();
  const file = `${dir.path}/x.checkpoint`;
  writeCheckpoint(file, [["a", 1]]);
  assert.equal(await writeCheckpointInBackground(file, [["a", 2]], () => true), true);
  assert.deepEqual(readCheckpoint(file), [["a", 2]]);
  // Someone wrote newer content meanwhile: the older one is dropped, temp file included.
  assert.equal(await writeCheckpointInBackground(file, [["a", 3]], () => false), false);
  assert.deepEqual(readCheckpoint(file), [["a", 2]]);
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((entry) => entry.name), ["x.checkpoint"]);
});

Deno.test("maintain's checkpoint in the background never replaces a newer one written meanwhile", async () => {
  using dir = tempLogDir();
  let now = 1_000_000;
  const log = PartitionLog.open({ dir: dir.path, config: { checkpointIntervalMs: 1_000 }, nowMs: () => now });
  log.appendAsLeader(buildBatch({ records: 10 }), 0);
  log.setHighWatermark(4);
  now += 2_000;
  await log.maintain(); // starts the background write of high watermark 4, not waiting for its fsyncs
  log.setHighWatermark(9);
  log.checkpoint(); // a synchronous write (as truncation, retention and close make): newer
  await log.checkpointSettled();
  const saved = new Map(readCheckpoint(`${dir.path}/offsets.checkpoint`));
  assert.equal(saved.get("highWatermark"), 9, "the older background write did not land over the newer one");
  now += 2_000;
  log.setHighWatermark(10);
  await log.maintain();
  await log.checkpointSettled();
  assert.equal(new Map(readCheckpoint(`${dir.path}/offsets.checkpoint`)).get("highWatermark"), 10);
  assert.deepEqual([...Deno.readDirSync(dir.path)].filter((e) => e.name.endsWith(".tmp")), []);
  log.close();
});

Deno.test("malformed checkpoints are refused with a StorageError", () => {
  using dir = tempLogDir();
  const file = `${dir.path}/x.checkpoint`;
  for (
    const text of [
      "",
      "7\n0\n",
      "0\n3\na 1\n",
      "0\n1\na b\n",
      "0\n1\na 1 2\n",
      "0\n-1\n",
      "0\n1\na 99999999999999999\n",
    ]
  ) {
    Deno.writeTextFileSync(file, text);
    assert.throws(() => readCheckpoint(file), StorageError, JSON.stringify(text));
  }
  Deno.writeFileSync(file, new Uint8Array(2 * 1024 * 1024));
  assert.throws(() => readCheckpoint(file), StorageError);
});

Deno.test("a partition log ignores and removes a leftover offsets checkpoint temp file", () => {
  using dir = tempLogDir();
  const log = PartitionLog.open({ dir: dir.path, logger: () => {} });
  log.appendAsLeader(buildBatch({ records: 4 }), 0);
  log.setHighWatermark(3);
  log.close();
  Deno.writeTextFileSync(
    `${dir.path}/offsets.checkpoint.tmp`,
    "0\n3\nlogStartOffset 0\nrecoveryPoint 0\nhighWatermark 1\n",
  );
  const reopened = PartitionLog.open({ dir: dir.path, logger: () => {} });
  assert.equal(reopened.highWatermark, 3);
  assert.throws(() => Deno.statSync(`${dir.path}/offsets.checkpoint.tmp`), Deno.errors.NotFound);
  reopened.close();
});

Deno.test("a damaged offsets checkpoint makes the log recover everything and say so", () => {
  using dir = tempLogDir();
  const log = PartitionLog.open({ dir: dir.path, logger: () => {} });
  log.appendAsLeader(buildBatch({ records: 4 }), 0);
  log.close();
  Deno.writeTextFileSync(`${dir.path}/offsets.checkpoint`, "garbage");
  const lines: string[] = [];
  const reopened = PartitionLog.open({ dir: dir.path, logger: (line) => lines.push(line) });
  assert.equal(reopened.logEndOffset, 4);
  assert.equal(reopened.highWatermark, 0);
  assert.match(lines[0], /offsets checkpoint unusable/);
  reopened.close();
});

Deno.test("maintain writes a new leader epoch in the background, so a close has none left to write", async () => {
  using dir = tempLogDir();
  const log = PartitionLog.open({ dir: dir.path });
  log.assignEpochStartOffset(3);
  log.appendAsLeader(buildBatch({ records: 2 }), 3);
  const file = `${dir.path}/leader-epoch-checkpoint`;
  assert.deepEqual(readCheckpoint(file) ?? [], [], "an assign alone writes nothing");
  await log.maintain();
  await log.checkpointSettled();
  assert.deepEqual(readCheckpoint(file), [["3", 0]]);
  log.close();
});

Deno.test("background replacements run a few at a time: 300 at once never have 300 files in the making", async () => {
  using dir = tempLogDir();
  // Each replacement in progress has its temp file in this directory, from its open to its rename
  // (counting the process's descriptors instead also counted other test files' running in parallel).
  const inTheMaking = () => [...Deno.readDirSync(dir.path)].filter((e) => e.name.endsWith(".tmp")).length;
  let most = 0;
  let done = false;
  const writes = Array.from(
    { length: 300 },
    (_, i) => writeCheckpointInBackground(`${dir.path}/c-${i}.checkpoint`, [["a", i]], () => true),
  );
  const all = Promise.all(writes).finally(() => done = true);
  while (!done) {
    most = Math.max(most, inTheMaking());
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  assert.deepEqual(await all, writes.map(() => true));
  assert.ok(most <= 8, `at most eight at once, saw ${most}`);
  for (const i of [0, 150, 299]) {
    assert.deepEqual(readCheckpoint(`${dir.path}/c-${i}.checkpoint`), [["a", i]]);
  }
});
