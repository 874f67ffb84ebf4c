import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { ZSTD_SUPPORTED } from "../../src/kafka/compression.ts";
import {
  Attributes,
  type CompressionName,
  decodeRecordBatches,
  encodeRecordBatch,
} from "../../src/kafka/record-batch.ts";
import {
  type LogConfig,
  logConfigFromTopicConfigs,
  PartitionLog,
  StorageError,
} from "../../src/storage/mod.ts";
import { validateTopicConfigs } from "../../src/broker/topic-config.ts";
import { tempLogDir } from "./batches.ts";
import { startCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";
import { Admin } from "../../src/client/admin.ts";
import { Consumer } from "../../src/client/consumer.ts";
import { GroupAdmin } from "../../src/client/group-admin.ts";
import { Producer } from "../../src/client/producer.ts";

const T0 = 1_700_000_000_000;
const DAY_MS = 86_400_000;
const text = new TextDecoder();

interface Rec {
  offset: number;
  key: string | null;
  value: string | null;
}

function openLog(dir: string, config: Partial<LogConfig> = {}, nowMs = () => T0): PartitionLog {
  return PartitionLog.open({
    dir,
    config: { cleanupPolicy: "compact", segmentBytes: 100_000, ...config },
    logger: () => {},
    nowMs,
  });
}

/** Append one batch of (key, value) pairs as leader and commit it. */
function put(
  log: PartitionLog,
  pairs: [string | null, string | null][],
  options: { timestampMs?: number; compression?: CompressionName } = {},
): number {
  const bytes = encodeRecordBatch({
    records: pairs.map(([key, value]) => ({ key, value, timestamp: options.timestampMs ?? T0 })),
    compression: options.compression,
  });
  const info = log.appendAsLeader(bytes, 0);
  log.setHighWatermark(log.logEndOffset);
  return info.firstOffset;
}

/** Every record readable from `from` on, through the normal read path. */
function readAll(log: PartitionLog, from = log.logStartOffset): Rec[] {
  const records: Rec[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const result = log.read(offset, 1 << 20);
    if (result.records.length === 0) break;
    for (const batch of decodeRecordBatches(result.records)) {
      if (!batch.control) {
        for (const r of batch.records) {
          if (r.offset < offset) continue;
          records.push({
            offset: r.offset,
            key: r.key === null ? null : text.decode(r.key),
            value: r.value === null ? null : text.decode(r.value),
          });
        }
      }
      offset = batch.baseOffset + batch.lastOffsetDelta + 1;
    }
  }
  return records;
}

/** key → latest value (null = deleted) as a consumer replaying the log would see it. */
function state(records: Rec[]): Map<string | null, string | null> {
  const result = new Map<string | null, string | null>();
  for (const r of records) result.set(r.key, r.value);
  return result;
}

/** Many updates to few keys, a segment roll every `perSegment` batches; returns what was written. */
function fill(log: PartitionLog, updates: number, keys: number, perSegment: number): Rec[] {
  const written: Rec[] = [];
  for (let i = 0; i < updates; i++) {
    const key = `k${i % keys}`;
    const value = `v${i}`;
    const offset = put(log, [[key, value]]);
    written.push({ offset, key, value });
    if ((i + 1) % perSegment === 0) log.roll();
  }
  return written;
}

Deno.test("compaction keeps the latest value per key at its original offset; older ones go", async () => {
  using dir = tempLogDir();
  const log = openLog(dir.path);
  const written = fill(log, 60, 3, 10); // 6 closed segments, empty active
  const stats = await log.compact();
  assert.ok(stats !== null && stats.groupsRewritten > 0);
  const records = readAll(log);
  // Only the last update of each key survives, at the offset it was written at.
  assert.deepEqual(records, written.slice(-3));
  assert.deepEqual(state(records), state(written));
  assert.equal(log.logEndOffset, 60);
  assert.equal(log.logStartOffset, 0);
  assert.equal(log.firstDirtyOffset, 60);
  // Small cleaned segments were merged into one.
  assert.deepEqual(log.segmentBaseOffsets, [0, 60]);
  log.close();
});

Deno.test("a fetch at a removed offset gets the next kept record; the active segment is never cleaned", async () => {
  using dir = tempLogDir();
  const log = openLog(dir.path);
  fill(log, 20, 2, 5);
  put(log, [["k0", "active-1"]]);
  put(log, [["k0", "active-2"]]);
  await log.compact();
  assert.deepEqual(readAll(log, 3).map((r) => r.offset), [18, 19, 20, 21]);
  const result = log.read(5, 1 << 20);
  assert.equal(result.outOfRange, false);
  assert.equal(decodeRecordBatches(result.records)[0].records[0].offset, 18);
  // Both active-segment records stay though k0 repeats: the active segment is not cleanable.
  assert.deepEqual(readAll(log).map((r) => r.value), ["v18", "v19", "active-1", "active-2"]);
  log.close();
});

Deno.test("segments not wholly below the high watermark are not cleaned", async () => {
  using dir = tempLogDir();
  const log = openLog(dir.path);
  fill(log, 20, 2, 5);
  log.setHighWatermark(7); // segment [5,10) is not wholly committed
  const stats = await log.compact();
  assert.ok(stats !== null);
  const records = readAll(log);
  assert.deepEqual(records.filter((r) => r.offset < 5).map((r) => r.offset), [3, 4]);
  assert.equal(records.filter((r) => r.offset >= 5).length, 15);
  log.close();
});

Deno.test("tombstones survive until delete.retention.ms, then go with the values they deleted", async () => {
  using dir = tempLogDir();
  let nowMs = T0;
  const log = openLog(dir.path, { deleteRetentionMs: DAY_MS }, () => nowMs);
  put(log, [["a", "1"]]);
  put(log, [["b", "1"]]);
  put(log, [["a", null]]);
  log.roll();
  nowMs = T0 + 1000;
  await log.compact();
  assert.deepEqual(readAll(log), [{ offset: 1, key: "b", value: "1" }, { offset: 2, key: "a", value: null }]);
  // More than a day later, the next cleaning (new dirty data) drops the tombstone.
  put(log, [["b", "2"]], { timestampMs: T0 + 1000 });
  log.roll();
  nowMs = T0 + DAY_MS + 2000;
  const stats = await log.compact();
  assert.equal(stats?.tombstonesDropped, 1);
  assert.deepEqual(readAll(log), [{ offset: 3, key: "b", value: "2" }]);
  log.close();
});

for (const compression of ["gzip", "zstd", "lz4", "snappy"] as const) {
  Deno.test({
    name: `${compression} batches are decompressed, filtered and re-compressed with the same codec`,
    ignore: compression === "zstd" && !ZSTD_SUPPORTED,
    fn: async () => {
      using dir = tempLogDir();
      const log = openLog(dir.path);
      put(log, [["a", "1"], ["b", "1"], ["c", "1"], ["a", "2"]], { compression });
      put(log, [["b", "2"], ["d", "1"]], { compression });
      log.roll();
      await log.compact();
      assert.deepEqual(readAll(log), [
        { offset: 2, key: "c", value: "1" },
        { offset: 3, key: "a", value: "2" },
        { offset: 4, key: "b", value: "2" },
        { offset: 5, key: "d", value: "1" },
      ]);
      const batches = decodeRecordBatches(log.read(0, 1 << 20).records);
      assert.equal(batches.length, 2);
      assert.deepEqual(
        batches.map((b) => b.compression),
        [Attributes.compressionMask & codecId(compression)].flatMap((c) => [c, c]),
      );
      // The rewritten batch keeps its base offset and last offset delta; only its count shrinks.
      assert.deepEqual([batches[0].baseOffset, batches[0].lastOffsetDelta, batches[0].recordsCount], [
        0,
        3,
        2,
      ]);
      log.close();
    },
  });
}

function codecId(name: CompressionName): number {
  return { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[name];
}

Deno.test("control batches are kept whole", async () => {
  using dir = tempLogDir();
  const log = openLog(dir.path);
  put(log, [["a", "1"]]);
  const marker = encodeRecordBatch({
    records: [{ key: new Uint8Array([0, 0, 0, 1]), value: new Uint8Array(6), timestamp: T0 }],
    control: true,
    transactional: true,
    producerId: 7n,
  });
  log.appendAsLeader(marker, 0);
  put(log, [["a", "2"]]);
  log.setHighWatermark(log.logEndOffset);
  log.roll();
  await log.compact();
  const batches = decodeRecordBatches(log.read(0, 1 << 20).records);
  assert.deepEqual(batches.map((b) => [b.baseOffset, b.control]), [[1, true], [2, false]]);
  log.close();
});

Deno.test("compacted topics refuse records without a key (INVALID_RECORD); delete topics take them", () => {
  using dir = tempLogDir();
  const log = openLog(dir.path);
  assert.throws(
    () => put(log, [["a", "1"], [null, "no key"]], { compression: "gzip" }),
    (error) => error instanceof StorageError && error.errorCode === ErrorCode.INVALID_RECORD,
  );
  assert.equal(log.logEndOffset, 0);
  log.close();
  using other = tempLogDir();
  const plain = openLog(other.path, { cleanupPolicy: "delete" });
  put(plain, [[null, "fine"]]);
  assert.equal(plain.logEndOffset, 1);
  plain.close();
});

Deno.test("a restart after cleaning reads the same records and finds nothing dirty", async () => {
  using dir = tempLogDir();
  let log = openLog(dir.path);
  fill(log, 40, 4, 8);
  put(log, [["k1", "tail"]]);
  await log.compact();
  const before = readAll(log);
  log.close();
  log = openLog(dir.path);
  assert.deepEqual(readAll(log), before);
  assert.equal(log.firstDirtyOffset, 40);
  assert.equal(await log.compact(), null);
  log.close();
  // Also after a crash (no clean-shutdown marker: indexes are re-validated).
  fs.rmSync(path.join(dir.path, "clean-shutdown"), { force: true });
  log = openLog(dir.path);
  assert.deepEqual(readAll(log), before);
  log.close();
});

Deno.test("a bounded offset map cleans in several passes with the same result", async () => {
  using dir = tempLogDir();
  const log = openLog(dir.path, { cleanerMaxMapEntries: 2 });
  const written = fill(log, 48, 6, 6);
  const stats = await log.compact();
  assert.ok(stats !== null && stats.passes >= 3, `passes: ${stats?.passes}`);
  const records = readAll(log);
  assert.deepEqual(state(records), state(written));
  assert.deepEqual(records, written.slice(-6));
  log.close();
});

Deno.test("maintain() cleans once the dirty ratio reaches min.cleanable.dirty.ratio", async () => {
  using dir = tempLogDir();
  const log = openLog(dir.path, { minCleanableDirtyRatio: 0.5 });
  fill(log, 30, 3, 10);
  await log.compact();
  const cleanBytes = log.sizeBytes;
  // A little new dirty data: below the ratio, nothing happens.
  put(log, [["k0", "x"]]);
  log.roll();
  assert.ok(log.dirtyRatio() < 0.5);
  await log.maintain();
  await log.whenCleaned();
  assert.equal(readAll(log).length, 4);
  // Enough dirty data: maintain() starts the cleaner in the background.
  fill(log, 12, 3, 4);
  assert.ok(log.dirtyRatio() >= 0.5);
  await log.maintain();
  await log.whenCleaned();
  assert.equal(readAll(log).length, 3);
  assert.ok(log.sizeBytes <= cleanBytes + 200);
  log.close();
});

Deno.test("cleanup.policy=compact disables time retention; compact,delete keeps it", () => {
  using dir = tempLogDir();
  const old = { timestampMs: T0 - 30 * DAY_MS };
  const log = openLog(dir.path, { retentionMs: DAY_MS });
  put(log, [["a", "1"]], old);
  log.roll();
  assert.equal(log.enforceRetention(), 0);
  log.updateConfig({ cleanupPolicy: "compact,delete" });
  assert.equal(log.enforceRetention(), 1);
  log.close();
});

Deno.test("crash recovery: a leftover .cleaned file is deleted and the log reads as before", () => {
  using dir = tempLogDir();
  let log = openLog(dir.path);
  const written = fill(log, 20, 2, 5);
  log.close();
  fs.writeFileSync(path.join(dir.path, "00000000000000000000.log.cleaned"), new Uint8Array(77));
  fs.rmSync(path.join(dir.path, "clean-shutdown"));
  const lines: string[] = [];
  log = PartitionLog.open({
    dir: dir.path,
    config: { cleanupPolicy: "compact" },
    logger: (l) => lines.push(l),
  });
  assert.deepEqual(readAll(log), written);
  assert.ok(!fs.readdirSync(dir.path).some((name) => name.endsWith(".cleaned")));
  assert.ok(lines.some((line) => /unfinished cleaner output/.test(line)));
  log.close();
});

Deno.test("crash recovery: a committed .swap is completed, even with part of its group deleted", async () => {
  using original = tempLogDir();
  using cleaned = tempLogDir();
  let log = openLog(original.path, { segmentBytes: 1024 });
  // Ten 4-batch segments; each ends with a key of its own, so a cleaned group ends where it did.
  const written: Rec[] = [];
  for (let i = 0; i < 40; i++) {
    const key = i % 4 === 3 ? `u${i}` : `k${i % 3}`;
    written.push({ offset: put(log, [[key, `v${i}`]]), key, value: `v${i}` });
    if (i % 4 === 3) log.roll();
  }
  log.close();
  fs.cpSync(original.path, cleaned.path, { recursive: true });
  const reference = openLog(cleaned.path, { segmentBytes: 1024 });
  await reference.compact();
  const groupEnd = reference.segmentBaseOffsets[1];
  const referenceRecords = readAll(reference);
  reference.close();
  assert.ok(groupEnd > 4, `first group merged several segments (ends at ${groupEnd})`);
  // Crash after the commit point: the swap file is in place and the second old segment of the
  // group is already deleted, the others are not.
  const name = (base: number, suffix: string) =>
    path.join(original.path, String(base).padStart(20, "0") + suffix);
  fs.copyFileSync(path.join(cleaned.path, "00000000000000000000.log"), name(0, ".log.swap"));
  for (const suffix of [".log", ".index", ".timeindex"]) fs.rmSync(name(4, suffix), { force: true });
  fs.rmSync(path.join(original.path, "clean-shutdown"));
  log = openLog(original.path, { segmentBytes: 1024 });
  const records = readAll(log);
  assert.deepEqual(
    records.filter((r) => r.offset < groupEnd),
    referenceRecords.filter((r) => r.offset < groupEnd),
  );
  assert.deepEqual(records.filter((r) => r.offset >= groupEnd), written.filter((r) => r.offset >= groupEnd));
  assert.deepEqual(state(records), state(written));
  assert.ok(!fs.readdirSync(original.path).some((n) => n.endsWith(".swap")));
  // And it cleans on to the same result as the uninterrupted run.
  await log.compact();
  assert.deepEqual(readAll(log), referenceRecords);
  log.close();
});

/** Records of the newest (active) segment file of a partition directory. */
function activeSegmentRecords(partitionDir: string): number {
  const logs = fs.readdirSync(partitionDir).filter((name) => /^\d{20}\.log$/.test(name)).sort();
  const bytes = fs.readFileSync(path.join(partitionDir, logs[logs.length - 1]));
  return decodeRecordBatches(bytes).reduce(
    (sum, batch) => sum + (batch.control ? 0 : batch.records.length),
    0,
  );
}

/** Everything in topic-0 from the earliest offset up to `lastOffset`, through a consumer. */
async function consumeUpTo(bootstrap: string, topic: string, lastOffset: number): Promise<Rec[]> {
  await using consumer = new Consumer({ bootstrap, autoOffsetReset: "earliest" });
  await consumer.assign([{ topic, partition: 0, from: "earliest" }]);
  const records: Rec[] = [];
  const deadline = Date.now() + 20_000;
  while (records.at(-1)?.offset !== lastOffset && Date.now() < deadline) {
    for (const r of await consumer.poll(1000)) {
      records.push({
        offset: r.offset,
        key: r.key === null ? null : text.decode(r.key),
        value: r.value === null ? null : text.decode(r.value),
      });
    }
  }
  return records;
}

Deno.test({
  name: "a compacted topic on a real broker: many updates to few keys shrink to about one record per key",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using cluster = await startCluster({ brokers: 1 });
    const topic = "prices";
    const admin = new Admin({ bootstrap: cluster.bootstrap });
    try {
      await admin.createTopics([{
        name: topic,
        partitions: 1,
        configs: { "cleanup.policy": "compact", "segment.bytes": "1024", "segment.ms": "3000" },
      }]);
    } finally {
      admin.close();
    }
    const keys = 5;
    const updates = 400;
    const latest = new Map<string, string>();
    let lastOffset = -1;
    const producer = new Producer({ bootstrap: cluster.bootstrap });
    try {
      for (let i = 0; i < updates; i += 20) {
        const sent = await Promise.all(Array.from({ length: 20 }, (_, j) => {
          const key = `key-${(i + j) % keys}`;
          latest.set(key, `price-${i + j}`);
          return producer.send({ topic, partition: 0, key, value: `price-${i + j}` });
        }));
        lastOffset = Math.max(lastOffset, ...sent.map((m) => m.offset));
      }
    } finally {
      await producer.close();
    }
    // Keyless records are refused on a compacted topic (Kafka's INVALID_RECORD).
    const keyless = new Producer({ bootstrap: cluster.bootstrap });
    await assert.rejects(keyless.send({ topic, partition: 0, key: null, value: "no key" }), /INVALID_RECORD/);
    await keyless.close().catch((error) => assert.match(String(error), /INVALID_RECORD/));
    const partitionDir = path.join(cluster.broker(1).dataDir, `${topic}-0`);
    const records = await eventually(
      "the log cleaner to compact the topic",
      async () => {
        const active = activeSegmentRecords(partitionDir);
        const read = await consumeUpTo(cluster.bootstrap, topic, lastOffset);
        return read.length <= keys + active && read.at(-1)?.offset === lastOffset ? read : undefined;
      },
      60_000,
      500,
    );
    assert.deepEqual(new Map(records.map((r) => [r.key, r.value])), latest);
    const offsets = records.map((r) => r.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
    assert.ok(records.length < updates / 4, `${records.length} records left of ${updates}`);
  },
});

Deno.test("min.compaction.lag.ms keeps recent segments uncleaned", async () => {
  using dir = tempLogDir();
  let nowMs = T0 + 10_000;
  const log = openLog(dir.path, { minCompactionLagMs: 60_000 }, () => nowMs);
  fill(log, 20, 2, 5); // every record stamped T0: younger than the lag
  assert.equal(await log.compact(), null);
  assert.equal(readAll(log).length, 20);
  nowMs = T0 + 120_000;
  await log.compact();
  assert.equal(readAll(log).length, 2);
  log.close();
});

Deno.test("topic configs: cleanup.policy compact and the cleaner knobs are accepted and mapped", () => {
  assert.equal(validateTopicConfigs({ "cleanup.policy": "compact" }), null);
  assert.equal(validateTopicConfigs({ "cleanup.policy": "delete, compact" }), null);
  assert.match(validateTopicConfigs({ "cleanup.policy": "compacted" })!, /cleanup.policy/);
  assert.equal(
    validateTopicConfigs({ "min.cleanable.dirty.ratio": "0.1", "delete.retention.ms": "1000" }),
    null,
  );
  assert.match(validateTopicConfigs({ "min.cleanable.dirty.ratio": "2" })!, /min.cleanable.dirty.ratio/);
  assert.deepEqual(
    logConfigFromTopicConfigs({
      "cleanup.policy": "delete,compact",
      "min.cleanable.dirty.ratio": "0.25",
      "delete.retention.ms": "1000",
      "min.compaction.lag.ms": "5",
    }),
    {
      cleanupPolicy: "compact,delete",
      minCleanableDirtyRatio: 0.25,
      deleteRetentionMs: 1000,
      minCompactionLagMs: 5,
    },
  );
  assert.throws(() => logConfigFromTopicConfigs({ "cleanup.policy": "shred" }), RangeError);
});

/** Non-control records in every segment file of every `<topic>-N` directory under dataDir. */
function recordsOnDisk(dataDir: string, topic: string): { total: number; active: number } {
  let total = 0;
  let active = 0;
  for (const entry of fs.readdirSync(dataDir)) {
    if (!entry.startsWith(`${topic}-`)) continue;
    const dir = path.join(dataDir, entry);
    const logs = fs.readdirSync(dir).filter((name) => /^\d{20}\.log$/.test(name)).sort();
    for (const [i, name] of logs.entries()) {
      const count = decodeRecordBatches(fs.readFileSync(path.join(dir, name)))
        .reduce((sum, batch) => sum + (batch.control ? 0 : batch.records.length), 0);
      total += count;
      if (i === logs.length - 1) active += count;
    }
  }
  return { total, active };
}

Deno.test({
  name:
    "__consumer_offsets is compacted: repeated commits shrink to the latest per key and survive a restart",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using cluster = await startCluster({
      brokers: 1,
      brokerArgs: ["--offsets-topic-segment-bytes", "1024"],
    });
    const admin = new Admin({ bootstrap: cluster.bootstrap });
    try {
      await admin.createTopics([{ name: "input", partitions: 1 }]);
    } finally {
      admin.close();
    }
    const producer = new Producer({ bootstrap: cluster.bootstrap });
    try {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => producer.send({ topic: "input", value: `r${i}` })),
      );
    } finally {
      await producer.close();
    }
    const groups = ["g0", "g1", "g2"];
    const commits = 60;
    let groupAdmin = new GroupAdmin({ bootstrap: cluster.bootstrap });
    try {
      for (let i = 1; i <= commits; i++) {
        for (const group of groups) {
          await groupAdmin.resetOffsets(group, "input", { kind: "offset", offset: i }, false);
        }
      }
    } finally {
      groupAdmin.close();
    }
    const dataDir = cluster.broker(1).dataDir;
    // One offset key per group; commits by a simple consumer write no group metadata.
    await eventually(
      "the offsets topic to be compacted",
      () => {
        const { total, active } = recordsOnDisk(dataDir, "__consumer_offsets");
        return total <= groups.length + active && total < commits ? true : undefined;
      },
      60_000,
      500,
    );
    // A crash and restart replays the compacted log: every group's last commit is there.
    await cluster.broker(1).program.stop("SIGKILL");
    await cluster.startBroker(1, cluster.broker(1).port);
    groupAdmin = new GroupAdmin({ bootstrap: cluster.bootstrap });
    try {
      for (const group of groups) {
        const described = await eventually(
          `group ${group} loaded`,
          async () => {
            try {
              return await groupAdmin.describeGroup(group);
            } catch {
              return undefined;
            }
          },
          60_000,
          200,
        );
        assert.deepEqual(described.offsets.map((o) => o.committedOffset), [commits]);
      }
    } finally {
      groupAdmin.close();
    }
  },
});

Deno.test("closing or truncating the log while a cleaning waits between steps gives the pass up cleanly", async () => {
  using dir = tempLogDir();
  let log = openLog(dir.path);
  const written = fill(log, 30, 3, 5);
  const pending = log.compact();
  log.close(); // runs before the cleaner's first step
  const stats = await pending;
  assert.equal(stats?.aborted, true);
  assert.equal(stats?.groupsRewritten, 0);
  log = openLog(dir.path);
  assert.deepEqual(readAll(log), written);
  const truncating = log.compact();
  // Timers of equal delay run in order: the cleaner's first step, then this truncation.
  await new Promise((resolve) => setTimeout(resolve, 0));
  log.truncateTo(12);
  assert.equal((await truncating)?.aborted, true);
  assert.deepEqual(readAll(log), written.slice(0, 12));
  await log.compact();
  // The active segment [10, 12) stays; below it the last of each key: 7, 8, 9.
  assert.deepEqual(readAll(log), written.slice(7, 12));
  log.close();
});

Deno.test("maintain() runs one background cleaning per process at a time", async () => {
  using firstDir = tempLogDir();
  using secondDir = tempLogDir();
  const first = openLog(firstDir.path);
  const second = openLog(secondDir.path);
  fill(first, 30, 3, 5);
  fill(second, 30, 3, 5);
  await first.maintain();
  await second.maintain(); // the slot is taken: nothing starts
  await second.whenCleaned();
  await first.whenCleaned();
  assert.equal(readAll(first).length, 3);
  assert.equal(readAll(second).length, 30);
  await second.maintain();
  await second.whenCleaned();
  assert.equal(readAll(second).length, 3);
  first.close();
  second.close();
});
