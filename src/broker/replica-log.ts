/**
 * What the broker needs from a partition's log on disk. The storage engine (src/storage
 * PartitionLog) provides it; InterimLog (./interim-log.ts) is a small stand-in used until then.
 *
 * Offsets are `number`: they stay below 2^53 (a partition would need 9 quadrillion records).
 */
export interface AppendResult {
  /** Offset assigned to the first record of the first batch. */
  baseOffset: number;
  /** Offset after the last appended record (the new log end offset). */
  nextOffset: number;
  /** The LogAppendTime stamped on the batches (message.timestamp.type=LogAppendTime), else -1. */
  logAppendTimeMs: number;
}

export interface ReplicaLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Offsets below it are committed: consumers read only those. */
  readonly highWatermark: number;
  /** Bytes in the log's segment files (DescribeLogDirs); absent for logs without files. */
  readonly sizeBytes?: number;
  /**
   * Append already validated batches (one buffer, consecutive batches), assigning offsets by
   * rewriting baseOffset and partitionLeaderEpoch in place. Resolves once written (and fsynced
   * under fsync=always).
   */
  appendAsLeader(batches: Uint8Array, leaderEpoch: number): Promise<AppendResult>;
  /**
   * Whole stored batches starting with the one holding fetchOffset, up to maxBytes but at least
   * one batch, and none extending at or past maxOffset (exclusive upper bound: HWM for
   * consumers, LEO for followers). Empty when nothing qualifies.
   */
  read(fetchOffset: number, maxBytes: number, maxOffset: number): Promise<Uint8Array>;
  /** First offset whose batch's max timestamp is >= timestampMs, or null if none. */
  offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestampMs: number } | null>;
  /** Single replica: make everything appended committed. With replication the ISR moves it. */
  setHighWatermark(offset: number): void;
  /** Periodic chores: segment roll, retention, time-based flush, checkpoints. */
  maintain(): Promise<void>;
  /** Flush, checkpoint and close with the clean-shutdown marker. */
  close(): Promise<void>;
}
