/**
 * ReplicatedLog: the broker's StorageLog (the storage engine behind ReplicaLog, with topic
 * configs and periodic maintenance, which also checkpoints the high watermark) plus what
 * replication needs from a log — appending a leader's batches as they are, truncating to
 * where a leader epoch ended, answering OffsetForLeaderEpoch, recording the start of a new
 * epoch and checkpointing the high watermark a follower learned.
 *
 * @example
 * ```ts
 * const log = ReplicatedLog.open(dataDir, "orders", 0, "never", {});
 * log.assignEpochStartOffset(3); // became leader in epoch 3 at the current log end
 * ```
 */
import type { PartitionLog } from "../../storage/partition-log.ts";
import type { AppendResult, ReplicaLog } from "../replica-log.ts";
import { StorageLog } from "../storage-log.ts";

/** Where a leader epoch ended: (-1, -1) when the log does not know it. */
export interface EpochEnd {
  leaderEpoch: number;
  endOffset: number;
}

/** A ReplicaLog that can also follow a leader (what the replication manager needs). */
export interface ReplicationLog extends ReplicaLog {
  readonly latestEpoch: number;
  appendAsFollower(batches: Uint8Array): number;
  assignEpochStartOffset(epoch: number): void;
  endOffsetForEpoch(epoch: number): EpochEnd;
  truncateTo(offset: number): boolean;
  truncateFullyAndStartAt(offset: number): void;
}

/** The log as a ReplicationLog; throws for a log that cannot replicate (a test double). */
export function replicationLog(log: ReplicaLog): ReplicationLog {
  if (!("appendAsFollower" in log) || !("endOffsetForEpoch" in log)) {
    throw new Error("This partition log does not support replication");
  }
  return log as ReplicationLog;
}

export class ReplicatedLog implements ReplicationLog {
  readonly #replica: StorageLog;

  private constructor(replica: StorageLog) {
    this.#replica = replica;
  }

  /** Open (or create and recover) `<dataDir>/<topic>-<partition>`. */
  static open(
    dataDir: string,
    topic: string,
    partition: number,
    fsync: "always" | "never",
    topicConfigs: Record<string, string>,
  ): ReplicatedLog {
    return new ReplicatedLog(StorageLog.open(dataDir, topic, partition, fsync, topicConfigs));
  }

  get #log(): PartitionLog {
    return this.#replica.replica.log;
  }

  get logStartOffset(): number {
    return this.#log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.#log.logEndOffset;
  }

  get highWatermark(): number {
    return this.#log.highWatermark;
  }

  /** Bytes in the segment .log files. */
  get sizeBytes(): number {
    return this.#log.sizeBytes;
  }

  /** The newest leader epoch in the epoch cache, -1 when it is empty. */
  get latestEpoch(): number {
    return this.#log.latestEpoch;
  }

  appendAsLeader(batches: Uint8Array, leaderEpoch: number): Promise<AppendResult> {
    return this.#replica.appendAsLeader(batches, leaderEpoch);
  }

  /** Append a leader's batches unchanged (offsets and epochs kept); returns the new LEO. */
  appendAsFollower(batches: Uint8Array): number {
    this.#log.appendAsFollower(batches);
    return this.#log.logEndOffset;
  }

  read(fetchOffset: number, maxBytes: number, maxOffset: number): Promise<Uint8Array> {
    return this.#replica.read(fetchOffset, maxBytes, maxOffset);
  }

  offsetForTimestamp(timestampMs: number) {
    return this.#replica.offsetForTimestamp(timestampMs);
  }

  setHighWatermark(offset: number): void {
    this.#replica.setHighWatermark(offset);
  }

  /** Record that `epoch` starts at the current log end (becoming its leader). */
  assignEpochStartOffset(epoch: number): void {
    this.#log.assignEpochStartOffset(epoch, this.#log.logEndOffset);
  }

  /** Where `epoch` ended in this log (the OffsetForLeaderEpoch answer). */
  endOffsetForEpoch(epoch: number): EpochEnd {
    return this.#log.endOffsetForEpoch(epoch);
  }

  /** Remove everything at and after `offset`; true when something was removed. */
  truncateTo(offset: number): boolean {
    return this.#log.truncateTo(offset);
  }

  /** Empty the log and restart it at `offset` (a follower below the leader's log start). */
  truncateFullyAndStartAt(offset: number): void {
    this.#log.truncateFullyAndStartAt(offset);
  }

  /** Write the high-watermark checkpoint now. */
  checkpoint(): void {
    this.#log.checkpoint();
  }

  /** Periodic chores: roll, retention, flush, checkpoints (including the learned HWM). */
  maintain(): Promise<void> {
    return this.#replica.maintain();
  }

  close(): Promise<void> {
    return this.#replica.close();
  }
}
