/**
 * Idempotence, the producer's side: the producer id and epoch (InitProducerId, fetched once),
 * and per partition the next sequence number and the batches between the accumulator and their
 * acknowledgement. The broker stores a batch only when its first sequence follows the last one it
 * stored for this producer, and answers a repeat of any of the last five with the offset it got
 * the first time; so the client must:
 *
 *   - stamp sequences in the order batches are first sent, and never re-stamp a batch that went
 *     out (a retry repeats its bytes exactly, which is what makes it recognisable);
 *   - keep at most MAX_IN_FLIGHT_PER_PARTITION batches of a partition unanswered (the broker
 *     remembers five);
 *   - after a retriable failure, hold the partition's later batches back until the failed one
 *     has gone again (they would only be refused as out of order), then send them in sequence
 *     order. An OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is not the earliest unanswered one
 *     just means an earlier one failed: retriable too;
 *   - after a batch fails for good, take a new producer id for what comes next (the old id's
 *     sequence has a gap the broker will never accept past).
 *
 * This module holds that bookkeeping; the Producer does the I/O.
 *
 * @example
 * ```ts
 * const sequences = new IdempotentSequences();
 * sequences.enqueue(batch);
 * sequences.setIdentity({ producerId, producerEpoch: 0 });
 * for (const ready of sequences.takeSendable(stamp)) send(ready);
 * ```
 */
import type { ProducerStamp } from "./batch-builder.ts";
import type { ProducerBatch } from "./accumulator.ts";
import { partitionKey } from "./partition-key.ts";
import { invariant } from "../assert.ts";

/** The broker remembers the last five batches per producer and partition. */
export const MAX_IN_FLIGHT_PER_PARTITION = 5;

const MAX_SEQUENCE = 0x7fff_ffff;

/** A producer id and epoch, and which of this producer's ids it is (ids change after a failure). */
export interface ProducerIdentity {
  producerId: bigint;
  producerEpoch: number;
  generation: number;
}

interface PartitionSequence {
  /** The identity generation nextSequence counts in. */
  generation: number;
  nextSequence: number;
  /** Batches to send, in sequence order (retries first: they were stamped earlier). */
  waiting: ProducerBatch[];
  /** Stamped and not yet settled, in sequence order. */
  unsettled: ProducerBatch[];
  /** Batches sent and not answered. */
  inFlight: number;
  /** Batches waiting out a retry backoff: nothing more goes until they are back in `waiting`. */
  backingOff: number;
}

export class IdempotentSequences {
  #identity: ProducerIdentity | null = null;
  #generation = 0;
  readonly #partitions = new Map<string, PartitionSequence>();
  /** Partitions with waiting batches. */
  readonly #ready = new Set<PartitionSequence>();
  /** The identity generation each stamped batch carries. */
  readonly #stampedIn = new WeakMap<ProducerBatch, number>();

  /** The current producer id, or null until InitProducerId answered (and after reset()). */
  get identity(): ProducerIdentity | null {
    return this.#identity;
  }

  setIdentity(id: { producerId: bigint; producerEpoch: number }): void {
    this.#identity = { ...id, generation: ++this.#generation };
  }

  /**
   * A stamped batch failed for good (its sequence now has a gap): later batches go under a new
   * producer id, fetched again. Once per id: the failures of later batches of the same id follow
   * from the first and need no further id.
   */
  failedForGood(batch: ProducerBatch): void {
    this.settled(batch);
    if (this.#identity !== null && this.#stampedIn.get(batch) === this.#identity.generation) {
      this.#identity = null;
    }
  }

  /** Are batches waiting to be stamped or sent? */
  get hasWaiting(): boolean {
    return this.#ready.size > 0;
  }

  enqueue(batch: ProducerBatch): void {
    const sequence = this.#partition(batch);
    sequence.waiting.push(batch);
    this.#ready.add(sequence);
  }

  /**
   * The batches that may go now, each stamped on its first send (`stamp` encodes it with the
   * producer fields). Batches never sent wait while no identity is known, and while `mayStart`
   * says no (a transactional producer's partition not yet added to its transaction).
   */
  takeSendable(
    stamp: (batch: ProducerBatch, fields: ProducerStamp) => void,
    mayStart?: (batch: ProducerBatch) => boolean,
  ): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const sequence of this.#ready) {
      while (
        sequence.waiting.length > 0 && sequence.inFlight < MAX_IN_FLIGHT_PER_PARTITION &&
        sequence.backingOff === 0
      ) {
        const batch = sequence.waiting[0];
        if (batch.baseSequence < 0) {
          const identity = this.#identity;
          if (identity === null || (mayStart !== undefined && !mayStart(batch))) break;
          if (sequence.generation !== identity.generation) {
            sequence.generation = identity.generation;
            sequence.nextSequence = 0;
          }
          batch.baseSequence = sequence.nextSequence;
          this.#stampedIn.set(batch, identity.generation);
          stamp(batch, {
            producerId: identity.producerId,
            producerEpoch: identity.producerEpoch,
            baseSequence: sequence.nextSequence,
          });
          sequence.nextSequence = (sequence.nextSequence + batch.recordCount) % (MAX_SEQUENCE + 1);
          sequence.unsettled.push(batch);
        }
        sequence.waiting.shift();
        sequence.inFlight++;
        out.push(batch);
      }
      if (sequence.waiting.length === 0) this.#ready.delete(sequence);
    }
    return out;
  }

  /**
   * Would a new batch of this batch's partition have to wait (batches already waiting, five in
   * flight, or one backing off)? Then the producer keeps it open to fill (Kafka's batches fill
   * while the window is full). Each of these ends with an answer, a requeue, a producer id or a
   * partition added to the transaction, and the producer drains the accumulator again after each.
   */
  isBusy(batch: ProducerBatch): boolean {
    const sequence = this.#partitions.get(partitionKey(batch.topic, batch.partition));
    return sequence !== undefined &&
      (sequence.waiting.length > 0 || sequence.inFlight >= MAX_IN_FLIGHT_PER_PARTITION ||
        sequence.backingOff > 0);
  }

  /** Is this the partition's earliest unsettled batch (so an out-of-order answer is real)? */
  isEarliest(batch: ProducerBatch): boolean {
    return this.#partition(batch).unsettled[0] === batch;
  }

  /** The batch was answered (acknowledged, or failed for good). */
  settled(batch: ProducerBatch): void {
    const sequence = this.#partition(batch);
    sequence.inFlight--;
    const at = sequence.unsettled.indexOf(batch);
    if (at >= 0) sequence.unsettled.splice(at, 1);
  }

  /** The batch failed and will be retried after a backoff: hold its partition until then. */
  backOff(batch: ProducerBatch): void {
    const sequence = this.#partition(batch);
    sequence.inFlight--;
    sequence.backingOff++;
  }

  /** The backoff is over: the batch goes again, before every later one of its partition. */
  requeue(batch: ProducerBatch): void {
    const sequence = this.#partition(batch);
    sequence.backingOff--;
    const position = sequence.waiting.findIndex((other) =>
      other.baseSequence < 0 || sequence.unsettled.indexOf(other) > sequence.unsettled.indexOf(batch)
    );
    if (position < 0) sequence.waiting.push(batch);
    else sequence.waiting.splice(position, 0, batch);
    this.#ready.add(sequence);
  }

  /**
   * The broker refused a stamped batch as too large (so stored none of it) and it was split: the
   * pieces take its place and its sequence numbers, in order, under the same producer id and
   * epoch (`stamp` encodes a piece with its first sequence), and go before every later batch of
   * the partition. Those later batches were or will be refused as out of order (the broker still
   * waits for the refused batch's first sequence) and are retried after the pieces.
   */
  replace(
    batch: ProducerBatch,
    pieces: readonly ProducerBatch[],
    stamp: (piece: ProducerBatch, baseSequence: number) => void,
  ): void {
    const sequence = this.#partition(batch);
    const at = sequence.unsettled.indexOf(batch);
    invariant(at >= 0 && batch.baseSequence >= 0, () => "replace: a stamped, unsettled batch");
    sequence.inFlight--;
    const generation = this.#stampedIn.get(batch)!;
    let next = batch.baseSequence;
    for (const piece of pieces) {
      piece.baseSequence = next;
      this.#stampedIn.set(piece, generation);
      stamp(piece, next);
      next = (next + piece.recordCount) % (MAX_SEQUENCE + 1);
    }
    invariant(
      next === (batch.baseSequence + batch.recordCount) % (MAX_SEQUENCE + 1),
      () => "replace: the pieces cover the batch's sequence numbers exactly",
    );
    sequence.unsettled.splice(at, 1, ...pieces);
    const position = sequence.waiting.findIndex((other) =>
      other.baseSequence < 0 || sequence.unsettled.indexOf(other) > at
    );
    sequence.waiting.splice(position < 0 ? sequence.waiting.length : position, 0, ...pieces);
    this.#ready.add(sequence);
  }

  /** Take every batch not yet sent (to fail them: no producer id could be had). */
  drainUnsent(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const sequence of this.#ready) {
      const unsent = sequence.waiting.filter((batch) => batch.baseSequence < 0);
      sequence.waiting = sequence.waiting.filter((batch) => batch.baseSequence >= 0);
      out.push(...unsent);
      if (sequence.waiting.length === 0) this.#ready.delete(sequence);
    }
    return out;
  }

  #partition(batch: ProducerBatch): PartitionSequence {
    const key = partitionKey(batch.topic, batch.partition);
    let sequence = this.#partitions.get(key);
    if (sequence === undefined) {
      sequence = { generation: -1, nextSequence: 0, waiting: [], unsettled: [], inFlight: 0, backingOff: 0 };
      this.#partitions.set(key, sequence);
    }
    return sequence;
  }
}
