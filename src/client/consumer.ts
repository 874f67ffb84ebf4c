/**
 * Consumer: reads assigned partitions. Start each at the earliest offset, the latest, an
 * exact offset or the first record at or after a timestamp (ListOffsets); then iterate
 * records with `for await`, or take them in arrays with `batches()` / `poll()` (faster).
 *
 * Fetching is pipelined: one Fetch per leader broker is always in flight while the
 * buffer of fetched-but-unread records is under `maxBufferedBytes`, so the network works
 * while the caller processes. Leader changes are followed through metadata refreshes;
 * OFFSET_OUT_OF_RANGE resets the position by `autoOffsetReset` ("none" raises it).
 *
 * Assignment is explicit (`assign`, `unassign`, `seek`), so a group membership layer can
 * drive it: it decides partitions and starting offsets and reads `position()` to commit.
 *
 * @example
 * ```ts
 * const consumer = new Consumer({ bootstrap: "127.0.0.1:9092" });
 * await consumer.assign([{ topic: "orders", partition: 0, from: "earliest" }]);
 * for await (const record of consumer) {
 *   console.log(record.offset, new TextDecoder().decode(record.value!));
 * }
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { readFetchResponse, writeFetchRequest } from "../kafka/apis/fetch.ts";
import type { FetchResponse } from "../kafka/apis/fetch.ts";
import { Cluster, type ClusterOptions } from "./cluster.ts";
import { isRetriable } from "./errors.ts";
import { type ConsumerRecord, decodeRecords, nextFetchOffset } from "./record-decoder.ts";
import { listOffsets, type OffsetSpec } from "./list-offsets.ts";
import { RetryPolicy } from "./retry.ts";
import { partitionKey } from "./partition-key.ts";
import { Waker } from "./waker.ts";

export type { ConsumerRecord, ConsumerRecordHeader } from "./record-decoder.ts";

/** Where to start reading a partition. */
export type StartPosition = "earliest" | "latest" | number | { timestamp: number };

export interface PartitionAssignment {
  topic: string;
  partition: number;
  /** Default: the consumer's `autoOffsetReset`. */
  from?: StartPosition;
}

export interface ConsumerOptions extends ClusterOptions {
  /** Where to go when the position is out of range, or no start was given. */
  autoOffsetReset?: "earliest" | "latest" | "none";
  /** How long the broker may hold a fetch waiting for `minBytes`. */
  maxWaitMs?: number;
  minBytes?: number;
  /** Upper bound on one Fetch response. */
  maxBytes?: number;
  /** Upper bound per partition in one Fetch response. */
  partitionMaxBytes?: number;
  /** Fetched bytes not yet handed to the caller; fetching pauses above it. */
  maxBufferedBytes?: number;
  /**
   * Records one poll() hands out at most, in whole batches (a batch larger than this comes whole):
   * the rest of a fetched response waits for the next poll, undecoded. Kept small, the records of a
   * poll die young, which keeps garbage collection cheap (Kafka's max.poll.records; default 500,
   * as Kafka's). At 10,000, a consumer reading 1.4 M records/s sometimes had its polls' records
   * promoted out of a young generation of 1-2 MB and settled into a full mark-compact every 140 ms
   * (about half of the runs; issue 14); at 500 it did not, and reading was no slower.
   */
  maxPollRecords?: number;
  /** Verify each batch's CRC-32C before decoding it (default on, like the Java client's check.crcs). */
  checkCrc?: boolean;
  /**
   * "read_uncommitted" (the default, as Java's) reads up to the high watermark, records of open
   * and aborted transactions included; "read_committed" reads up to the last stable offset and
   * drops the records of aborted transactions.
   */
  isolationLevel?: "read_uncommitted" | "read_committed";
  retryBackoffMs?: number;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to fetch; undefined until resolved from `reset`. */
  fetchOffset: number | undefined;
  /** Next offset to hand to the caller. */
  position: number | undefined;
  reset: StartPosition;
  highWatermark: number;
  logStartOffset: number;
  /** Do not fetch before this time (after an error). */
  backoffUntil: number;
  /** Bumped on seek/unassign so responses of older fetches are dropped. */
  generation: number;
  /** Paused partitions are not fetched; records already buffered are still returned. */
  paused: boolean;
}

/** One partition's fetched bytes, decoded when the caller polls (so the next fetch overlaps it). */
interface Chunk {
  state: PartitionState;
  generation: number;
  bytes: Uint8Array;
  fetchOffset: number;
  sizeBytes: number;
  /** read_committed: the aborted transactions the broker listed for these bytes. */
  abortedTransactions: readonly { producerId: bigint; firstOffset: number }[] | undefined;
}

/**
 * Reads assigned partitions from a start position, with pipelined fetches.
 *
 * @example
 * ```ts
 * await using consumer = new Consumer({ bootstrap: "127.0.0.1:9092" });
 * await consumer.assignTopic("orders", "earliest");
 * for await (const record of consumer) console.log(record.partition, record.offset);
 * ```
 */
export class Consumer {
  readonly cluster: Cluster;
  readonly autoOffsetReset: "earliest" | "latest" | "none";
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly partitionMaxBytes: number;
  readonly maxBufferedBytes: number;
  readonly maxPollRecords: number;
  readonly checkCrc: boolean;
  readonly isolationLevel: "read_uncommitted" | "read_committed";
  readonly retry: RetryPolicy;
  #partitions = new Map<string, PartitionState>();
  #chunks: Chunk[] = [];
  #bufferedBytes = 0;
  #fetching = new Set<number>();
  /** poll()'s wait for records; fetch answers wake it. */
  readonly #reader = new Waker();
  /** The fetch loop's wait between rounds; new work (an assignment, a consumed buffer) wakes it. */
  readonly #fetcher = new Waker();
  #error: Error | undefined;
  #closed = false;
  #loop: Promise<void> | undefined;
  #metadataStale = false;

  constructor(options: ConsumerOptions) {
    this.cluster = new Cluster(options);
    this.autoOffsetReset = options.autoOffsetReset ?? "latest";
    this.maxWaitMs = options.maxWaitMs ?? 500;
    this.minBytes = options.minBytes ?? 1;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.partitionMaxBytes = options.partitionMaxBytes ?? 8 * 1024 * 1024;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 128 * 1024 * 1024;
    this.maxPollRecords = options.maxPollRecords ?? 500;
    if (!(this.maxPollRecords >= 1)) {
      throw new RangeError(`Invalid maxPollRecords ${options.maxPollRecords}: use 1 or more`);
    }
    this.checkCrc = options.checkCrc ?? true;
    this.isolationLevel = options.isolationLevel ?? "read_uncommitted";
    if (this.isolationLevel !== "read_uncommitted" && this.isolationLevel !== "read_committed") {
      throw new RangeError(
        `Invalid isolationLevel "${options.isolationLevel}": use "read_uncommitted" or "read_committed"`,
      );
    }
    this.retry = new RetryPolicy({ initialBackoffMs: options.retryBackoffMs ?? 100 });
  }

  /**
   * Add partitions to read (metadata is loaded for their topics). A partition already
   * assigned is repositioned.
   */
  async assign(assignments: PartitionAssignment[]): Promise<void> {
    const topics = [...new Set(assignments.map((a) => a.topic))];
    await this.cluster.refreshMetadata(topics);
    for (const a of assignments) {
      const topic = this.cluster.topic(a.topic);
      if (!topic.partitions.some((p) => p.partition === a.partition)) {
        throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${a.topic}-${a.partition}`);
      }
    }
    for (const a of assignments) {
      const reset = a.from ?? (this.autoOffsetReset === "none" ? "latest" : this.autoOffsetReset);
      const key = partitionKey(a.topic, a.partition);
      const existing = this.#partitions.get(key);
      if (existing) this.#reposition(existing, reset);
      else {
        this.#partitions.set(key, {
          topic: a.topic,
          partition: a.partition,
          fetchOffset: typeof reset === "number" ? reset : undefined,
          position: typeof reset === "number" ? reset : undefined,
          reset,
          highWatermark: -1,
          logStartOffset: -1,
          backoffUntil: 0,
          generation: 0,
          paused: false,
        });
      }
    }
    this.#kick();
  }

  /** Assign every partition of a topic from the same start. */
  async assignTopic(topic: string, from?: StartPosition): Promise<void> {
    await this.cluster.refreshMetadata([topic]);
    const partitions = this.cluster.topic(topic).partitions.map((p) => ({
      topic,
      partition: p.partition,
      from,
    }));
    await this.assign(partitions);
  }

  /** Stop reading these partitions; buffered records of theirs are dropped. */
  unassign(partitions: { topic: string; partition: number }[]): void {
    for (const p of partitions) {
      const state = this.#partitions.get(partitionKey(p.topic, p.partition));
      if (!state) continue;
      state.generation++;
      this.#partitions.delete(partitionKey(p.topic, p.partition));
    }
    this.#dropStaleChunks();
  }

  /** Has close() been called? */
  get closed(): boolean {
    return this.#closed;
  }

  /** Partitions currently assigned. */
  assignment(): { topic: string; partition: number }[] {
    return [...this.#partitions.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /**
   * Stop fetching these partitions (e.g. while the caller catches up or a group rebalances);
   * their positions are kept and records already buffered are still returned.
   */
  pause(partitions: { topic: string; partition: number }[]): void {
    for (const p of partitions) {
      const state = this.#partitions.get(partitionKey(p.topic, p.partition));
      if (state) state.paused = true;
    }
  }

  /** Fetch paused partitions again from where they stopped. */
  resume(partitions: { topic: string; partition: number }[]): void {
    for (const p of partitions) {
      const state = this.#partitions.get(partitionKey(p.topic, p.partition));
      if (state) state.paused = false;
    }
    this.#kick();
  }

  /** Partitions currently paused. */
  paused(): { topic: string; partition: number }[] {
    return [...this.#partitions.values()].filter((s) => s.paused).map(({ topic, partition }) => ({
      topic,
      partition,
    }));
  }

  /** Move an assigned partition to a new start; buffered records of it are dropped. */
  seek(topic: string, partition: number, from: StartPosition): void {
    const state = this.#partitions.get(partitionKey(topic, partition));
    if (!state) throw new Error(`${topic}-${partition} is not assigned`);
    this.#reposition(state, from);
    this.#kick();
  }

  /** The offset of the next record the caller will get (undefined until resolved). */
  position(topic: string, partition: number): number | undefined {
    return this.#partitions.get(partitionKey(topic, partition))?.position;
  }

  /** The last high watermark the broker reported for a partition (-1 before any fetch). */
  highWatermark(topic: string, partition: number): number {
    return this.#partitions.get(partitionKey(topic, partition))?.highWatermark ?? -1;
  }

  /**
   * Records available now, waiting up to `timeoutMs` for the first ones. Returns an empty
   * array on timeout. Throws the error that stopped fetching (e.g. OFFSET_OUT_OF_RANGE with
   * autoOffsetReset "none").
   */
  async poll(timeoutMs = 1_000): Promise<ConsumerRecord[]> {
    this.#start();
    const deadline = Date.now() + timeoutMs;
    while (true) {
      if (this.#error) {
        const error = this.#error;
        this.#error = undefined;
        throw error;
      }
      const chunk = this.#chunks.shift();
      if (chunk) {
        if (chunk.generation !== chunk.state.generation) {
          this.#bufferedBytes -= chunk.sizeBytes;
          this.#kick();
          continue;
        }
        const { state } = chunk;
        let records: ConsumerRecord[];
        try {
          const decoded = decodeRecords(state.topic, state.partition, chunk.bytes, chunk.fetchOffset, {
            checkCrc: this.checkCrc,
            abortedTransactions: chunk.abortedTransactions,
            maxRecords: this.maxPollRecords,
          });
          records = decoded.records;
          if (decoded.bytesRead < chunk.bytes.length) {
            // The rest goes first at the next poll (the partition's order), still counted as buffered.
            this.#bufferedBytes -= decoded.bytesRead;
            chunk.bytes = chunk.bytes.subarray(decoded.bytesRead);
            chunk.sizeBytes -= decoded.bytesRead;
            chunk.fetchOffset = decoded.nextOffset;
            this.#chunks.unshift(chunk);
          } else this.#bufferedBytes -= chunk.sizeBytes;
          this.#kick();
        } catch (error) {
          this.#bufferedBytes -= chunk.sizeBytes;
          this.#kick();
          // Corrupt data: stop this partition and report it, keep the others going.
          state.generation++;
          state.backoffUntil = Infinity;
          this.#dropStaleChunks();
          throw error;
        }
        if (records.length === 0) continue;
        state.position = records[records.length - 1].offset + 1;
        return records;
      }
      const left = deadline - Date.now();
      if (this.#closed || left <= 0) return [];
      await this.#reader.wait(left);
    }
  }

  /** Arrays of records as they arrive, until close(). */
  async *batches(): AsyncGenerator<ConsumerRecord[]> {
    while (!this.#closed) {
      const records = await this.poll(this.maxWaitMs * 2);
      if (records.length > 0) yield records;
    }
  }

  /** Records one at a time, until close(). */
  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumerRecord> {
    for await (const records of this.batches()) yield* records;
  }

  /** Stop fetching and close connections; iteration ends. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader.close();
    this.#fetcher.close();
    this.cluster.close();
    await this.#loop?.catch(() => {}); // the loop's errors went to the iterator already
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // --- fetching ----------------------------------------------------------------------

  #reposition(state: PartitionState, from: StartPosition): void {
    state.generation++;
    state.reset = from;
    state.fetchOffset = typeof from === "number" ? from : undefined;
    state.position = state.fetchOffset;
    state.backoffUntil = 0;
    this.#dropStaleChunks();
  }

  #dropStaleChunks(): void {
    this.#chunks = this.#chunks.filter((chunk) => {
      const keep = chunk.generation === chunk.state.generation &&
        this.#partitions.has(partitionKey(chunk.state.topic, chunk.state.partition));
      if (!keep) this.#bufferedBytes -= chunk.sizeBytes;
      return keep;
    });
  }

  #start(): void {
    this.#loop ??= this.#fetchLoop();
  }

  #kick(): void {
    this.#fetcher.wake();
  }

  async #fetchLoop(): Promise<void> {
    while (!this.#closed) {
      let nextWakeMs = 1_000;
      try {
        if (this.#metadataStale) {
          this.#metadataStale = false;
          await this.cluster.refreshMetadata([
            ...new Set([...this.#partitions.values()].map((s) => s.topic)),
          ]);
        }
        await this.#resolveOffsets();
        nextWakeMs = this.#startFetches();
      } catch (error) {
        if (!isRetriable(error)) {
          this.#raise(error as Error);
        }
        this.#metadataStale = true;
        nextWakeMs = this.retry.initialBackoffMs;
      }
      if (this.#closed) break;
      await this.#fetcher.wait(nextWakeMs);
    }
  }

  #raise(error: Error): void {
    this.#error = error;
    this.#reader.wake();
  }

  /** Turn "earliest" / "latest" / timestamp starts into offsets with ListOffsets. */
  async #resolveOffsets(): Promise<void> {
    const unresolved = [...this.#partitions.values()].filter((s) => s.fetchOffset === undefined);
    if (unresolved.length === 0) return;
    const specs = unresolved.map((state) => ({
      topic: state.topic,
      partition: state.partition,
      spec: toOffsetSpec(state.reset),
      state,
      generation: state.generation,
    }));
    const results = await listOffsets(this.cluster, specs);
    for (let i = 0; i < specs.length; i++) {
      const { state, generation, spec } = specs[i];
      const result = results[i];
      if (state.generation !== generation) continue;
      if (result.error) {
        if (!isRetriable(result.error)) throw result.error;
        this.#metadataStale = true;
        continue;
      }
      let offset = result.offset;
      if (offset < 0 && typeof spec === "object") {
        // No record at or after the timestamp: start at the end.
        const [latest] = await listOffsets(this.cluster, [{
          topic: state.topic,
          partition: state.partition,
          spec: "latest",
        }]);
        if (latest.error) throw latest.error;
        offset = latest.offset;
      }
      state.fetchOffset = offset;
      state.position = offset;
    }
  }

  /** Start a fetch on every leader that has none in flight; returns ms until the next backoff ends. */
  #startFetches(): number {
    if (this.#bufferedBytes >= this.maxBufferedBytes) return 1_000;
    const now = Date.now();
    let nextWakeMs = 1_000;
    const byLeader = new Map<number, PartitionState[]>();
    for (const state of this.#partitions.values()) {
      if (state.fetchOffset === undefined || state.paused) continue;
      if (state.backoffUntil > now) {
        nextWakeMs = Math.min(nextWakeMs, state.backoffUntil - now);
        continue;
      }
      let leader: number;
      try {
        leader = this.cluster.leaderFor(state.topic, state.partition);
      } catch {
        // No leader known: refresh metadata and skip this partition this round.
        this.#metadataStale = true;
        state.backoffUntil = now + this.retry.initialBackoffMs;
        nextWakeMs = Math.min(nextWakeMs, this.retry.initialBackoffMs);
        continue;
      }
      if (this.#fetching.has(leader)) continue;
      let group = byLeader.get(leader);
      if (!group) byLeader.set(leader, group = []);
      group.push(state);
    }
    for (const [leader, states] of byLeader) {
      this.#fetching.add(leader);
      this.#fetchFrom(leader, states).finally(() => {
        this.#fetching.delete(leader);
        this.#kick();
      });
    }
    return nextWakeMs;
  }

  async #fetchFrom(leader: number, states: PartitionState[]): Promise<void> {
    const sent = states.map((state) => ({
      state,
      generation: state.generation,
      fetchOffset: state.fetchOffset!,
    }));
    let response: FetchResponse;
    try {
      const connection = await this.cluster.connectionTo(leader);
      const version = connection.versionFor(ApiKey.Fetch);
      const topics = new Map<string, typeof sent>();
      for (const item of sent) {
        let list = topics.get(item.state.topic);
        if (!list) topics.set(item.state.topic, list = []);
        list.push(item);
      }
      const request = {
        replicaId: -1,
        maxWaitMs: this.maxWaitMs,
        minBytes: this.minBytes,
        maxBytes: this.maxBytes,
        isolationLevel: this.isolationLevel === "read_committed" ? 1 : 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...topics].map(([topic, items]) => ({
          topic,
          partitions: items.map((item) => ({
            partition: item.state.partition,
            currentLeaderEpoch: this.#leaderEpoch(item.state),
            fetchOffset: item.fetchOffset,
            logStartOffset: -1,
            partitionMaxBytes: this.partitionMaxBytes,
          })),
        })),
        forgottenTopicsData: [],
        rackId: "",
      };
      response = await connection.request(
        ApiKey.Fetch,
        version,
        (w) => writeFetchRequest(w, version, request),
        (r) => readFetchResponse(r, version),
        connection.requestTimeoutMs + this.maxWaitMs,
      );
    } catch (error) {
      if (!isRetriable(error)) this.#raise(error as Error);
      this.#metadataStale = true;
      for (const { state } of sent) state.backoffUntil = Date.now() + this.retry.initialBackoffMs;
      return;
    }
    if (response.errorCode !== undefined && response.errorCode !== ErrorCode.NONE) {
      this.#raise(new KafkaError(response.errorCode, `fetch from broker ${leader}`));
      return;
    }
    const byKey = new Map(sent.map((item) => [partitionKey(item.state.topic, item.state.partition), item]));
    for (const topic of response.responses) {
      for (const partition of topic.partitions) {
        const item = byKey.get(partitionKey(topic.topic, partition.partitionIndex));
        if (!item || item.state.generation !== item.generation) continue;
        this.#handlePartition(item.state, item.fetchOffset, partition);
      }
    }
  }

  #leaderEpoch(state: PartitionState): number {
    const topic = this.cluster.topics.get(state.topic);
    return topic?.partitions[state.partition]?.leaderEpoch ?? -1;
  }

  #handlePartition(
    state: PartitionState,
    fetchOffset: number,
    partition: FetchResponse["responses"][number]["partitions"][number],
  ): void {
    const code = partition.errorCode;
    if (code === ErrorCode.OFFSET_OUT_OF_RANGE) {
      if (this.autoOffsetReset === "none") {
        this.#raise(new KafkaError(code, `${state.topic}-${state.partition} at offset ${fetchOffset}`));
        state.backoffUntil = Infinity;
        return;
      }
      this.#reposition(state, this.autoOffsetReset);
      return;
    }
    if (code !== ErrorCode.NONE) {
      const error = new KafkaError(code, `${state.topic}-${state.partition}`);
      if (!error.retriable) {
        this.#raise(error);
        state.backoffUntil = Infinity;
        return;
      }
      this.#metadataStale = true;
      state.backoffUntil = Date.now() + this.retry.initialBackoffMs;
      return;
    }
    state.highWatermark = partition.highWatermark;
    state.logStartOffset = partition.logStartOffset ?? state.logStartOffset;
    const bytes = partition.records;
    if (!bytes || bytes.length === 0) return;
    const nextOffset = nextFetchOffset(bytes, fetchOffset);
    if (nextOffset === fetchOffset) {
      if (bytes.length >= this.partitionMaxBytes) {
        this.#raise(
          new Error(
            `${state.topic}-${state.partition}: the batch at offset ${fetchOffset} is larger than partitionMaxBytes (${this.partitionMaxBytes})`,
          ),
        );
        state.backoffUntil = Infinity;
      }
      return;
    }
    state.fetchOffset = nextOffset;
    this.#chunks.push({
      state,
      generation: state.generation,
      bytes,
      fetchOffset,
      sizeBytes: bytes.length,
      abortedTransactions: this.isolationLevel === "read_committed"
        ? partition.abortedTransactions ?? undefined
        : undefined,
    });
    this.#bufferedBytes += bytes.length;
    this.#reader.wake();
  }
}

function toOffsetSpec(start: StartPosition): OffsetSpec {
  if (typeof start === "number") return start === -1 ? "latest" : "earliest";
  return start;
}
