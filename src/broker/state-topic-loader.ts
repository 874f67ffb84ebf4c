/**
 * Leadership of an internal state topic's partitions (`__consumer_offsets` for the group
 * coordinator, `__transaction_state` for the transaction coordinator), one shape for both: the
 * partition's log is the coordinator's state, so becoming its leader replays the log into the
 * coordinator and losing it unloads what the coordinator held.
 *
 * Becoming leader: `beginLoading` (the partition's keys answer "loading" meanwhile), then the
 * batches up to the log end are read a chunk per turn of the event loop, in the background
 * (leadership changes never wait for it), each turned into the coordinator's entries by
 * `collect`; `load` gets them unless leadership moved on meanwhile (a newer epoch, or another
 * broker). A failed read unloads the partition: its keys answer NOT_COORDINATOR and clients look
 * the coordinator up again. Losing leadership and shutdown unload.
 *
 * @example
 * ```ts
 * const loader = new StateTopicLoader(TRANSACTION_STATE_TOPIC, collectTxnRecords, {
 *   beginLoading: (index, epoch) => coordinator.beginLoading(index, epoch),
 *   load: (index, epoch, records) => coordinator.loadPartition(index, epoch, records),
 *   unload: (index) => coordinator.unloadPartition(index),
 * });
 * loader.leadershipChanged(partition, true); // from the service's PartitionObserver
 * ```
 */
import { type DecodedBatch, decodeRecordBatches } from "../kafka/record-batch.ts";
import type { Partition } from "./partition/partition.ts";
import { yieldToEventLoop } from "./event-loop.ts";
import { logLine } from "./log-lines.ts";

/** Bytes read per turn of the event loop while replaying. */
const LOAD_CHUNK_BYTES = 1024 * 1024;

/** What the loader drives: the coordinator whose state the topic holds. */
export interface StateTopicCoordinator<T> {
  beginLoading(index: number, epoch: number): void;
  /** Serve the partition's keys from its entries (oldest first); how many could not be decoded. */
  load(index: number, epoch: number, entries: T[]): { skipped: number };
  unload(index: number): void;
}

export class StateTopicLoader<T> {
  readonly topic: string;
  readonly #collect: (batch: DecodedBatch, into: T[]) => void;
  readonly #coordinator: StateTopicCoordinator<T>;
  /** Partitions this broker leads (loaded or loading), with the epoch it leads in. */
  readonly #led = new Map<number, number>();
  #closed = false;

  constructor(
    topic: string,
    collect: (batch: DecodedBatch, into: T[]) => void,
    coordinator: StateTopicCoordinator<T>,
  ) {
    this.topic = topic;
    this.#collect = collect;
    this.#coordinator = coordinator;
  }

  /** A PartitionObserver's leadership news; other topics are ignored. */
  leadershipChanged(partition: Partition, isLeader: boolean): void {
    if (partition.topic !== this.topic) return;
    if (isLeader) void this.#becameLeader(partition);
    else this.#becameFollower(partition.partition);
  }

  /** Stop: nothing more is loaded (the caller closes its coordinator). */
  close(): void {
    this.#closed = true;
    this.#led.clear();
  }

  async #becameLeader(partition: Partition): Promise<void> {
    if (this.#closed) return;
    const index = partition.partition;
    const epoch = partition.leaderEpoch;
    this.#led.set(index, epoch);
    this.#coordinator.beginLoading(index, epoch);
    try {
      const entries = await this.#readPartition(partition);
      // Leadership may have moved on while we read.
      if (this.#closed || this.#led.get(index) !== epoch) return;
      const loaded = this.#coordinator.load(index, epoch, entries);
      if (loaded.skipped > 0) {
        logLine(`${this.topic}-${index}: ${loaded.skipped} undecodable records skipped`);
      }
    } catch (error) {
      // The partition's keys answer NOT_COORDINATOR; clients look the coordinator up again.
      logLine(`${this.topic}-${index}: load failed: ${(error as Error).message}`);
      if (this.#led.get(index) === epoch) this.#becameFollower(index);
    }
  }

  #becameFollower(index: number): void {
    this.#led.delete(index);
    this.#coordinator.unload(index);
  }

  /** The partition's entries up to its log end, oldest first, a chunk per turn of the event loop. */
  async #readPartition(partition: Partition): Promise<T[]> {
    const entries: T[] = [];
    const endOffset = partition.logEndOffset;
    let offset = partition.logStartOffset;
    while (offset < endOffset) {
      if (offset > partition.logStartOffset) await yieldToEventLoop();
      if (this.#closed || !partition.isLeader) break;
      const bytes = partition.read(offset, LOAD_CHUNK_BYTES, endOffset);
      if (bytes.length === 0) break;
      const batches = decodeRecordBatches(bytes);
      if (batches.length === 0) break;
      for (const batch of batches) {
        this.#collect(batch, entries);
        offset = batch.baseOffset + batch.lastOffsetDelta + 1;
      }
    }
    return entries;
  }
}
