/**
 * The producer's sequence bookkeeping on its own: stamping in send order, the five-in-flight
 * bound per partition, a retried batch going again before later ones with its old stamp, an
 * out-of-order answer being real only for the earliest unsettled batch, and a new producer id
 * (sequences from 0) after a batch failed for good — once per id.
 */
import assert from "node:assert/strict";
import { ProducerBatch } from "../../src/client/accumulator.ts";
import type { ProducerStamp } from "../../src/client/batch-builder.ts";
import { IdempotentSequences, MAX_IN_FLIGHT_PER_PARTITION } from "../../src/client/idempotence.ts";

function batchOf(records: number, partition = 0): ProducerBatch {
  const batch = new ProducerBatch("t", partition, 1 << 16, 0);
  for (let i = 0; i < records; i++) batch.builder.append(null, new Uint8Array([i]), 0);
  return batch;
}

function take(sequences: IdempotentSequences, stamps: Map<ProducerBatch, ProducerStamp>) {
  return sequences.takeSendable((batch, stamp) => stamps.set(batch, stamp));
}

Deno.test("nothing new goes before the producer id; then sequences follow record counts", () => {
  const sequences = new IdempotentSequences();
  const stamps = new Map<ProducerBatch, ProducerStamp>();
  const [a, b] = [batchOf(3), batchOf(2)];
  sequences.enqueue(a);
  sequences.enqueue(b);
  assert.deepEqual(take(sequences, stamps), []);
  sequences.setIdentity({ producerId: 9n, producerEpoch: 0 });
  assert.deepEqual(take(sequences, stamps), [a, b]);
  assert.deepEqual([stamps.get(a)?.baseSequence, stamps.get(b)?.baseSequence], [0, 3]);
  assert.equal(stamps.get(a)?.producerId, 9n);
  assert.equal(sequences.hasWaiting, false);
});

Deno.test("at most five batches of a partition in flight; other partitions are not held", () => {
  const sequences = new IdempotentSequences();
  sequences.setIdentity({ producerId: 1n, producerEpoch: 0 });
  const stamps = new Map<ProducerBatch, ProducerStamp>();
  const batches = Array.from({ length: 7 }, () => batchOf(1));
  for (const batch of batches) sequences.enqueue(batch);
  const other = batchOf(1, 1);
  sequences.enqueue(other);
  const first = take(sequences, stamps);
  assert.equal(first.filter((b) => b.partition === 0).length, MAX_IN_FLIGHT_PER_PARTITION);
  assert.ok(first.includes(other));
  sequences.settled(batches[0]);
  assert.deepEqual(take(sequences, stamps), [batches[5]]);
});

Deno.test("a retried batch goes again first, unchanged; an out-of-order answer is real only for the earliest", () => {
  const sequences = new IdempotentSequences();
  sequences.setIdentity({ producerId: 1n, producerEpoch: 0 });
  const stamps = new Map<ProducerBatch, ProducerStamp>();
  const [a, b, c] = [batchOf(1), batchOf(1), batchOf(1)];
  for (const batch of [a, b]) sequences.enqueue(batch);
  take(sequences, stamps);
  assert.equal(sequences.isEarliest(a), true);
  assert.equal(sequences.isEarliest(b), false, "b's out-of-order answer would come from a's failure");
  // a fails (retriable): the partition holds back until a is queued again.
  sequences.backOff(a);
  sequences.enqueue(c);
  assert.deepEqual(take(sequences, stamps), []);
  sequences.backOff(b);
  sequences.requeue(b);
  sequences.requeue(a);
  stamps.clear();
  assert.deepEqual(take(sequences, stamps), [a, b, c]);
  assert.deepEqual([...stamps.keys()], [c], "only the new batch is stamped; retries keep their bytes");
  assert.equal(stamps.get(c)?.baseSequence, 2);
});

Deno.test("a batch failed for good takes a new producer id once; sequences restart at 0", () => {
  const sequences = new IdempotentSequences();
  sequences.setIdentity({ producerId: 1n, producerEpoch: 0 });
  const stamps = new Map<ProducerBatch, ProducerStamp>();
  const [a, b] = [batchOf(1), batchOf(1)];
  sequences.enqueue(a);
  sequences.enqueue(b);
  take(sequences, stamps);
  sequences.failedForGood(a);
  assert.equal(sequences.identity, null);
  sequences.setIdentity({ producerId: 2n, producerEpoch: 0 });
  sequences.failedForGood(b); // stamped under the old id: no further id
  assert.equal((sequences.identity as { producerId: bigint } | null)?.producerId, 2n);
  const c = batchOf(1);
  sequences.enqueue(c);
  take(sequences, stamps);
  assert.deepEqual([stamps.get(c)?.producerId, stamps.get(c)?.baseSequence], [2n, 0]);
});

Deno.test("a partition is busy while batches wait, five are in flight or one backs off", () => {
  const sequences = new IdempotentSequences();
  const stamps = new Map<ProducerBatch, ProducerStamp>();
  const probe = batchOf(1);
  assert.equal(sequences.isBusy(probe), false, "a partition never seen can send");
  const batches = Array.from({ length: MAX_IN_FLIGHT_PER_PARTITION + 1 }, () => batchOf(1));
  sequences.enqueue(batches[0]);
  assert.equal(sequences.isBusy(probe), true, "waiting for the producer id");
  sequences.setIdentity({ producerId: 1n, producerEpoch: 0 });
  take(sequences, stamps);
  assert.equal(sequences.isBusy(probe), false, "one in flight");
  for (const batch of batches.slice(1, MAX_IN_FLIGHT_PER_PARTITION)) sequences.enqueue(batch);
  take(sequences, stamps);
  assert.equal(sequences.isBusy(probe), true, "five in flight");
  assert.equal(sequences.isBusy(batchOf(1, 1)), false, "another partition is not held");
  sequences.settled(batches[0]);
  assert.equal(sequences.isBusy(probe), false);
  sequences.backOff(batches[1]);
  assert.equal(sequences.isBusy(probe), true, "a retry backing off holds the partition");
  sequences.requeue(batches[1]);
  take(sequences, stamps);
  assert.equal(sequences.isBusy(probe), false);
});

Deno.test("a batch refused as too large: its pieces take its sequences and go before later batches", () => {
  const sequences = new IdempotentSequences();
  sequences.setIdentity({ producerId: 1n, producerEpoch: 0 });
  const stamps = new Map<ProducerBatch, ProducerStamp>();
  const [a, b, c] = [batchOf(10), batchOf(4), batchOf(2)];
  for (const batch of [a, b]) sequences.enqueue(batch);
  take(sequences, stamps); // a (0..9) and b (10..13) in flight
  sequences.enqueue(c); // c waits, unstamped, behind them
  const pieces = a.split(Math.ceil(a.builder.sizeBytes / 2));
  const pieceSequences = new Map<ProducerBatch, number>();
  sequences.replace(a, pieces, (piece, baseSequence) => pieceSequences.set(piece, baseSequence));
  assert.ok(pieces.length >= 2);
  // Each piece starts where the one before it ended: together exactly a's 0..9.
  const starts = pieces.map((_, i) => pieces.slice(0, i).reduce((sum, piece) => sum + piece.recordCount, 0));
  assert.deepEqual(pieces.map((piece) => pieceSequences.get(piece)), starts);
  assert.deepEqual(pieces.map((piece) => piece.baseSequence), starts);
  assert.equal(pieces.reduce((sum, piece) => sum + piece.recordCount, 0), 10);
  assert.equal(sequences.isEarliest(pieces[0]), true);
  assert.equal(sequences.isEarliest(b), false, "b's out-of-order answer comes from a's refusal");
  // b is refused meanwhile (out of order) and backs off: nothing goes until it is back.
  sequences.backOff(b);
  assert.deepEqual(take(sequences, stamps), []);
  sequences.requeue(b);
  // The pieces first, then b again with its old stamp, then c stamped after b (five at a time).
  const sent: ProducerBatch[] = [];
  for (let round = 0; round < 10 && sequences.hasWaiting; round++) {
    const now = take(sequences, stamps);
    sent.push(...now);
    for (const batch of now) sequences.settled(batch);
  }
  assert.deepEqual(sent, [...pieces, b, c]);
  assert.equal(stamps.get(c)?.baseSequence, 14);
});
