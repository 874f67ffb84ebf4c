import assert from "node:assert/strict";
import { PartitionLog, type PartitionLogOptions } from "../../src/storage/mod.ts";
import { batchBaseOffsets, buildBatch, tempLogDir } from "./batches.ts";

/** Opens a log that records what storage logs, so tests can check the cut was reported. */
function openLog(dir: string, options: Partial<PartitionLogOptions> = {}) {
  const lines: string[] = [];
  const log = PartitionLog.open({ dir, logger: (line) => lines.push(line), ...options });
  return { log, lines };
}

const BATCH_BYTES = buildBatch({ records: 2 }).length;

/** Append `count` two-record batches and abandon the log without close(): a SIGKILL. */
function writeAndCrash(dir: string, count: number, config: PartitionLogOptions["config"] = {}): PartitionLog {
  const { log } = openLog(dir, { config });
  for (let i = 0; i < count; i++) {
    log.appendAsLeader(buildBatch({ records: 2, fill: i }), 1 + Math.floor(i / 5));
  }
  log.setHighWatermark(log.logEndOffset);
  return log;
}

function activeLogFile(dir: string): string {
  const names = [...Deno.readDirSync(dir)].map((entry) => entry.name).filter((name) => name.endsWith(".log"))
    .sort();
  return `${dir}/${names.at(-1)}`;
}

Deno.test("recovery cuts a torn tail (file ends mid-batch) and reports it; appends continue from there", () => {
  using dir = tempLogDir();
  writeAndCrash(dir.path, 10);
  const file = activeLogFile(dir.path);
  Deno.truncateSync(file, BATCH_BYTES * 9 + 50);
  const { log, lines } = openLog(dir.path);
  assert.equal(log.logEndOffset, 18);
  assert.equal(Deno.statSync(file).size, BATCH_BYTES * 9);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /cut 50 bytes .*torn batch/);
  assert.ok(log.highWatermark <= 18);
  assert.equal(log.appendAsLeader(buildBatch(), 2).firstOffset, 18);
  assert.deepEqual(batchBaseOffsets(log.read(16, 1 << 20).records), [16, 18]);
  log.close();
});

Deno.test("recovery cuts a last batch whose CRC no longer matches", () => {
  using dir = tempLogDir();
  writeAndCrash(dir.path, 10);
  const file = activeLogFile(dir.path);
  const bytes = Deno.readFileSync(file);
  bytes[bytes.length - 10] ^= 0x01; // inside the last batch's records
  Deno.writeFileSync(file, bytes);
  const { log, lines } = openLog(dir.path);
  assert.equal(log.logEndOffset, 18);
  assert.match(lines.join("\n"), /CRC mismatch/);
  log.close();
});

Deno.test("recovery cuts garbage appended after the last batch", () => {
  using dir = tempLogDir();
  writeAndCrash(dir.path, 10);
  const file = activeLogFile(dir.path);
  const garbage = new Uint8Array(5000).map((_, i) => (i * 31 + 7) & 0xff);
  Deno.writeFileSync(file, garbage, { append: true });
  const { log, lines } = openLog(dir.path);
  assert.equal(log.logEndOffset, 20);
  assert.equal(Deno.statSync(file).size, BATCH_BYTES * 10);
  assert.match(lines[0], /cut 5000 bytes/);
  log.close();
});

Deno.test("recovery survives a length field announcing 2 GiB without allocating it", () => {
  using dir = tempLogDir();
  writeAndCrash(dir.path, 3);
  const file = activeLogFile(dir.path);
  const tail = new Uint8Array(64);
  new DataView(tail.buffer).setInt32(8, 0x7fff_fff0);
  Deno.writeFileSync(file, tail, { append: true });
  const { log, lines } = openLog(dir.path);
  assert.equal(log.logEndOffset, 6);
  assert.equal(lines.length, 1);
  log.close();
});

Deno.test("a corrupt batch in an older segment cuts there and deletes every later segment", () => {
  using dir = tempLogDir();
  writeAndCrash(dir.path, 80, { segmentBytes: 4096 });
  const files = [...Deno.readDirSync(dir.path)].map((entry) => entry.name).filter((name) =>
    name.endsWith(".log")
  )
    .sort();
  assert.ok(files.length >= 4);
  const second = `${dir.path}/${files[1]}`;
  const bytes = Deno.readFileSync(second);
  bytes[BATCH_BYTES + 70] ^= 0xff; // the second batch of the second segment
  Deno.writeFileSync(second, bytes);
  const { log, lines } = openLog(dir.path, { config: { segmentBytes: 4096 } });
  const secondBase = Number(files[1].slice(0, 20));
  assert.equal(log.logEndOffset, secondBase + 2);
  assert.equal(log.segmentBaseOffsets.length, 2);
  assert.equal(lines.filter((line) => line.includes("deleted segment")).length, files.length - 2);
  log.close();
});

Deno.test("a clean-shutdown marker skips the walk; without it the same damage is found", () => {
  using dir = tempLogDir();
  const first = writeAndCrash(dir.path, 10);
  first.close();
  const file = activeLogFile(dir.path);
  const bytes = Deno.readFileSync(file);
  bytes[bytes.length - 10] ^= 0x01;
  Deno.writeFileSync(file, bytes);
  const clean = openLog(dir.path);
  assert.equal(clean.log.logEndOffset, 20, "trusted the files: no walk after a clean shutdown");
  assert.deepEqual(clean.lines, []);
  // Opening removed the marker, so a crash now (no close) means a walk next time.
  const crashed = openLog(dir.path);
  assert.equal(crashed.log.logEndOffset, 18);
  assert.match(crashed.lines.join("\n"), /CRC mismatch/);
  crashed.log.close();
});

Deno.test("index files lost or damaged after a clean shutdown are rebuilt from the log", () => {
  using dir = tempLogDir();
  const config = { segmentBytes: 8192, indexIntervalBytes: 500 };
  const log = writeAndCrash(dir.path, 40, config);
  log.close();
  const indexes = [...Deno.readDirSync(dir.path)].map((entry) => entry.name).filter((name) =>
    name.endsWith("index")
  );
  Deno.removeSync(`${dir.path}/${indexes[0]}`);
  Deno.writeFileSync(`${dir.path}/${indexes[1]}`, new Uint8Array([1, 2, 3]));
  Deno.writeFileSync(`${dir.path}/${indexes[2]}`, new Uint8Array(16).fill(0xff));
  const { log: reopened } = openLog(dir.path, { config });
  assert.equal(reopened.logEndOffset, 80);
  for (let offset = 0; offset < 80; offset += 3) {
    assert.equal(reopened.read(offset, 1).firstBatchOffset, offset - (offset % 2));
  }
  reopened.close();
});

Deno.test("a segment indexed only at its first batch keeps no index files, and reopens trusted without them", () => {
  using dir = tempLogDir();
  const log = writeAndCrash(dir.path, 3);
  assert.ok(3 * BATCH_BYTES < 4096, "all three batches fall under the first index entry");
  log.close();
  const names = [...Deno.readDirSync(dir.path)].map((entry) => entry.name);
  assert.deepEqual(names.filter((name) => name.endsWith("index")), [], names.join(" "));
  // Damage the last batch: an open that trusts the clean shutdown does not walk to find it.
  const file = activeLogFile(dir.path);
  const bytes = Deno.readFileSync(file);
  bytes[bytes.length - 10] ^= 0x01;
  Deno.writeFileSync(file, bytes);
  const clean = openLog(dir.path);
  assert.equal(clean.log.logEndOffset, 6);
  assert.deepEqual(clean.lines, []);
  for (const offset of [0, 3, 5]) {
    assert.equal(clean.log.read(offset, 1).firstBatchOffset, offset - (offset % 2));
  }
  assert.deepEqual(clean.log.offsetForTimestamp(0)?.offset, 0);
  clean.log.close();
});

Deno.test("the leader-epoch cache is rebuilt from batch epochs when its checkpoint is damaged", () => {
  using dir = tempLogDir();
  writeAndCrash(dir.path, 12).close(); // epochs 1 (offsets 0-9), 2 (10-19), 3 (20-23)
  Deno.writeFileSync(`${dir.path}/leader-epoch-checkpoint`, new TextEncoder().encode("0\n2\n1 0\n"));
  const { log, lines } = openLog(dir.path);
  assert.deepEqual(log.epochEntries, [
    { epoch: 1, startOffset: 0 },
    { epoch: 2, startOffset: 10 },
    { epoch: 3, startOffset: 20 },
  ]);
  assert.match(lines[0], /leader epoch checkpoint unusable/);
  log.close();
});

Deno.test("after a cut, epochs that started beyond the new end are dropped", () => {
  using dir = tempLogDir();
  writeAndCrash(dir.path, 12); // epoch 3 starts at 20
  Deno.truncateSync(activeLogFile(dir.path), BATCH_BYTES * 10 + 3);
  const { log } = openLog(dir.path);
  assert.equal(log.logEndOffset, 20);
  assert.equal(log.latestEpoch, 2);
  assert.deepEqual(log.endOffsetForEpoch(2), { leaderEpoch: 2, endOffset: 20 });
  log.close();
});
