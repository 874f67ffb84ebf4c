/**
 * RecordAccumulator: the producer's per-partition buffers. Records append to the open
 * batch of their partition; a batch closes when the next record would take it past
 * `batchBytes` (it is then ready at once) or when `lingerMs` has passed since it opened
 * (the accumulator calls `onReady` so the sender drains it). Buffered bytes are counted
 * from append until the batch is released, which is what the producer's memory bound uses.
 *
 * @example
 * ```ts
 * const accumulator = new RecordAccumulator({ batchBytes: 16_384, lingerMs: 5, onReady: drain });
 * const { batch, offsetDelta } = accumulator.append("orders", 0, null, value, Date.now());
 * for (const ready of accumulator.drain(false)) send(ready);
 * ```
 */
import { BatchBuilder, type ProducerStamp, type RecordHeader } from "./batch-builder.ts";
import type { BufferPool } from "../buffer-pool.ts";
import { invariant } from "../assert.ts";

/**
 * When one traced batch passed the producer's stages, in performance.now() milliseconds: its
 * first record appended, the batch closed (no more records), its produce request handed to the
 * connection and written to the socket (the last attempt's), and the answer handled. NaN for a
 * stage not reached.
 */
export interface BatchStages {
  createdMs: number;
  closedMs: number;
  sentMs: number;
  writtenMs: number;
  answeredMs: number;
}

/** One batch for one partition, from the first append until its produce request completes. */
export class ProducerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly builder: BatchBuilder;
  readonly createdAt: number;
  /** The encoded RecordBatch, set when the batch is closed and encoded. */
  bytes: Uint8Array | undefined;
  /** No more records go in (it is ready or sent). */
  closed = false;
  /** Produce attempts made so far. */
  attempts = 0;
  /** The broker its last attempt went to (-1 before the first): a retry asks another who leads. */
  lastLeader = -1;
  /** Idempotent producers: the first sequence stamped on the batch at its first send, else -1. */
  baseSequence = -1;
  /** Bytes counted against the accumulator's memory bound. */
  accountedBytes = 0;
  /** Stage times, only when the producer traces batches (a benchmark's option). */
  stages: BatchStages | undefined;
  /** Idempotent producers: the producer fields stamped on the batch (its pieces carry them on). */
  stamp: ProducerStamp | undefined;
  /** Set once the broker refused the batch as too large: its records went on in these. */
  #pieces: { fromDelta: number; batch: ProducerBatch }[] | undefined;
  #result: Promise<number> | undefined;
  #resolve: ((baseOffset: number) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;
  #settled: { baseOffset?: number; error?: Error } | undefined;

  constructor(
    topic: string,
    partition: number,
    batchBytes: number | BatchBuilder,
    now: number,
    initialCapacityBytes?: number,
    pool?: BufferPool,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.builder = typeof batchBytes === "number"
      ? new BatchBuilder(batchBytes, initialCapacityBytes, pool)
      : batchBytes;
    this.createdAt = now;
  }

  /**
   * The broker refused this batch as over the topic's max.message.bytes: its records, in order,
   * in new batches of at most limitBytes (at least two, as the batch holds more than one record
   * and is larger than the limit). The batch settles when they all have (see offsetOf).
   */
  split(limitBytes: number): ProducerBatch[] {
    invariant(
      this.#pieces === undefined && this.recordCount > 1,
      () => "split: a batch of several records, once",
    );
    const builders = this.builder.split(limitBytes);
    invariant(builders.length >= 2, () => "split: at least two pieces");
    let fromDelta = 0;
    this.#pieces = builders.map((builder) => {
      const piece = {
        fromDelta,
        batch: new ProducerBatch(this.topic, this.partition, builder, this.createdAt),
      };
      fromDelta += builder.recordCount;
      return piece;
    });
    return this.#pieces.map((piece) => piece.batch);
  }

  /**
   * The offset of the record at offsetDelta, once the batch (or, after a split, the piece that
   * took the record) succeeded; -1 with acks=0. Pieces of one batch need not be adjacent in the
   * log (a non-idempotent producer's, or another producer's batches in between).
   */
  offsetOf(offsetDelta: number): number {
    if (this.#pieces === undefined) {
      const baseOffset = this.#settled?.baseOffset ?? -1;
      invariant(this.#settled?.baseOffset !== undefined, () => "offsetOf: the batch succeeded");
      return baseOffset < 0 ? -1 : baseOffset + offsetDelta;
    }
    let at = this.#pieces.length - 1;
    while (this.#pieces[at].fromDelta > offsetDelta) at--;
    return this.#pieces[at].batch.offsetOf(offsetDelta - this.#pieces[at].fromDelta);
  }

  get recordCount(): number {
    return this.builder.recordCount;
  }

  /**
   * The batch is done with (answered): its buffer goes back to the producer's pool and its bytes
   * are forgotten, so nothing can send them again (see BatchBuilder.recycle).
   */
  recycle(): void {
    this.bytes = undefined;
    this.builder.recycle();
  }

  /** Resolves to the base offset the broker assigned (-1 with acks=0). Created on first use. */
  get result(): Promise<number> {
    if (!this.#result) {
      if (this.#settled) {
        this.#result = this.#settled.error
          ? Promise.reject(this.#settled.error)
          : Promise.resolve(this.#settled.baseOffset!);
      } else {
        this.#result = new Promise<number>((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        });
      }
    }
    return this.#result;
  }

  get settled(): boolean {
    return this.#settled !== undefined;
  }

  succeed(baseOffset: number): void {
    if (this.#settled) return;
    this.#settled = { baseOffset };
    this.#resolve?.(baseOffset);
  }

  fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = { error };
    this.#reject?.(error);
  }
}

export interface AccumulatorOptions {
  batchBytes: number;
  lingerMs: number;
  /** Called (at most once per turn) when batches are ready to send. */
  onReady: () => void;
  /** Called when an open batch closes (the sticky partitioner moves on). */
  onBatchClosed?: (batch: ProducerBatch) => void;
  now?: () => number;
  /** Give each batch `stages` (five performance.now() calls per batch; nothing per record). */
  traceStages?: boolean;
  /** Where batch buffers come from (see BatchBuilder.recycle for when they go back). */
  pool?: BufferPool;
}

export class RecordAccumulator {
  readonly batchBytes: number;
  readonly lingerMs: number;
  #open = new Map<string, Map<number, ProducerBatch>>();
  /** The batch the last append went to. */
  lastBatch: ProducerBatch | undefined;
  #openCount = 0;
  /** Topics whose batches the broker found too large, and the smaller bound they get now. */
  readonly #topicBatchBytes = new Map<string, number>();
  #ready: ProducerBatch[] = [];
  #bufferedBytes = 0;
  #lingerTimer: ReturnType<typeof setTimeout> | undefined;
  #readyScheduled = false;
  readonly #options: AccumulatorOptions;
  readonly #now: () => number;

  constructor(options: AccumulatorOptions) {
    this.#options = options;
    this.batchBytes = options.batchBytes;
    this.lingerMs = options.lingerMs;
    this.#now = options.now ?? Date.now;
  }

  /** Bytes appended and not yet released. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Are full batches waiting for drain()? */
  get hasReady(): boolean {
    return this.#ready.length > 0;
  }

  /** Are there records not yet handed to the sender? */
  get hasPending(): boolean {
    return this.#openCount > 0 || this.#ready.length > 0;
  }

  /**
   * Append one record; returns its offset delta within its batch, which is then
   * `lastBatch` (no object is allocated per record).
   */
  append(
    topic: string,
    partition: number,
    key: Uint8Array | null,
    value: Uint8Array | null,
    timestamp: number,
    headers?: readonly RecordHeader[],
  ): number {
    let full = false;
    // Fast path: the same partition as the previous record and its batch still open.
    let batch = this.lastBatch;
    if (batch === undefined || batch.partition !== partition || batch.topic !== topic || batch.closed) {
      batch = this.#open.get(topic)?.get(partition);
    }
    if (batch !== undefined) {
      const before = batch.builder.sizeBytes;
      const offsetDelta = batch.builder.append(key, value, timestamp, headers);
      if (offsetDelta >= 0) {
        this.#account(batch, batch.builder.sizeBytes - before);
        this.lastBatch = batch;
        return offsetDelta;
      }
      this.#close(this.#open.get(topic)!, batch);
      // This partition fills batches: give the next one its full size up front (no regrowth).
      full = true;
    }
    let partitions = this.#open.get(topic);
    if (!partitions) {
      partitions = new Map();
      this.#open.set(topic, partitions);
    }
    const batchBytes = this.#topicBatchBytes.size === 0
      ? this.batchBytes
      : this.#topicBatchBytes.get(topic) ?? this.batchBytes;
    batch = new ProducerBatch(
      topic,
      partition,
      batchBytes,
      this.#now(),
      full ? batchBytes + 1024 : undefined,
      this.#options.pool,
    );
    if (this.#options.traceStages) {
      batch.stages = {
        createdMs: performance.now(),
        closedMs: NaN,
        sentMs: NaN,
        writtenMs: NaN,
        answeredMs: NaN,
      };
    }
    partitions.set(partition, batch);
    this.#openCount++;
    const offsetDelta = batch.builder.append(key, value, timestamp, headers);
    this.#account(batch, batch.builder.sizeBytes);
    this.lastBatch = batch;
    if (this.lingerMs <= 0) this.#scheduleReady();
    else if (this.#lingerTimer === undefined) {
      this.#lingerTimer = setTimeout(() => {
        this.#lingerTimer = undefined;
        this.#options.onReady();
      }, this.lingerMs);
    }
    return offsetDelta;
  }

  #account(batch: ProducerBatch, bytes: number): void {
    batch.accountedBytes += bytes;
    this.#bufferedBytes += bytes;
  }

  #close(partitions: Map<number, ProducerBatch>, batch: ProducerBatch): void {
    batch.closed = true;
    if (batch.stages !== undefined) batch.stages.closedMs = performance.now();
    partitions.delete(batch.partition);
    this.#openCount--;
    this.#ready.push(batch);
    this.#options.onBatchClosed?.(batch);
    this.#scheduleReady();
  }

  #scheduleReady(): void {
    if (this.#readyScheduled) return;
    this.#readyScheduled = true;
    queueMicrotask(() => {
      this.#readyScheduled = false;
      this.#options.onReady();
    });
  }

  /**
   * Take the batches to send: every full batch, plus the open ones when `all` is set or
   * their linger time is up. Open batches still lingering stay (and keep a timer).
   *
   * `holdBack` keeps an open batch whose linger is up open (filling until full) while its
   * partition could not send it anyway (an idempotent producer's five batches in flight):
   * closed, it would only wait, smaller than it need be. The caller drains again when the
   * partition can send; no timer is kept for such a batch.
   */
  drain(all: boolean, holdBack?: (batch: ProducerBatch) => boolean): ProducerBatch[] {
    const now = this.#now();
    let earliestOpen = Infinity;
    for (const partitions of this.#open.values()) {
      for (const batch of partitions.values()) {
        if (all) this.#close(partitions, batch);
        else if (now - batch.createdAt < this.lingerMs) {
          earliestOpen = Math.min(earliestOpen, batch.createdAt);
        } else if (holdBack === undefined || !holdBack(batch)) this.#close(partitions, batch);
      }
    }
    if (earliestOpen !== Infinity && this.#lingerTimer === undefined) {
      this.#lingerTimer = setTimeout(() => {
        this.#lingerTimer = undefined;
        this.#options.onReady();
      }, Math.max(0, earliestOpen + this.lingerMs - now));
    }
    const ready = this.#ready;
    this.#ready = [];
    return ready;
  }

  /**
   * The broker refused a batch of this topic as too large: the topic's later batches hold at
   * most limitBytes (the producer's batchBytes stays the bound for the others).
   */
  lowerBatchBytes(topic: string, limitBytes: number): void {
    if (limitBytes < (this.#topicBatchBytes.get(topic) ?? this.batchBytes)) {
      this.#topicBatchBytes.set(topic, limitBytes);
    }
  }

  /** The batch's bytes no longer count against the bound (sent and answered, or failed). */
  release(batch: ProducerBatch): void {
    this.#bufferedBytes -= batch.accountedBytes;
    batch.accountedBytes = 0;
  }

  /** Stop the linger timer (on close). */
  stop(): void {
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
  }
}
