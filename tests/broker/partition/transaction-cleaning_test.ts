/**
 * Compaction and transactions through a real Partition and PartitionLog: the records of an aborted
 * transaction are dropped and do not displace the committed value of their key, markers stay,
 * and an open transaction bounds what the cleaner may touch.
 */
import assert from "node:assert/strict";
import { setInvariantMode } from "../../../src/assert.ts";
import { markerBatch } from "../../../src/broker/handlers/write-txn-markers.ts";
import { IGNORE_PARTITION_EVENTS, Partition } from "../../../src/broker/partition/partition.ts";
import { Purgatory } from "../../../src/broker/purgatory.ts";
import { decodeRecordBatches, encodeRecordBatch } from "../../../src/kafka/record-batch.ts";
import { PartitionLog } from "../../../src/storage/partition-log.ts";
import { tempLogDir } from "../../storage/batches.ts";

setInvariantMode("throw");

const PID = 31n;
const FILLER = "x".repeat(300);

function record(key: string, value: string, options: { transactional?: boolean; sequence?: number } = {}) {
  return encodeRecordBatch({
    records: [{ key, value: `${value} ${FILLER}` }],
    producerId: options.transactional ? PID : -1n,
    producerEpoch: options.transactional ? 0 : -1,
    baseSequence: options.sequence ?? -1,
    transactional: options.transactional,
  });
}

async function withCompactedLeader(run: (partition: Partition, log: PartitionLog) => Promise<void>) {
  using dir = tempLogDir();
  const log = PartitionLog.open({
    dir: dir.path,
    config: { segmentBytes: 1024, cleanupPolicy: "compact", minCleanableDirtyRatio: 0, deleteRetentionMs: 0 },
    logger: () => {},
  });
  const purgatory = new Purgatory(100);
  const partition = new Partition({ topic: "t", partition: 0 }, log, {
    brokerId: 1,
    purgatory,
    stateStore: { read: () => Promise.resolve(null), writeIsr: () => Promise.reject(new Error("none")) },
    observer: IGNORE_PARTITION_EVENTS,
    replicaLagTimeMaxMs: 10_000,
    onNewerState: () => {},
    log: () => {},
  });
  partition.applyLeadership({ leader: 1, leaderEpoch: 1, isr: [1], replicas: [1] });
  try {
    await run(partition, log);
  } finally {
    partition.close();
    purgatory.close();
    log.close();
  }
}

const append = (partition: Partition, bytes: Uint8Array, origin: "client" | "coordinator" = "client") =>
  partition.appendAsLeader(bytes, { requiredAcks: 1, origin });

function stored(log: PartitionLog): { key: string; value: string; control: boolean }[] {
  const out = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset;) {
    const batches = decodeRecordBatches(log.read(offset, 1 << 20).records);
    if (batches.length === 0) break;
    for (const batch of batches) {
      for (const r of batch.records) {
        out.push({
          key: batch.control ? "" : new TextDecoder().decode(r.key!),
          value: batch.control ? "" : new TextDecoder().decode(r.value!).split(" ")[0],
          control: batch.control,
        });
      }
      offset = batch.baseOffset + batch.lastOffsetDelta + 1;
    }
  }
  return out;
}

Deno.test("compaction drops an aborted transaction's records and keeps the committed value of their key", async () => {
  await withCompactedLeader(async (partition, log) => {
    await append(partition, record("k", "committed"));
    await append(partition, record("k", "aborted", { transactional: true, sequence: 0 }));
    await append(partition, markerBatch(PID, 0, false, 0), "coordinator");
    for (let i = 0; i < 8; i++) await append(partition, record(`other-${i}`, "v"));
    assert.ok(log.segmentBaseOffsets.length > 3, "the records span closed segments");
    await log.compact();
    const after = stored(log);
    assert.deepEqual(after.filter((r) => r.key === "k").map((r) => r.value), ["committed"]);
    assert.equal(after.filter((r) => r.control).length, 1, "the marker stays");
  });
});

Deno.test("an open transaction bounds the cleaning: nothing from its first offset on is cleaned", async () => {
  await withCompactedLeader(async (partition, log) => {
    await append(partition, record("k", "old"));
    await append(partition, record("k", "newer"));
    await append(partition, record("k", "open", { transactional: true, sequence: 0 }));
    for (let i = 0; i < 8; i++) await append(partition, record("k", `later-${i}`));
    assert.equal(partition.lastStableOffset, 2);
    await log.compact();
    const values = stored(log).map((r) => r.value);
    // Below the open transaction "old" gives way to "newer" (or both stay if not yet cleanable);
    // from the open transaction on, everything is as written.
    assert.deepEqual(values.slice(-9), ["open", ...Array.from({ length: 8 }, (_, i) => `later-${i}`)]);
    assert.ok(values.includes("newer"), "the latest value below the open transaction stays");
  });
});
