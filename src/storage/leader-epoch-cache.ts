/**
 * LeaderEpochCache (KIP-101): for each leader epoch of a partition, the first offset written in it.
 * A follower that starts following a new leader asks where its latest epoch ended
 * (OffsetsForLeaderEpoch) and truncates exactly there instead of to a possibly stale high
 * watermark. Entries are strictly increasing in epoch and non-decreasing in start offset;
 * persisted in `leader-epoch-checkpoint` (keys are epochs).
 *
 * When: truncations are written at once; a new epoch (assign) only marks the cache dirty, and
 * the log writes it (flushIfDirty) before its recovery point passes the new epoch's start and
 * on close — Kafka's choice since KAFKA-15046 — or sooner, off the event loop, from its periodic
 * chores (flushInBackground), so a broker's shutdown seldom finds an epoch left to write. A
 * crash before that write loses only an epoch
 * whose batches were not yet durable either: recovery walks the log from the recovery point and
 * re-assigns every newer epoch it finds in the batches. This keeps a become-leader (thousands of
 * them in one LeaderAndIsr) free of fsyncs.
 *
 * @example
 * ```ts
 * const cache = LeaderEpochCache.open(dir);
 * cache.assign(5, 100);
 * cache.endOffsetFor(4, logEndOffset); // { leaderEpoch: 4 or lower, endOffset: 100 }
 * ```
 */
import { lastingPath } from "./file-io.ts";
import {
  type CheckpointEntry,
  readCheckpoint,
  writeCheckpoint,
  writeCheckpointInBackground,
} from "./checkpoint-file.ts";

export const LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint";
/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/** OffsetsForLeaderEpoch answer: the largest epoch ≤ the requested one and where it ended. */
export interface EpochEndOffset {
  leaderEpoch: number;
  endOffset: number;
}

export class LeaderEpochCache {
  readonly #file: string | null;
  #entries: EpochEntry[];
  /** An assign not yet written to the file. */
  #dirty = false;
  /** Bumped by every assign: a background write of the entries before it leaves the cache dirty. */
  #assigns = 0;
  /** Bumped by every write started: a background write replaces the file only if it is the last. */
  #writes = 0;

  private constructor(file: string | null, entries: EpochEntry[]) {
    this.#file = file;
    this.#entries = entries;
  }

  /** An unpersisted cache (tests, or a log being rebuilt). */
  static inMemory(entries: EpochEntry[] = []): LeaderEpochCache {
    return new LeaderEpochCache(null, entries.map((entry) => ({ ...entry })));
  }

  /** An empty cache persisted in a directory just created (nothing there to read). */
  static empty(dir: string): LeaderEpochCache {
    return new LeaderEpochCache(lastingPath(dir, LEADER_EPOCH_CHECKPOINT), []);
  }

  /**
   * Load `<dir>/leader-epoch-checkpoint` (empty when missing). Throws StorageError when the file
   * is malformed or its entries are out of order; the log then rebuilds it from batch epochs.
   */
  static open(dir: string): LeaderEpochCache {
    const file = lastingPath(dir, LEADER_EPOCH_CHECKPOINT);
    const entries = (readCheckpoint(file) ?? []).map(([key, value]) => ({
      epoch: Number(key),
      startOffset: value,
    }));
    for (let i = 0; i < entries.length; i++) {
      const { epoch, startOffset } = entries[i];
      const previous = entries[i - 1];
      const ordered = previous === undefined ||
        (epoch > previous.epoch && startOffset >= previous.startOffset);
      if (!Number.isSafeInteger(epoch) || epoch < 0 || startOffset < 0 || !ordered) {
        throw new RangeError(
          `Leader epoch checkpoint ${file}: entry ${i} (${epoch} ${startOffset}) out of order`,
        );
      }
    }
    return new LeaderEpochCache(file, entries);
  }

  /** A copy of the entries, oldest first. */
  get entries(): EpochEntry[] {
    return this.#entries.map((entry) => ({ ...entry }));
  }

  /** The newest epoch, or UNDEFINED_EPOCH (-1) when empty. */
  get latestEpoch(): number {
    return this.#entries.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /** The start offset of `epoch`, or undefined when it is not in the cache. */
  startOffsetOf(epoch: number): number | undefined {
    return this.#entries.find((entry) => entry.epoch === epoch)?.startOffset;
  }

  /**
   * Record that `epoch` starts at `startOffset` (a leader's first append or become-leader, or a
   * follower appending a batch with a new partitionLeaderEpoch). Same epoch at the same or a
   * later offset is a no-op; otherwise entries that conflict (epoch ≥ this one or start ≥ this
   * start) are dropped first. Returns whether the cache changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(startOffset) || startOffset < 0) {
      throw new RangeError(`Invalid leader epoch entry: epoch ${epoch}, start offset ${startOffset}`);
    }
    const latest = this.#entries.at(-1);
    if (latest !== undefined && latest.epoch === epoch && startOffset >= latest.startOffset) return false;
    this.#entries = this.#entries.filter((entry) => entry.epoch < epoch && entry.startOffset < startOffset);
    this.#entries.push({ epoch, startOffset });
    // Written by flushIfDirty, before any of this epoch's batches count as durable.
    this.#dirty = this.#file !== null;
    this.#assigns++;
    return true;
  }

  /**
   * OffsetsForLeaderEpoch semantics: for the latest epoch, the log end offset; for an older
   * epoch, the start offset of the next higher epoch, paired with the largest epoch ≤ the
   * requested one (or the requested epoch itself when it is older than every entry). A requested
   * epoch above the latest, or -1, gives (-1, -1).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedAnswer = { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH || this.#entries.length === 0) return undefinedAnswer;
    if (requestedEpoch === this.latestEpoch) return { leaderEpoch: requestedEpoch, endOffset: logEndOffset };
    const higherIndex = this.#entries.findIndex((entry) => entry.epoch > requestedEpoch);
    if (higherIndex === -1) return undefinedAnswer;
    const higher = this.#entries[higherIndex];
    const floor = this.#entries[higherIndex - 1];
    return { leaderEpoch: floor?.epoch ?? requestedEpoch, endOffset: higher.startOffset };
  }

  /** The log was truncated to `endOffset`: drop epochs that start at or after it. */
  truncateFromEnd(endOffset: number): void {
    const kept = this.#entries.filter((entry) => entry.startOffset < endOffset);
    if (kept.length === this.#entries.length) return;
    this.#entries = kept;
    this.#persist();
  }

  /**
   * The log start moved to `startOffset` (retention, deleteRecords): drop epochs that ended
   * before it and move the start of the one that spans it up to it.
   */
  truncateFromStart(startOffset: number): void {
    let firstKept = 0;
    while (firstKept + 1 < this.#entries.length && this.#entries[firstKept + 1].startOffset <= startOffset) {
      firstKept++;
    }
    const first = this.#entries[firstKept];
    if (first === undefined || (firstKept === 0 && first.startOffset >= startOffset)) return;
    this.#entries = this.#entries.slice(firstKept);
    if (first.startOffset < startOffset) this.#entries[0] = { epoch: first.epoch, startOffset };
    this.#persist();
  }

  /** Forget everything (the log was emptied and restarted at a new offset). */
  clear(): void {
    if (this.#entries.length === 0) return;
    this.#entries = [];
    this.#persist();
  }

  /** Whether an assign is waiting to be written. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /**
   * Write the entries if an assign has not been written yet (the log calls this before a flush);
   * `sync` false leaves the fsyncs to a file-system sync. Returns whether it wrote (with `sync`,
   * the directory was fsynced too).
   */
  flushIfDirty(sync = true): boolean {
    if (!this.#dirty) return false;
    this.#persist(sync);
    return this.#file !== null;
  }

  /**
   * flushIfDirty with the file's creation and fsyncs off the event loop (checkpoint-file.ts); the
   * cache is clean afterwards unless it changed meanwhile. A synchronous write meanwhile (a
   * truncation, or flushIfDirty) is newer and wins. Null when there is nothing to write.
   */
  flushInBackground(): Promise<void> | null {
    if (!this.#dirty || this.#file === null) return null;
    const assigns = this.#assigns;
    const write = ++this.#writes;
    return writeCheckpointInBackground(this.#file, this.#checkpointEntries(), () => this.#writes === write)
      .then((written) => {
        if (written && this.#assigns === assigns) this.#dirty = false;
      });
  }

  #persist(sync = true): void {
    this.#dirty = false;
    this.#writes++; // newer than any background write in flight
    if (this.#file === null) return;
    writeCheckpoint(this.#file, this.#checkpointEntries(), sync);
  }

  #checkpointEntries(): CheckpointEntry[] {
    return this.#entries.map((entry) => [String(entry.epoch), entry.startOffset]);
  }
}
