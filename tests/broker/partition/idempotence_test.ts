/**
 * Idempotence through a real Partition and PartitionLog in a temp directory: a retried batch is
 * stored once and answered with its first offset; errors refuse without appending; a follower
 * builds the same state from what it replicates (so it de-duplicates after becoming leader);
 * the state survives a clean close, a crash (snapshots at roll plus the log tail), truncation,
 * and expiry.
 */
import assert from "node:assert/strict";
import { setInvariantMode } from "../../../src/assert.ts";
import { IGNORE_PARTITION_EVENTS, Partition } from "../../../src/broker/partition/partition.ts";
import type { PartitionStateStore } from "../../../src/broker/partition/isr-writer.ts";
import { listProducerSnapshots } from "../../../src/broker/partition/producer-snapshots.ts";
import { Purgatory } from "../../../src/broker/purgatory.ts";
import { ErrorCode, KafkaError } from "../../../src/kafka/errors.ts";
import { encodeRecordBatch } from "../../../src/kafka/record-batch.ts";
import { PartitionLog } from "../../../src/storage/partition-log.ts";
import { tempLogDir } from "../../storage/batches.ts";

setInvariantMode("throw");

const NO_ISR_WRITES: PartitionStateStore = {
  read: () => Promise.resolve(null),
  writeIsr: () => Promise.reject(new Error("no ISR writes in these tests")),
};

function open(dir: string, brokerId: number, segmentBytes = 1024 * 1024, expirationMs?: number) {
  const log = PartitionLog.open({ dir, config: { segmentBytes }, logger: () => {} });
  const purgatory = new Purgatory(100);
  let nowMs = 2_000_000_000_000;
  const partition = new Partition({ topic: "t", partition: 0 }, log, {
    brokerId,
    purgatory,
    stateStore: NO_ISR_WRITES,
    observer: IGNORE_PARTITION_EVENTS,
    replicaLagTimeMaxMs: 10_000,
    onNewerState: () => {},
    log: () => {},
    now: () => nowMs,
    producerIdExpirationMs: expirationMs,
  });
  return {
    partition,
    log,
    advance: (ms: number) => nowMs += ms,
    /** A crash: the log's files stay as written, no snapshot at close. */
    crash() {
      purgatory.close();
      log.close();
    },
    close() {
      partition.close();
      purgatory.close();
      log.close();
    },
  };
}

function lead(partition: Partition, brokerId: number, leaderEpoch = 1): void {
  partition.applyLeadership({ leader: brokerId, leaderEpoch, isr: [brokerId], replicas: [brokerId] });
}

function idempotentBatch(
  sequence: number,
  records = 2,
  options: { producerId?: bigint; epoch?: number } = {},
) {
  return encodeRecordBatch({
    records: Array.from({ length: records }, (_, i) => ({
      value: new TextEncoder().encode(`record ${sequence + i} ${"x".repeat(200)}`),
      timestamp: 2_000_000_000_000,
    })),
    producerId: options.producerId ?? 77n,
    producerEpoch: options.epoch ?? 0,
    baseSequence: sequence,
  });
}

async function append(partition: Partition, bytes: Uint8Array) {
  return await partition.appendAsLeader(bytes.slice(), { requiredAcks: 1 });
}

async function refusal(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KafkaError) return error.code;
    throw error;
  }
  return ErrorCode.NONE;
}

Deno.test("a retried batch is stored once and both answers name the same offset", async () => {
  using dir = tempLogDir();
  const t = open(dir.path, 1);
  try {
    lead(t.partition, 1);
    const first = await append(t.partition, idempotentBatch(0, 3));
    const retry = await append(t.partition, idempotentBatch(0, 3));
    assert.equal(retry.baseOffset, first.baseOffset);
    assert.equal(retry.nextOffset, first.nextOffset);
    assert.equal(retry.duplicate, true);
    assert.equal(t.log.logEndOffset, 3);
    const next = await append(t.partition, idempotentBatch(3, 1));
    assert.equal(next.baseOffset, 3);
    assert.equal(
      await refusal(append(t.partition, idempotentBatch(9, 1))),
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    assert.equal(
      await refusal(append(t.partition, idempotentBatch(5, 1, { producerId: 78n }))),
      ErrorCode.UNKNOWN_PRODUCER_ID,
    );
    await append(t.partition, idempotentBatch(0, 1, { producerId: 78n, epoch: 2 }));
    assert.equal(
      await refusal(append(t.partition, idempotentBatch(1, 1, { producerId: 78n, epoch: 1 }))),
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    assert.equal(t.log.logEndOffset, 5, "refused batches append nothing");
  } finally {
    t.close();
  }
});

/**
 * Broker 1 leads and takes three batches of producer 77 (sequences 0..5, offsets 0..5); broker 2
 * follows and replicates them. `run` gets both; both are closed after it.
 */
async function replicated(
  run: (leader: ReturnType<typeof open>, follower: ReturnType<typeof open>) => Promise<void>,
) {
  using leaderDir = tempLogDir();
  using followerDir = tempLogDir();
  const leader = open(leaderDir.path, 1);
  const follower = open(followerDir.path, 2);
  try {
    lead(leader.partition, 1);
    follower.partition.applyLeadership({ leader: 1, leaderEpoch: 1, isr: [1], replicas: [1, 2] });
    for (let seq = 0; seq < 6; seq += 2) await append(leader.partition, idempotentBatch(seq));
    follower.partition.appendAsFollower(leader.log.read(0, 1 << 20).records.slice());
    assert.equal(follower.log.logEndOffset, 6);
    await run(leader, follower);
  } finally {
    leader.close();
    follower.close();
  }
}

Deno.test("a follower builds the state from what it replicates and de-duplicates as the new leader", async () => {
  await replicated(async (_leader, follower) => {
    // Leadership moves; the producer's retry of its last batch reaches the new leader.
    follower.partition.applyLeadership({ leader: 2, leaderEpoch: 2, isr: [2], replicas: [1, 2] });
    const retry = await append(follower.partition, idempotentBatch(4));
    assert.deepEqual([retry.baseOffset, retry.duplicate], [4, true]);
    assert.equal(follower.log.logEndOffset, 6);
  });
});

Deno.test("after a clean close the state comes back from the snapshot at the log end", async () => {
  using dir = tempLogDir();
  const first = open(dir.path, 1);
  lead(first.partition, 1);
  await append(first.partition, idempotentBatch(0));
  await append(first.partition, idempotentBatch(2));
  first.close();
  assert.deepEqual(listProducerSnapshots(dir.path), [4]);
  const second = open(dir.path, 1);
  try {
    lead(second.partition, 1, 2);
    const retry = await append(second.partition, idempotentBatch(2));
    assert.deepEqual([retry.baseOffset, retry.duplicate], [2, true]);
    assert.equal(second.log.logEndOffset, 4);
  } finally {
    second.close();
  }
});

Deno.test("a roll's snapshot still being written when the log is truncated below it never appears", async () => {
  using dir = tempLogDir();
  const replica = open(dir.path, 1, 1024);
  try {
    lead(replica.partition, 1);
    let seq = 0;
    const rolled = () => replica.log.segmentBaseOffsets.length > 1;
    while (!rolled()) await append(replica.partition, idempotentBatch((seq += 2) - 2));
    const roll = replica.log.segmentBaseOffsets[1];
    assert.deepEqual(listProducerSnapshots(dir.path), [], "the roll's snapshot is still being written");
    // Leadership moves and the new leader's log diverges below the roll: this replica truncates.
    replica.partition.applyLeadership({ leader: 2, leaderEpoch: 2, isr: [2], replicas: [1, 2] });
    replica.partition.truncateTo(2);
    await replica.partition.snapshotsSettled();
    assert.ok(roll > 2);
    assert.deepEqual(listProducerSnapshots(dir.path), [], "no snapshot of records the log no longer holds");
  } finally {
    replica.close();
  }
});

Deno.test("after a crash the state comes back from the snapshot at the last roll plus the log tail", async () => {
  using dir = tempLogDir();
  // Small segments: every few batches roll the log and write a snapshot.
  const first = open(dir.path, 1, 1024);
  lead(first.partition, 1);
  for (let seq = 0; seq < 40; seq += 2) await append(first.partition, idempotentBatch(seq));
  const rolls = first.log.segmentBaseOffsets.slice(1);
  assert.ok(rolls.length >= 3, `the log rolled (${first.log.segmentBaseOffsets})`);
  await first.partition.snapshotsSettled(); // written off the event loop; a crash before loses only replay time
  first.crash();
  const snapshots = listProducerSnapshots(dir.path);
  assert.deepEqual(snapshots, rolls.slice(-3), "snapshots at the newest three segment bases, no older ones");
  const second = open(dir.path, 1, 1024);
  try {
    lead(second.partition, 1, 2);
    // The last batch is in the tail after the newest snapshot; one before it is in the snapshot.
    const last = await append(second.partition, idempotentBatch(38));
    assert.deepEqual([last.baseOffset, last.duplicate], [38, true]);
    const entry = second.partition.producerState.entry(77n);
    assert.deepEqual(entry?.batches.map((b) => b.firstSeq), [30, 32, 34, 36, 38]);
    assert.equal((await append(second.partition, idempotentBatch(40))).baseOffset, 40);
  } finally {
    second.close();
  }
});

Deno.test("a follower's truncation takes the truncated batches out of the state", async () => {
  await replicated(async (_leader, follower) => {
    follower.partition.truncateTo(4);
    assert.deepEqual(follower.partition.producerState.entry(77n)?.batches.map((b) => b.firstSeq), [0, 2]);
    follower.partition.applyLeadership({ leader: 2, leaderEpoch: 2, isr: [2], replicas: [1, 2] });
    // The batch the truncation removed is new again: appended, not answered as a duplicate.
    const again = await append(follower.partition, idempotentBatch(4));
    assert.deepEqual([again.baseOffset, again.duplicate], [4, undefined]);
  });
});

Deno.test("a producer idle past producer.id.expiration.ms is forgotten", async () => {
  using dir = tempLogDir();
  const t = open(dir.path, 1, 1024 * 1024, 60_000);
  try {
    lead(t.partition, 1);
    await append(t.partition, idempotentBatch(0));
    assert.equal(t.partition.expireProducers(), 0);
    t.advance(61_000);
    assert.equal(t.partition.expireProducers(), 1);
    assert.equal(await refusal(append(t.partition, idempotentBatch(2))), ErrorCode.UNKNOWN_PRODUCER_ID);
  } finally {
    t.close();
  }
});
