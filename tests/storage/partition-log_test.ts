import assert from "node:assert/strict";
import { PartitionLog, type PartitionLogOptions, StorageError } from "../../src/storage/mod.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { validateBatch } from "../../src/kafka/record-batch.ts";
import { batchBaseOffsets, buildBatch, concat, tempLogDir } from "./batches.ts";

const quiet = () => {};

function openLog(dir: string, options: Partial<PartitionLogOptions> = {}): PartitionLog {
  return PartitionLog.open({ dir, logger: quiet, ...options });
}

Deno.test("appendAsLeader assigns offsets and the leader epoch in place and read returns the bytes unchanged", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path);
  const first = log.appendAsLeader(buildBatch({ records: 3 }), 7);
  assert.deepEqual([first.firstOffset, first.lastOffset, first.recordCount, first.batchCount], [0, 2, 3, 1]);
  const request = concat(buildBatch({ records: 2, fill: 1 }), buildBatch({ records: 4, fill: 2 }));
  const second = log.appendAsLeader(request, 7);
  assert.deepEqual([second.firstOffset, second.lastOffset, second.batchCount], [3, 8, 2]);
  assert.equal(log.logEndOffset, 9);
  const { records, outOfRange } = log.read(3, 1 << 20);
  assert.equal(outOfRange, false);
  assert.deepEqual(records, request);
  const header = validateBatch(records, 0);
  assert.equal(header.baseOffset, 3);
  assert.equal(header.partitionLeaderEpoch, 7);
  assert.deepEqual(batchBaseOffsets(log.read(0, 1 << 20).records), [0, 3, 5]);
  log.close();
});

Deno.test("appendAsLeader refuses a bad CRC, a bad magic, a truncated or oversized batch, a stale epoch, appending nothing", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path, { config: { maxBatchBytes: 2000 } });
  const corrupt = buildBatch({ records: 2 });
  corrupt[corrupt.length - 3] ^= 0xff;
  const badMagic = buildBatch();
  badMagic[16] = 1;
  const cases: [Uint8Array, number][] = [
    [concat(buildBatch(), corrupt), ErrorCode.CORRUPT_MESSAGE],
    [badMagic, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT],
    [buildBatch({ records: 2 }).subarray(0, 100), ErrorCode.CORRUPT_MESSAGE],
    [buildBatch({ records: 30 }), ErrorCode.MESSAGE_TOO_LARGE],
    [new Uint8Array(0), ErrorCode.CORRUPT_MESSAGE],
  ];
  for (const [bytes, code] of cases) {
    assert.throws(
      () => log.appendAsLeader(bytes, 0),
      (e) => e instanceof StorageError && e.errorCode === code,
    );
  }
  assert.equal(log.logEndOffset, 0);
  assert.equal(log.sizeBytes, 0);
  log.appendAsLeader(buildBatch(), 5);
  assert.throws(
    () => log.appendAsLeader(buildBatch(), 4),
    (e) => e instanceof StorageError && e.errorCode === ErrorCode.FENCED_LEADER_EPOCH,
  );
  log.close();
});

Deno.test("segments roll by size; reads cross segments one segment at a time and find any offset", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path, { config: { segmentBytes: 4096, indexIntervalBytes: 512 } });
  for (let i = 0; i < 100; i++) log.appendAsLeader(buildBatch({ records: 2, fill: i }), 0);
  assert.equal(log.logEndOffset, 200);
  assert.ok(log.segmentBaseOffsets.length > 5, `segments: ${log.segmentBaseOffsets}`);
  for (const name of Deno.readDirSync(dir.path)) {
    if (name.name.endsWith(".log")) assert.match(name.name, /^\d{20}\.log$/);
  }
  // Every offset is found, through the index, in the batch that holds it.
  for (let offset = 0; offset < 200; offset++) {
    const { records, firstBatchOffset } = log.read(offset, 1);
    assert.equal(firstBatchOffset, offset - (offset % 2), `offset ${offset}`);
    assert.equal(batchBaseOffsets(records).length, 1);
  }
  // Reading everything means walking segment by segment.
  const seen: number[] = [];
  for (let next = 0; next < 200;) {
    const { records } = log.read(next, 1 << 20);
    const offsets = batchBaseOffsets(records);
    assert.ok(offsets.length > 0);
    seen.push(...offsets);
    next = offsets.at(-1)! + 2;
  }
  assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i * 2));
  log.close();
});

Deno.test("read: at least one whole batch over maxBytes, whole batches only, nothing at or past maxOffset, out of range", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path);
  for (let i = 0; i < 5; i++) log.appendAsLeader(buildBatch({ records: 10 }), 0); // 10 offsets each
  const batchBytes = buildBatch({ records: 10 }).length;
  assert.equal(log.read(0, 10).records.length, batchBytes);
  assert.equal(log.read(0, batchBytes * 2 + 5).records.length, batchBytes * 2);
  assert.deepEqual(batchBaseOffsets(log.read(0, 1 << 20, 30).records), [0, 10, 20]);
  assert.deepEqual(batchBaseOffsets(log.read(15, 1 << 20, 30).records), [10, 20]);
  assert.equal(log.read(30, 1 << 20, 30).records.length, 0);
  assert.equal(log.read(50, 1 << 20).records.length, 0);
  assert.equal(log.read(50, 1 << 20).outOfRange, false);
  assert.equal(log.read(51, 1 << 20).outOfRange, true);
  log.close();
});

Deno.test("high watermark is clamped to the log, checkpointed on close, and restored", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path);
  log.appendAsLeader(buildBatch({ records: 10 }), 0);
  assert.equal(log.setHighWatermark(50), 10);
  assert.equal(log.setHighWatermark(4), 4);
  assert.equal(log.read(0, 1 << 20, log.highWatermark).records.length, 0);
  log.close();
  const reopened = openLog(dir.path);
  assert.equal(reopened.highWatermark, 4);
  reopened.close();
});

Deno.test("restart after close reopens with identical state and bytes", () => {
  using dir = tempLogDir();
  const config = { segmentBytes: 8192, indexIntervalBytes: 1024 };
  const log = openLog(dir.path, { config });
  for (let i = 0; i < 40; i++) {
    log.appendAsLeader(buildBatch({ records: 3, fill: i, timestampMs: 1000 * i }), i < 20 ? 1 : 2);
  }
  log.setHighWatermark(100);
  const before = snapshot(log);
  log.close();
  const reopened = openLog(dir.path, { config });
  assert.deepEqual(snapshot(reopened), before);
  reopened.appendAsLeader(buildBatch(), 2);
  assert.equal(reopened.logEndOffset, 121);
  reopened.close();
});

/** Everything a restart must preserve. */
export function snapshot(log: PartitionLog) {
  const chunks: Uint8Array[] = [];
  for (let next = log.logStartOffset; next < log.logEndOffset;) {
    const { records } = log.read(next, 1 << 20);
    chunks.push(records);
    const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
    let at = 0;
    while (at < records.length) {
      next = view.getUint32(at + 4) + view.getInt32(at + 23) + 1;
      at += 12 + view.getInt32(at + 8);
    }
  }
  return {
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
    highWatermark: log.highWatermark,
    segments: log.segmentBaseOffsets,
    epochs: log.epochEntries,
    bytes: concat(...chunks),
    byTime: [0, 5000, 19_000, 39_000, 39_003].map((t) => log.offsetForTimestamp(t)?.offset ?? null),
  };
}

Deno.test("offsetForTimestamp finds the first record whose timestamp reaches the target, across segments", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path, { config: { segmentBytes: 4096, indexIntervalBytes: 600 } });
  // Batch i holds offsets 2i, 2i+1 with timestamps 100i, 100i+1.
  for (let i = 0; i < 60; i++) log.appendAsLeader(buildBatch({ records: 2, timestampMs: 100 * i }), 0);
  assert.ok(log.segmentBaseOffsets.length > 3);
  assert.deepEqual(log.offsetForTimestamp(0), { offset: 0, timestampMs: 0 });
  assert.deepEqual(log.offsetForTimestamp(1), { offset: 1, timestampMs: 1 });
  assert.deepEqual(log.offsetForTimestamp(2), { offset: 2, timestampMs: 100 });
  for (let i = 1; i < 60; i++) {
    assert.equal(log.offsetForTimestamp(100 * i - 50)?.offset, 2 * i, `ts ${100 * i - 50}`);
    assert.deepEqual(log.offsetForTimestamp(100 * i + 1), { offset: 2 * i + 1, timestampMs: 100 * i + 1 });
  }
  assert.equal(log.offsetForTimestamp(5902), null);
  log.setHighWatermark(log.logEndOffset);
  log.deleteRecordsBefore(3);
  assert.deepEqual(log.offsetForTimestamp(0), { offset: 3, timestampMs: 101 }, "never below the log start");
  log.close();
});

Deno.test("truncateTo removes whole batches, later segments and epochs; the log continues from there", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path, { config: { segmentBytes: 4096 } });
  for (let i = 0; i < 30; i++) log.appendAsLeader(buildBatch({ records: 2 }), i < 10 ? 1 : i < 20 ? 2 : 3);
  log.setHighWatermark(60);
  assert.deepEqual(log.epochEntries, [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 20 }, {
    epoch: 3,
    startOffset: 40,
  }]);
  const segmentsBefore = log.segmentBaseOffsets.length;
  assert.equal(log.truncateTo(30), true);
  assert.equal(log.logEndOffset, 30);
  assert.equal(log.highWatermark, 30);
  assert.ok(log.segmentBaseOffsets.length < segmentsBefore);
  assert.deepEqual(log.epochEntries, [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 20 }]);
  assert.equal(log.truncateTo(31), false);
  assert.deepEqual(log.appendAsLeader(buildBatch(), 4).firstOffset, 30);
  assert.equal(batchBaseOffsets(log.read(28, 1 << 20).records).join(), "28,30");
  log.close();
  const reopened = openLog(dir.path);
  assert.equal(reopened.logEndOffset, 31);
  assert.deepEqual(reopened.endOffsetForEpoch(2), { leaderEpoch: 2, endOffset: 30 });
  reopened.close();
});

Deno.test("truncateFullyAndStartAt empties the log and restarts it at the offset", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path);
  log.appendAsLeader(buildBatch({ records: 5 }), 1);
  log.truncateFullyAndStartAt(1000);
  assert.deepEqual([log.logStartOffset, log.logEndOffset, log.highWatermark], [1000, 1000, 1000]);
  assert.deepEqual(log.epochEntries, []);
  assert.equal(log.read(0, 100).outOfRange, true);
  log.appendAsFollower(buildBatch({ records: 2, baseOffset: 1000, epoch: 4 }));
  assert.equal(log.logEndOffset, 1002);
  log.close();
  const reopened = openLog(dir.path);
  assert.deepEqual([reopened.logStartOffset, reopened.logEndOffset], [1000, 1002]);
  assert.deepEqual(reopened.segmentBaseOffsets, [1000]);
  reopened.close();
});

Deno.test("appendAsFollower keeps the leader's offsets, learns epochs, and refuses offsets that go back", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path);
  const fetched = concat(
    buildBatch({ records: 3, baseOffset: 0, epoch: 1 }),
    buildBatch({ records: 2, baseOffset: 3, epoch: 2 }),
  );
  const info = log.appendAsFollower(fetched);
  assert.deepEqual([info.firstOffset, info.lastOffset], [0, 4]);
  assert.deepEqual(log.epochEntries, [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 3 }]);
  assert.throws(() => log.appendAsFollower(buildBatch({ baseOffset: 4, epoch: 2 })), StorageError);
  assert.deepEqual(log.read(0, 1 << 20).records, fetched);
  log.close();
});

Deno.test("retention by size deletes the oldest whole segments below the high watermark and moves the log start", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path, { config: { segmentBytes: 4096, retentionBytes: 10_000, retentionMs: -1 } });
  for (let i = 0; i < 60; i++) log.appendAsLeader(buildBatch({ records: 2 }), 0);
  assert.equal(log.enforceRetention(), 0, "nothing below the HWM yet");
  log.setHighWatermark(log.logEndOffset);
  const deleted = log.enforceRetention();
  assert.ok(deleted > 0);
  assert.ok(log.sizeBytes <= 10_000 + 4096, `size ${log.sizeBytes}`);
  assert.ok(log.sizeBytes > 10_000 - 4096);
  assert.equal(log.logStartOffset, log.segmentBaseOffsets[0]);
  assert.equal(log.read(0, 100).outOfRange, true);
  assert.equal(log.read(log.logStartOffset, 100).firstBatchOffset, log.logStartOffset);
  log.close();
  const reopened = openLog(dir.path);
  assert.equal(reopened.logStartOffset, log.logStartOffset);
  reopened.close();
});

Deno.test("retention by time deletes segments whose newest record is older than retention.ms; never the active one", () => {
  using dir = tempLogDir();
  let now = 1_000_000;
  const log = openLog(dir.path, { config: { segmentBytes: 4096, retentionMs: 10_000 }, nowMs: () => now });
  for (let i = 0; i < 30; i++) log.appendAsLeader(buildBatch({ records: 2, timestampMs: 1000 * i }), 0);
  log.setHighWatermark(log.logEndOffset);
  const segments = log.segmentBaseOffsets;
  now = 1000 * 30 + 10_001; // batches 0..29 have max timestamps 1000i+1: every batch but the newest few expired
  log.enforceRetention();
  assert.ok(log.segmentBaseOffsets.length < segments.length);
  assert.equal(log.segmentBaseOffsets.length >= 1, true);
  now = 10 ** 9;
  log.enforceRetention();
  assert.deepEqual(log.segmentBaseOffsets, [segments.at(-1)], "only the active segment is left");
  assert.equal(log.logStartOffset, segments.at(-1));
  log.close();
});

Deno.test("maintain rolls an old active segment (segment.ms) and applies flush.ms", async () => {
  using dir = tempLogDir();
  let now = 5_000_000;
  const log = openLog(dir.path, { config: { segmentMs: 60_000, flushMs: 1000 }, nowMs: () => now });
  log.appendAsLeader(buildBatch({ timestampMs: now }), 0);
  assert.equal(log.recoveryPoint, 0);
  now += 2000;
  await log.maintain();
  assert.equal(log.recoveryPoint, 1, "flush.ms flushed");
  assert.equal(log.segmentBaseOffsets.length, 1);
  now += 60_000;
  await log.maintain();
  assert.deepEqual(log.segmentBaseOffsets, [0, 1]);
  log.close();
});

Deno.test("a quiet log's maintenance is skipped until a chore comes due or the log changes, and still runs on time", async () => {
  using dir = tempLogDir();
  let now = 5_000_000;
  const log = openLog(dir.path, {
    config: { segmentMs: 60_000, segmentBytes: 4096, retentionMs: 100_000, checkpointIntervalMs: 5_000 },
    nowMs: () => now,
  });
  for (let i = 0; i < 40; i++) log.appendAsLeader(buildBatch({ records: 2, timestampMs: now }), 0);
  log.setHighWatermark(log.logEndOffset);
  const segments = log.segmentBaseOffsets.length;
  assert.ok(segments > 1);
  assert.equal(log.maintenanceDue(), true, "never maintained");
  await log.maintain();
  await log.flush();
  now += 5_000; // the checkpoint interval: the high watermark moved, so the checkpoint is due
  assert.equal(log.maintenanceDue(), true);
  await log.maintain();
  await eventuallyQuiet(log);
  now += 1_000;
  assert.equal(log.maintenanceDue(), false, "nothing changed and nothing is due");

  // A change makes it look again: an append (the high watermark stays) ...
  log.appendAsLeader(buildBatch({ timestampMs: now }), 0);
  assert.equal(log.maintenanceDue(), true);
  await log.maintain();
  assert.equal(log.maintenanceDue(), false);
  // ... a high watermark move, a config update.
  log.setHighWatermark(log.logEndOffset);
  assert.equal(log.maintenanceDue(), true);
  await log.maintain();
  await eventuallyQuiet(log);
  log.updateConfig({ retentionMs: 200_000 });
  assert.equal(log.maintenanceDue(), true);
  await log.maintain();

  // Time alone: the active segment's segment.ms comes due, then retention.ms of the old ones.
  const beforeRoll = log.segmentBaseOffsets.length;
  now += 60_000;
  assert.equal(log.maintenanceDue(), true, "segment.ms");
  await log.maintain();
  assert.equal(log.segmentBaseOffsets.length, beforeRoll + 1, "rolled");
  now += 200_001;
  assert.equal(log.maintenanceDue(), true, "retention.ms");
  await log.maintain();
  assert.ok(log.segmentBaseOffsets.length < beforeRoll, "expired segments deleted");
  log.close();
  assert.equal(log.maintenanceDue(), false, "closed");
});

/** Let a background checkpoint write finish: the log is quiet once nothing is in flight. */
async function eventuallyQuiet(log: PartitionLog): Promise<void> {
  for (let i = 0; i < 100 && log.maintenanceDue(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    await log.maintain();
  }
}

Deno.test("flush moves the recovery point; concurrent flushes share the fsync; flush.messages flushes in the background", async () => {
  using dir = tempLogDir();
  const log = openLog(dir.path, { config: { flushMessages: 5 } });
  log.appendAsLeader(buildBatch({ records: 2 }), 0);
  await Promise.all([log.flush(), log.flush(), log.flush()]);
  assert.equal(log.recoveryPoint, 2);
  log.appendAsLeader(buildBatch({ records: 5 }), 0);
  await log.flush(); // waits for the background one too
  assert.equal(log.recoveryPoint, 7);
  log.close();
});

Deno.test("LogAppendTime stamps maxTimestamp and keeps the CRC valid", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path, { config: { logAppendTime: true }, nowMs: () => 123_456 });
  const info = log.appendAsLeader(buildBatch({ records: 2, timestampMs: 5 }), 0);
  assert.equal(info.logAppendTimeMs, 123_456);
  const header = validateBatch(log.read(0, 1000).records);
  assert.equal(header.maxTimestamp, 123_456);
  assert.equal(header.attributes & 0x08, 0x08);
  log.close();
});

Deno.test("deleteRecordsBefore moves the log start offset up to the high watermark", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path, { config: { segmentBytes: 4096 } });
  for (let i = 0; i < 30; i++) log.appendAsLeader(buildBatch({ records: 2 }), 0);
  assert.throws(() => log.deleteRecordsBefore(10), StorageError);
  log.setHighWatermark(60);
  assert.equal(log.deleteRecordsBefore(25), 25);
  assert.equal(log.read(24, 100).outOfRange, true);
  assert.equal(log.read(25, 100).firstBatchOffset, 24, "the batch holding 25 starts at 24");
  assert.ok(log.segmentBaseOffsets[0] <= 25);
  log.close();
});

Deno.test("a closed log refuses work; delete removes the directory", () => {
  using dir = tempLogDir();
  const partition = `${dir.path}/topic-0`;
  const log = openLog(partition);
  log.appendAsLeader(buildBatch(), 0);
  log.close();
  assert.throws(() => log.appendAsLeader(buildBatch(), 0), StorageError);
  const again = openLog(partition);
  again.delete();
  assert.throws(() => Deno.statSync(partition), Deno.errors.NotFound);
});
