/**
 * Producer: sends records to topics. Records are accumulated per partition (`lingerMs`,
 * `batchBytes`), encoded as one RecordBatch v2 per partition, grouped per leader into one
 * Produce request, and many requests are kept in flight per broker. Keyed records go to
 * the Java-compatible murmur2 partition; keyless ones stick to one partition per batch.
 * Retriable errors (leader moved, topic not yet known, connection lost, timeout) refresh
 * metadata and retry with backoff, up to `retries`. A batch over the topic's max.message.bytes
 * (MESSAGE_TOO_LARGE) is split and its records sent again in smaller batches.
 *
 * Idempotent by default (as Java's producer since Kafka 3.0): the producer takes a producer id
 * (InitProducerId) and stamps each batch with per-partition sequence numbers, keeps at most five
 * batches of a partition in flight (meanwhile the partition's open batch keeps filling past
 * `lingerMs`, as Kafka's do), and a retry repeats its batch exactly, so a retry after a lost
 * answer is stored once and records stay in order (see idempotence.ts). That needs acks=all, the
 * default. `idempotent: false` (or an explicit acks of 0 or 1) turns it off: then a retried batch
 * can be stored twice or land after a later one, as with Kafka's non-idempotent producer.
 *
 * Transactional with `transactionalId` (Kafka's exactly-once): records are sent only inside a
 * transaction, `transaction(async (tx) => …)` commits when the function returns and aborts when
 * it throws (or `beginTransaction` / `sendOffsets` / `commit` / `abort` by hand). The first
 * transaction takes the id's producer id and epoch from its transaction coordinator, fencing any
 * older instance with the same id; each partition is added to the transaction (AddPartitionsToTxn)
 * before its first batch goes; `sendOffsets` commits a consumer group's offsets as part of the
 * transaction (consume-transform-produce). read_committed consumers see the records only after
 * the commit, and never those of an aborted transaction.
 *
 * @example
 * ```ts
 * const producer = new Producer({ bootstrap: "127.0.0.1:9092" }); // idempotent, acks=all
 * const { partition, offset } = await producer.send({ topic: "orders", key: "o-1", value: "{}" });
 * producer.produce({ topic: "orders", value: "fire and forget" });
 * await producer.flush();
 * await producer.close();
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { readProduceResponse, writeProduceRequest } from "../kafka/apis/produce.ts";
import { readInitProducerIdResponse, writeInitProducerIdRequest } from "../kafka/apis/init-producer-id.ts";
import type { ProduceResponse } from "../kafka/apis/produce.ts";
import { type BatchStages, type ProducerBatch, RecordAccumulator } from "./accumulator.ts";
import type { RecordHeader } from "./batch-builder.ts";
import { BufferPool } from "../buffer-pool.ts";
import { Cluster, type ClusterOptions } from "./cluster.ts";
import { compressionCodec, type CompressionName, compressor } from "./compression.ts";
import { isRetriable } from "./errors.ts";
import { IdempotentSequences } from "./idempotence.ts";
import { keyedPartition, StickyPartitioner } from "./partitioner.ts";
import { RetryPolicy } from "./retry.ts";
import {
  TransactionCoordinatorClient,
  type TransactionIdentity,
  type TransactionOffsets,
} from "./transactions.ts";
import { parsePartitionKey, partitionKey } from "./partition-key.ts";

export type { TransactionOffsets } from "./transactions.ts";

export type { RecordHeader } from "./batch-builder.ts";
export type { BatchStages } from "./accumulator.ts";
export type { CompressionName } from "./compression.ts";

/** What the caller hands to send(). Strings are encoded as UTF-8. */
export interface ProducerRecord {
  topic: string;
  value: Uint8Array | string | null;
  key?: Uint8Array | string | null;
  /** Pick the partition yourself; otherwise keyed → murmur2, keyless → sticky. */
  partition?: number;
  headers?: readonly RecordHeader[];
  /** CreateTime in ms since the epoch; default now. */
  timestamp?: number;
}

/** Where a record landed. `offset` is -1 with acks=0 (the broker does not answer). */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
}

/**
 * Picks a partition for a record without one: key bytes (null for keyless records) and the
 * topic's partition count in, partition out.
 */
export type Partitioner = (topic: string, key: Uint8Array | null, partitionCount: number) => number;

/** Produce requests in flight per broker connection unless `maxInFlightRequests` says otherwise. */
export const DEFAULT_MAX_IN_FLIGHT_REQUESTS = 5;

export interface ProducerOptions extends ClusterOptions {
  /** Replace the default (murmur2 for keys, sticky for keyless records). */
  partitioner?: Partitioner;
  /**
   * 0 = do not wait, 1 = the leader wrote it, "all" / -1 = every in-sync replica has it (the
   * default). 0 or 1 turn idempotence off unless `idempotent: true` asks for it (then refused).
   */
  acks?: 0 | 1 | -1 | "all";
  /**
   * De-duplicate retries and keep order with producer ids and sequence numbers (default true;
   * needs acks=all).
   */
  idempotent?: boolean;
  /** Wait up to this long for more records before sending a partial batch. */
  lingerMs?: number;
  /** Largest batch per partition (uncompressed bytes); a bigger single record gets its own batch. */
  batchBytes?: number;
  /** Upper bound on one Produce request (several partitions' batches). */
  maxRequestBytes?: number;
  /** Records buffered and in flight, in bytes; send() waits while the producer holds more. */
  bufferBytes?: number;
  compression?: CompressionName;
  retries?: number;
  retryBackoffMs?: number;
  maxRetryBackoffMs?: number;
  /** How long the broker may take to replicate for acks=all (Produce timeout_ms). */
  ackTimeoutMs?: number;
  /**
   * Make the producer transactional under this id (needs idempotence, the default): records go
   * only inside transactions. One id per producer instance that must fence its predecessor.
   */
  transactionalId?: string;
  /** transaction.timeout.ms: the coordinator aborts a transaction open longer (60000). */
  transactionTimeoutMs?: number;
  /**
   * Called once per acknowledged batch with the times it passed the producer's stages (for
   * benchmarks that attribute latency: bench/client-latency.ts). Costs five clock reads per
   * batch when set, nothing when not.
   */
  onBatchStages?: (batch: AcknowledgedBatch) => void;
}

/** One acknowledged batch as onBatchStages reports it. */
export interface AcknowledgedBatch {
  topic: string;
  partition: number;
  baseOffset: number;
  recordCount: number;
  /** Produce requests it took (more than one: retried after a retriable error). */
  attempts: number;
  stages: BatchStages;
}

/** What a transaction's work gets: send records and commit consumer offsets in the transaction. */
export interface Transaction {
  send(record: ProducerRecord): Promise<RecordMetadata>;
  /** Queue without waiting (see Producer.produce); the commit waits for every record. */
  produce(record: ProducerRecord): boolean;
  /** Commit a consumer group's offsets (the next offset to read) when the transaction commits. */
  sendOffsets(offsets: TransactionOffsets): Promise<void>;
}

/** The open transaction's bookkeeping. */
interface OpenTransaction {
  identity: TransactionIdentity;
  /** Partitions (partitionKey) the coordinator has added to the transaction. */
  added: Set<string>;
  /** Partitions waiting for the next AddPartitionsToTxn. */
  toAdd: Set<string>;
  adding: boolean;
  /** Did the coordinator hear of this transaction (a partition or a group's offsets added)? */
  touched: boolean;
  /** Set when the transaction can only be aborted (a partition could not be added). */
  error: Error | null;
}

/** flush() saw records that could not be delivered. */
export class ProduceError extends Error {
  override name = "ProduceError";
  readonly failedRecords: number;
  override readonly cause: Error | undefined;

  constructor(failedRecords: number, cause: Error | undefined) {
    super(`${failedRecords} record(s) were not acknowledged${cause ? `: ${cause.message}` : ""}`);
    this.failedRecords = failedRecords;
    this.cause = cause;
  }
}

const textEncoder = new TextEncoder();
/**
 * Idle batch buffers a producer keeps for reuse, at most (and at most a quarter of bufferBytes):
 * enough for a busy partition's batches in flight several times over.
 */
const MAX_IDLE_BATCH_BUFFER_BYTES = 16 * 1024 * 1024;

function toBytes(value: Uint8Array | string | null | undefined): Uint8Array | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? textEncoder.encode(value) : value;
}

/**
 * Sends records to Kafka topics with batching, retries and compression.
 *
 * @example
 * ```ts
 * await using producer = new Producer({ bootstrap: "127.0.0.1:9092", acks: "all", compression: "gzip" });
 * const { partition, offset } = await producer.send({ topic: "orders", key: "o-1", value: "{}" });
 * ```
 */
export class Producer {
  readonly cluster: Cluster;
  readonly acks: number;
  readonly maxRequestBytes: number;
  readonly bufferBytes: number;
  readonly ackTimeoutMs: number;
  readonly retry: RetryPolicy;
  /** Producer ids and sequence numbers, or null when not idempotent. */
  readonly #sequences: IdempotentSequences | null;
  /** InitProducerId in flight. */
  #fetchingId = false;
  #accumulator: RecordAccumulator;
  #sticky = new StickyPartitioner();
  #partitioner: Partitioner | undefined;
  #codec: number;
  #compress: ((records: Uint8Array) => Uint8Array) | undefined;
  /** Produce requests sent and not answered yet (a count: a Set of them churned, see ../linked-list.ts). */
  #inFlight = 0;
  #retrying = 0;
  #spaceWaiters: (() => void)[] = [];
  #flushWaiters: (() => void)[] = [];
  #closed = false;
  #acknowledged = 0;
  #failed = 0;
  #failedSinceFlush = 0;
  #lastError: Error | undefined;
  #draining = false;
  #clockMs = 0;
  #clockUses = 0;
  #clockFresh = false;
  /** Keep a lingering batch open while its partition cannot send (see #pump). */
  readonly #holdBack = (batch: ProducerBatch) => this.#sequences!.isBusy(batch);
  /** The transaction coordinator's client, or null when not transactional. */
  readonly #transactions: TransactionCoordinatorClient | null;
  #transaction: OpenTransaction | null = null;
  #beginning = false;
  readonly #onBatchStages: ((batch: AcknowledgedBatch) => void) | undefined;

  constructor(options: ProducerOptions) {
    // Five requests in flight per broker connection, as Java's max.in.flight.requests.per.connection:
    // the idempotent producer's window on one partition (five batches) and the plain one's alike,
    // so turning idempotence off changes the checks, not the pipelining. A deeper window is an option.
    this.cluster = new Cluster({ maxInFlightRequests: DEFAULT_MAX_IN_FLIGHT_REQUESTS, ...options });
    const acks = options.acks ?? -1;
    this.acks = acks === "all" ? -1 : acks;
    if (![0, 1, -1].includes(this.acks)) {
      throw new RangeError(`Invalid acks ${options.acks}: use 0, 1 or "all"`);
    }
    if (options.idempotent === true && this.acks !== -1) {
      throw new RangeError(
        `An idempotent producer needs acks "all", not ${options.acks}: pass idempotent: false`,
      );
    }
    // As Java's producer: idempotent unless turned off, or acks other than all were asked for.
    this.#sequences = options.idempotent ?? this.acks === -1 ? new IdempotentSequences() : null;
    this.maxRequestBytes = options.maxRequestBytes ?? 4 * 1024 * 1024;
    this.bufferBytes = options.bufferBytes ?? 64 * 1024 * 1024;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
    this.retry = new RetryPolicy({
      retries: options.retries ?? 5,
      initialBackoffMs: options.retryBackoffMs ?? 100,
      maxBackoffMs: options.maxRetryBackoffMs ?? 1_000,
    });
    if (options.transactionalId !== undefined) {
      if (this.#sequences === null) {
        throw new RangeError("A transactional producer is idempotent: drop idempotent: false and acks 0 / 1");
      }
      if (options.transactionalId === "") throw new RangeError("The transactional id must not be empty");
    }
    this.#transactions = options.transactionalId === undefined
      ? null
      : new TransactionCoordinatorClient(this.cluster, options.transactionalId, {
        transactionTimeoutMs: options.transactionTimeoutMs ?? 60_000,
        retry: this.retry,
      });
    this.#partitioner = options.partitioner;
    this.#onBatchStages = options.onBatchStages;
    this.#codec = compressionCodec(options.compression ?? "none");
    this.#compress = compressor(options.compression ?? "none");
    this.#accumulator = new RecordAccumulator({
      batchBytes: options.batchBytes ?? 512 * 1024,
      lingerMs: options.lingerMs ?? 5,
      onReady: () => this.#drain(false),
      onBatchClosed: (batch) => {
        const topic = this.cluster.topics.get(batch.topic);
        if (topic) this.#sticky.batchClosed(batch.topic, batch.partition, topic.partitions.length);
      },
      traceStages: options.onBatchStages !== undefined,
      pool: new BufferPool(Math.min(this.bufferBytes / 4, MAX_IDLE_BATCH_BUFFER_BYTES)),
    });
  }

  /** Records acknowledged so far (with acks=0: written to the socket). */
  get acknowledgedRecords(): number {
    return this.#acknowledged;
  }

  /** Records given up on so far. */
  get failedRecords(): number {
    return this.#failed;
  }

  /** Does this producer de-duplicate its retries (producer id and sequence numbers)? */
  get idempotent(): boolean {
    return this.#sequences !== null;
  }

  /** Is this producer transactional (a `transactionalId`)? */
  get transactional(): boolean {
    return this.#transactions !== null;
  }

  /** Is a transaction open? */
  get inTransaction(): boolean {
    return this.#transaction !== null;
  }

  /**
   * Run `work` in a transaction: committed when it resolves, aborted when it throws (the error
   * is rethrown). Returns what `work` returned.
   *
   * @example
   * ```ts
   * await producer.transaction(async (tx) => {
   *   tx.produce({ topic: "payments", key: order.customer, value: JSON.stringify(payment) });
   *   await tx.sendOffsets({ groupId: "payments", offsets: [{ topic: "orders", partition: 0, offset: next }] });
   * });
   * ```
   */
  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    await this.beginTransaction();
    const tx: Transaction = {
      send: (record) => this.send(record),
      produce: (record) => this.produce(record),
      sendOffsets: (offsets) => this.sendOffsets(offsets),
    };
    try {
      const result = await work(tx);
      await this.commit();
      return result;
    } catch (error) {
      if (this.#transaction !== null) {
        // The work's (or the commit's) error is what the caller must see; an abort that fails
        // too leaves the transaction to the coordinator's timeout, which aborts it.
        await this.abort().catch(() => {});
      }
      throw error;
    }
  }

  /**
   * Open a transaction. The first one (and the first after a failure) takes the transactional
   * id's producer id and a new epoch, which fences any older producer with the same id.
   */
  async beginTransaction(): Promise<void> {
    if (this.#transaction !== null || this.#beginning) throw new Error("A transaction is already open");
    this.#beginning = true;
    try {
      await this.initTransactions();
      const { producerId, producerEpoch } = this.#sequences!.identity!;
      this.#transaction = {
        identity: { producerId, producerEpoch },
        added: new Set(),
        toAdd: new Set(),
        adding: false,
        touched: false,
        error: null,
      };
    } finally {
      this.#beginning = false;
    }
  }

  /**
   * Take the transactional id's producer id and a new epoch now (beginTransaction does it when
   * needed). This fences an older producer with the same id and aborts the transaction it left
   * open, so call it at start-up: a successor then frees the partitions (and the group offsets)
   * its crashed predecessor held without waiting for the transaction timeout.
   */
  async initTransactions(): Promise<void> {
    const transactions = this.#transactionsOrThrow();
    const sequences = this.#sequences!;
    if (sequences.identity === null) sequences.setIdentity(await transactions.initProducerId());
  }

  /** Commit a consumer group's offsets as part of the open transaction. */
  async sendOffsets(offsets: TransactionOffsets): Promise<void> {
    const transactions = this.#transactionsOrThrow();
    const open = this.#openTransaction();
    open.touched = true;
    await transactions.sendOffsets(open.identity, offsets);
  }

  /**
   * Send what is buffered, then commit the open transaction. Throws (leaving the transaction
   * open, to be aborted) when a record could not be written.
   */
  async commit(): Promise<void> {
    const transactions = this.#transactionsOrThrow();
    const open = this.#openTransaction();
    await this.flush();
    if (open.error !== null) throw open.error;
    // Nothing was sent: the coordinator knows of no transaction to end (Java's producer skips it too).
    if (open.touched) await transactions.endTxn(open.identity, true);
    this.#transaction = null;
  }

  /** Abort the open transaction: read_committed consumers never see its records or offsets. */
  async abort(): Promise<void> {
    const transactions = this.#transactionsOrThrow();
    const open = this.#openTransaction();
    // Records that failed belong to the aborted transaction anyway: their errors change nothing.
    await this.flush().catch(() => {});
    try {
      if (open.touched) await transactions.endTxn(open.identity, false);
    } finally {
      this.#transaction = null;
    }
  }

  #transactionsOrThrow(): TransactionCoordinatorClient {
    if (this.#transactions === null) {
      throw new Error("This producer is not transactional: give it a transactionalId");
    }
    return this.#transactions;
  }

  /** A transactional producer sends only inside a transaction. */
  #requireTransaction(): void {
    if (this.#transactions !== null && this.#transaction === null) {
      throw new Error("No transaction is open: send inside transaction() or after beginTransaction()");
    }
  }

  #openTransaction(): OpenTransaction {
    if (this.#transaction === null) throw new Error("No transaction is open: call beginTransaction() first");
    return this.#transaction;
  }

  /** Bytes buffered or in flight. */
  get bufferedBytes(): number {
    return this.#accumulator.bufferedBytes;
  }

  /** Fetch metadata for topics before sending (send() does it on demand too). */
  async connect(topics: string[] = []): Promise<void> {
    if (topics.length > 0) await this.cluster.refreshMetadata(topics);
    else await this.cluster.anyConnection();
  }

  /** Send one record; resolves when it is acknowledged as `acks` asks. */
  async send(record: ProducerRecord): Promise<RecordMetadata> {
    this.#requireTransaction();
    if (this.#accumulator.bufferedBytes >= this.bufferBytes || this.#spaceWaiters.length > 0) {
      await this.waitForSpace();
    }
    if (!this.cluster.topics.has(record.topic)) await this.#loadTopic(record.topic);
    const timestamp = record.timestamp ?? Date.now();
    const offsetDelta = this.#append(record, timestamp);
    const batch = this.#accumulator.lastBatch!;
    await batch.result;
    return {
      topic: record.topic,
      partition: batch.partition,
      offset: batch.offsetOf(offsetDelta),
      timestamp,
    };
  }

  /**
   * Queue one record without waiting for it (the fast path). The topic's metadata must be
   * loaded (call connect([topic]) first). Returns false when the caller should
   * `await waitForSpace()` before producing more: the buffer is over `bufferBytes`, or full
   * batches are waiting to be sent (a tight loop must yield for them to reach the socket).
   * Failures are counted and reported by flush().
   */
  produce(record: ProducerRecord): boolean {
    this.#append(record, record.timestamp ?? this.#now());
    return this.#accumulator.bufferedBytes < this.bufferBytes && !this.#accumulator.hasReady;
  }

  /**
   * Send full batches, yield to the event loop so they are written, and wait while the
   * buffer is over `bufferBytes`.
   */
  async waitForSpace(): Promise<void> {
    this.#drain(false);
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    while (this.#accumulator.bufferedBytes >= this.bufferBytes) {
      this.#drain(true);
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
  }

  /**
   * Record timestamps: Date.now() costs about as much as encoding a small record, so a
   * tight loop reuses one reading for up to 256 records (well under a millisecond of work),
   * and never past the current turn of the event loop.
   */
  #now(): number {
    if (this.#clockUses++ % 256 === 0 || !this.#clockFresh) {
      this.#clockMs = Date.now();
      if (!this.#clockFresh) {
        this.#clockFresh = true;
        queueMicrotask(() => this.#clockFresh = false);
      }
    }
    return this.#clockMs;
  }

  /**
   * Send everything buffered now and wait until all of it is acknowledged or failed.
   * Throws ProduceError if records failed since the last flush.
   */
  async flush(): Promise<void> {
    this.#drain(true);
    while (
      this.#accumulator.hasPending || this.#inFlight > 0 || this.#retrying > 0 ||
      this.#sequences?.hasWaiting
    ) {
      await new Promise<void>((resolve) => this.#flushWaiters.push(resolve));
      this.#drain(true);
    }
    if (this.#failedSinceFlush > 0) {
      const error = new ProduceError(this.#failedSinceFlush, this.#lastError);
      this.#failedSinceFlush = 0;
      throw error;
    }
  }

  /** Flush, then close connections. Pending failures are thrown as ProduceError. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      // An open transaction is aborted rather than left holding its partitions' LSO until its
      // timeout; abort() flushes first.
      if (this.#transaction !== null) await this.abort();
      else await this.flush();
    } finally {
      this.#closed = true;
      this.#accumulator.stop();
      this.#transactions?.close();
      this.cluster.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close().catch(() => {}); // disposal must not throw; close() reported the failure
  }

  // --- internals ---------------------------------------------------------------------

  async #loadTopic(topic: string): Promise<void> {
    let attempt = 0;
    const startedAt = Date.now();
    while (true) {
      try {
        await this.cluster.refreshMetadata([topic]);
        this.cluster.topic(topic);
        return;
      } catch (error) {
        if (!this.retry.shouldRetry(error, attempt, startedAt)) throw error;
        await sleep(this.retry.backoffMs(++attempt));
      }
    }
  }

  /** Append a record; returns its offset delta in the accumulator's `lastBatch`. */
  #append(record: ProducerRecord, timestamp: number): number {
    if (this.#closed) throw new Error("Producer is closed");
    this.#requireTransaction();
    const key = toBytes(record.key);
    const value = toBytes(record.value);
    const partition = record.partition ?? this.#choosePartition(record.topic, key);
    return this.#accumulator.append(record.topic, partition, key, value, timestamp, record.headers);
  }

  #choosePartition(topic: string, key: Uint8Array | null): number {
    const count = this.cluster.topic(topic).partitions.length;
    if (count === 0) {
      throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `topic "${topic}" has no partitions`);
    }
    if (this.#partitioner) {
      const partition = this.#partitioner(topic, key, count);
      if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
        throw new RangeError(
          `Partitioner returned ${partition} for topic "${topic}" with ${count} partitions`,
        );
      }
      return partition;
    }
    return key === null ? this.#sticky.partition(topic, count) : keyedPartition(key, count);
  }

  #drain(all: boolean): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      if (this.#sequences !== null) this.#pump(all);
      else {
        const batches = this.#accumulator.drain(all);
        if (batches.length > 0) this.#sendBatches(batches);
      }
    } finally {
      this.#draining = false;
    }
  }

  /**
   * Idempotent: take the accumulator's ready batches, then send what the per-partition bounds
   * allow, stamping first sends with the producer id (fetched first when none is known). A
   * lingering batch of a partition that cannot send now stays open and keeps filling (as Kafka's
   * do while five batches are in flight): with at most five batches per partition in flight,
   * full batches are what keeps acks=all throughput up. Everything that lets a partition send
   * again calls this, which drains such a batch then.
   */
  #pump(all = false): void {
    const sequences = this.#sequences!;
    for (const batch of this.#accumulator.drain(all, this.#holdBack)) sequences.enqueue(batch);
    if (!sequences.hasWaiting) return;
    const open = this.#transaction;
    if (this.#transactions !== null) {
      // Transactional: the id comes from beginTransaction(); without it (a batch failed for good)
      // or with a partition that could not be added, the transaction can only abort.
      const error = open?.error ??
        (sequences.identity === null ? this.#lastError ?? new Error("The transaction failed") : null);
      if (error !== null) {
        for (const batch of sequences.drainUnsent()) this.#fail(batch, error);
      }
    } else if (sequences.identity === null) {
      this.#fetchProducerId();
      // Retries of batches stamped under an earlier id may still go; new ones wait for the id.
    }
    const transactional = open !== null;
    const sendable = sequences.takeSendable(
      (batch, stamp) => {
        batch.stamp = { ...stamp, transactional };
        batch.bytes = batch.builder.finish(this.#codec, this.#compress, batch.stamp);
      },
      open === null ? undefined : (batch) => {
        const key = partitionKey(batch.topic, batch.partition);
        if (open.added.has(key)) return true;
        open.toAdd.add(key);
        this.#addPartitions(open);
        return false;
      },
    );
    if (sendable.length > 0) this.#sendBatches(sendable);
  }

  /** AddPartitionsToTxn for the partitions waiting (one request at a time), then send their batches. */
  #addPartitions(open: OpenTransaction): void {
    if (open.adding || open.toAdd.size === 0) return;
    open.adding = true;
    open.touched = true;
    this.#retrying++; // flush() waits for it
    const keys = [...open.toAdd];
    open.toAdd.clear();
    const partitions = keys.map(parsePartitionKey);
    this.#transactions!.addPartitions(open.identity, partitions).then(
      () => {
        for (const key of keys) open.added.add(key);
      },
      (error) => {
        open.error = error as Error;
        this.#lastError = open.error;
      },
    ).finally(() => {
      open.adding = false;
      this.#retrying--;
      if (this.#transaction === open) this.#pump();
      this.#wakeFlushers();
    });
  }

  /** InitProducerId (once at a time), retried like any request; batches that cannot get one fail. */
  #fetchProducerId(): void {
    if (this.#fetchingId) return;
    this.#fetchingId = true;
    this.#retrying++; // flush() waits for it
    (async () => {
      let attempt = 0;
      const startedAt = Date.now();
      for (;;) {
        try {
          const connection = await this.cluster.anyConnection();
          const version = connection.versionFor(ApiKey.InitProducerId);
          const response = await connection.request(
            ApiKey.InitProducerId,
            version,
            (w) =>
              writeInitProducerIdRequest(w, version, { transactionalId: null, transactionTimeoutMs: -1 }),
            (r) => readInitProducerIdResponse(r, version),
          );
          if (response.errorCode !== ErrorCode.NONE) {
            throw new KafkaError(response.errorCode, "InitProducerId");
          }
          return response;
        } catch (error) {
          if (this.#closed || !this.retry.shouldRetry(error, attempt, startedAt)) throw error;
          await sleep(this.retry.backoffMs(++attempt));
        }
      }
    })().then(
      (response) => this.#sequences!.setIdentity(response),
      (error) => {
        for (const batch of this.#sequences!.drainUnsent()) this.#fail(batch, error as Error);
      },
    ).finally(() => {
      this.#fetchingId = false;
      this.#retrying--;
      this.#pump();
      this.#wakeFlushers();
    });
  }

  #sendBatches(batches: ProducerBatch[]): void {
    const byLeader = new Map<number, ProducerBatch[]>();
    for (const batch of batches) {
      if (!batch.bytes) batch.bytes = batch.builder.finish(this.#codec, this.#compress);
      let leader: number;
      try {
        leader = this.cluster.leaderFor(batch.topic, batch.partition);
      } catch (error) {
        batch.attempts++;
        this.#handleFailure(batch, error as Error);
        continue;
      }
      batch.lastLeader = leader;
      let group = byLeader.get(leader);
      if (!group) byLeader.set(leader, group = []);
      group.push(batch);
    }
    for (const [leader, group] of byLeader) {
      // A request carries at most one batch per partition (Kafka answers per partition); a
      // later batch of the same partition goes in the next request, which the broker handles after.
      let request: ProducerBatch[] = [];
      let partitions = new Set<string>();
      let requestBytes = 0;
      for (const batch of group) {
        const key = partitionKey(batch.topic, batch.partition);
        const full = request.length > 0 && requestBytes + batch.bytes!.length > this.maxRequestBytes;
        if (full || partitions.has(key)) {
          this.#track(this.#sendRequest(leader, request));
          request = [];
          partitions = new Set();
          requestBytes = 0;
        }
        request.push(batch);
        partitions.add(key);
        requestBytes += batch.bytes!.length;
      }
      if (request.length > 0) this.#track(this.#sendRequest(leader, request));
    }
  }

  #track(promise: Promise<void>): void {
    this.#inFlight++;
    promise.finally(() => {
      this.#inFlight--;
      this.#wakeFlushers();
    });
  }

  #wakeFlushers(): void {
    for (const waiter of this.#flushWaiters.splice(0)) waiter();
  }

  async #sendRequest(leader: number, batches: ProducerBatch[]): Promise<void> {
    const topics = new Map<string, { index: number; records: Uint8Array }[]>();
    for (const batch of batches) {
      batch.attempts++;
      if (batch.stages !== undefined) batch.stages.sentMs = performance.now();
      let partitions = topics.get(batch.topic);
      if (!partitions) topics.set(batch.topic, partitions = []);
      partitions.push({ index: batch.partition, records: batch.bytes! });
    }
    const topicData = [...topics].map(([name, partitionData]) => ({ name, partitionData }));
    try {
      const connection = await this.cluster.connectionTo(leader);
      const version = connection.versionFor(ApiKey.Produce);
      const request = { transactionalId: null, acks: this.acks, timeoutMs: this.ackTimeoutMs, topicData };
      const write = (w: Parameters<typeof writeProduceRequest>[0]) =>
        writeProduceRequest(w, version, request);
      if (this.acks === 0) {
        await connection.send(ApiKey.Produce, version, write);
        for (const batch of batches) this.#complete(batch, -1);
        return;
      }
      const response = await connection.request(
        ApiKey.Produce,
        version,
        write,
        (r) => readProduceResponse(r, version),
        connection.requestTimeoutMs + this.ackTimeoutMs,
        batches[0].stages === undefined ? undefined : () => {
          const writtenMs = performance.now();
          for (const batch of batches) batch.stages!.writtenMs = writtenMs;
        },
      );
      this.#handleResponse(batches, response);
    } catch (error) {
      for (const batch of batches) this.#handleFailure(batch, error as Error);
    }
  }

  #handleResponse(batches: ProducerBatch[], response: ProduceResponse): void {
    const results = new Map<string, { errorCode: number; baseOffset: number }>();
    for (const topic of response.responses) {
      for (const partition of topic.partitionResponses) {
        results.set(partitionKey(topic.name, partition.index), partition);
      }
    }
    for (const batch of batches) {
      const result = results.get(partitionKey(batch.topic, batch.partition));
      if (!result) {
        this.#handleFailure(
          batch,
          new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "partition missing from response"),
        );
      } else if (result.errorCode !== ErrorCode.NONE) {
        this.#handleFailure(batch, new KafkaError(result.errorCode, `${batch.topic}-${batch.partition}`));
      } else {
        this.#complete(batch, result.baseOffset);
      }
    }
    // Once per answer, not per batch: a pump drains the accumulator, which walks its open batches.
    if (this.#sequences !== null) this.#pump();
  }

  /** The caller pumps afterwards when idempotent (the batch's partition may send again). */
  #complete(batch: ProducerBatch, baseOffset: number): void {
    this.#acknowledged += batch.recordCount;
    if (batch.stages !== undefined) {
      batch.stages.answeredMs = performance.now();
      const { topic, partition, recordCount, attempts, stages } = batch;
      this.#onBatchStages!({ topic, partition, baseOffset, recordCount, attempts, stages });
    }
    batch.succeed(baseOffset);
    this.#release(batch);
    this.#sequences?.settled(batch);
    // Answered (or, with acks=0, written): no request reads the bytes any more, so the buffer can
    // carry another batch. Only here: a batch that failed may still sit in a timed-out request's
    // write (its connection is closing), so its buffer is left to the collector.
    batch.recycle();
  }

  #handleFailure(batch: ProducerBatch, error: Error): void {
    if (this.#mustSplit(batch, error)) return this.#split(batch);
    if (this.#sequences !== null) return this.#handleIdempotentFailure(this.#sequences, batch, error);
    if (!this.#closed && isRetriable(error) && batch.attempts <= this.retry.retries) {
      this.#retrying++;
      const attempt = batch.attempts;
      (async () => {
        await sleep(this.retry.backoffMs(attempt));
        // A failed refresh leaves the old leader; the retry finds out and comes back here. Not
        // asked of the leader that just failed us: one cut off from the controller still names itself.
        await this.cluster.refreshMetadata([batch.topic], batch.lastLeader).catch(() => {});
        this.#sendBatches([batch]);
      })().finally(() => {
        this.#retrying--;
        this.#wakeFlushers();
      });
      return;
    }
    this.#fail(batch, error);
  }

  /**
   * A retriable failure (or an out-of-order or unknown-producer answer caused by an earlier batch's failure) holds the
   * partition back and sends the batch again, unchanged, after the backoff. A batch that fails
   * for good leaves a gap in the sequence: later batches take a new producer id.
   */
  #handleIdempotentFailure(sequences: IdempotentSequences, batch: ProducerBatch, error: Error): void {
    const stamped = batch.baseSequence >= 0;
    // Out of order, or an unknown producer id (the partition has stored nothing of this id yet),
    // for a batch behind an unsettled one: that earlier batch's failure explains it.
    const causedByEarlier = error instanceof KafkaError &&
      (error.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER ||
        error.code === ErrorCode.UNKNOWN_PRODUCER_ID) &&
      stamped && !sequences.isEarliest(batch);
    // Not this batch's failure, so not one of its retries: the earlier batch's own retries are
    // bounded, and once it settles this one is the earliest and counts again. (Behind a batch
    // split several times, a later one is refused many times over.)
    if (causedByEarlier) batch.attempts--;
    if (!this.#closed && (isRetriable(error) || causedByEarlier) && batch.attempts <= this.retry.retries) {
      if (stamped) sequences.backOff(batch);
      this.#retrying++;
      const attempt = batch.attempts;
      (async () => {
        await sleep(this.retry.backoffMs(attempt));
        // A failed refresh leaves the old leader; the retry finds out and comes back here. Not
        // asked of the leader that just failed us: one cut off from the controller still names itself.
        await this.cluster.refreshMetadata([batch.topic], batch.lastLeader).catch(() => {});
        if (stamped) sequences.requeue(batch);
        else sequences.enqueue(batch);
        this.#pump();
      })().finally(() => {
        this.#retrying--;
        this.#wakeFlushers();
      });
      return;
    }
    if (stamped) sequences.failedForGood(batch);
    this.#fail(batch, error);
    this.#pump();
  }

  /** MESSAGE_TOO_LARGE for a batch of several records: the topic's max.message.bytes is lower. */
  #mustSplit(batch: ProducerBatch, error: Error): boolean {
    return !this.#closed && error instanceof KafkaError && error.code === ErrorCode.MESSAGE_TOO_LARGE &&
      batch.recordCount > 1;
  }

  /**
   * The broker refused the batch as over the topic's max.message.bytes (and stored none of it):
   * send its records again in batches of half its size, and build the topic's later batches no
   * larger (as Kafka's producer splits such a batch). A piece still too large is split again; a
   * single record too large fails. Idempotent: the pieces keep the batch's sequence numbers and
   * go before the partition's later batches (see IdempotentSequences.replace). The batch settles
   * when its pieces have, and its records' offsets are where the pieces landed.
   */
  #split(batch: ProducerBatch): void {
    const limitBytes = Math.ceil(batch.builder.sizeBytes / 2);
    const pieces = batch.split(limitBytes);
    this.#accumulator.lowerBatchBytes(batch.topic, limitBytes);
    this.#retrying++; // flush() waits for the pieces from now on
    Promise.allSettled(pieces.map((piece) => piece.result)).then((results) => {
      const failure = results.find((result) => result.status === "rejected");
      // The pieces counted their records as acknowledged or failed; the batch only settles.
      if (failure) batch.fail(failure.reason as Error);
      else batch.succeed(batch.offsetOf(0));
      this.#release(batch);
      this.#retrying--;
      this.#wakeFlushers();
    });
    const sequences = this.#sequences;
    if (sequences === null) return this.#sendBatches(pieces);
    const stamp = batch.stamp!;
    sequences.replace(batch, pieces, (piece, baseSequence) => {
      piece.stamp = { ...stamp, baseSequence };
      piece.bytes = piece.builder.finish(this.#codec, this.#compress, piece.stamp);
    });
    this.#pump();
  }

  #fail(batch: ProducerBatch, error: Error): void {
    this.#failed += batch.recordCount;
    this.#failedSinceFlush += batch.recordCount;
    this.#lastError = error;
    batch.fail(error);
    this.#release(batch);
  }

  #release(batch: ProducerBatch): void {
    this.#accumulator.release(batch);
    if (this.#accumulator.bufferedBytes < this.bufferBytes) {
      for (const waiter of this.#spaceWaiters.splice(0)) waiter();
    }
    this.#wakeFlushers();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
