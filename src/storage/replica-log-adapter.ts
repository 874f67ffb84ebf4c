/**
 * PartitionLogReplica: PartitionLog behind the promise-returning shape the broker's ReplicaLog
 * interface (src/broker/replica-log.ts on branch `broker`) asks for, so the broker can swap its
 * InterimLog for real storage in its LogOpener. It adds exactly one behaviour: with
 * `fsync: "always"` an append resolves only after its fsync (group-committed with concurrent
 * appends). The types are restated here rather than imported so storage does not depend on the
 * broker; `log` exposes the full PartitionLog (truncation, epochs, retention) for replication.
 *
 * @example
 * ```ts
 * const open: LogOpener = (topic, partition) =>
 *   PartitionLogReplica.open(`${dataDir}/${partitionDirName(topic, partition)}`, { fsync: "always" });
 * ```
 */
import type { LogConfig } from "./log-config.ts";
import type { StorageLogger } from "./log-loader.ts";
import { PartitionLog, type TimestampLookup } from "./partition-log.ts";

export interface PartitionLogReplicaOptions {
  /** The broker's `--fsync`: "always" awaits an fsync before an append resolves. */
  fsync: "always" | "never";
  config?: Partial<LogConfig>;
  logger?: StorageLogger;
}

export class PartitionLogReplica {
  readonly log: PartitionLog;

  private constructor(log: PartitionLog) {
    this.log = log;
  }

  /** Open (or create and recover) the partition log in `dir`. */
  static open(dir: string, options: PartitionLogReplicaOptions): PartitionLogReplica {
    const config = {
      ...options.config,
      fsyncAlways: options.fsync === "always" || options.config?.fsyncAlways,
    };
    return new PartitionLogReplica(PartitionLog.open({ dir, config, logger: options.logger }));
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  get highWatermark(): number {
    return this.log.highWatermark;
  }

  /** Validates (CRC-32C, magic, lengths), assigns offsets in place, appends with one write. */
  async appendAsLeader(
    batches: Uint8Array,
    leaderEpoch: number,
  ): Promise<{ baseOffset: number; nextOffset: number }> {
    const info = this.log.appendAsLeader(batches, leaderEpoch);
    if (this.log.config.fsyncAlways) await this.log.flush();
    return { baseOffset: info.firstOffset, nextOffset: info.lastOffset + 1 };
  }

  /** Stored batches (see PartitionLog.read); empty also when fetchOffset is out of range. */
  read(fetchOffset: number, maxBytes: number, maxOffset: number): Promise<Uint8Array> {
    return Promise.resolve(this.log.read(fetchOffset, maxBytes, maxOffset).records);
  }

  offsetForTimestamp(timestampMs: number): Promise<TimestampLookup | null> {
    return Promise.resolve(this.log.offsetForTimestamp(timestampMs));
  }

  setHighWatermark(offset: number): void {
    this.log.setHighWatermark(offset);
  }

  /** Clean shutdown: fsync, checkpoint, clean-shutdown marker. */
  close(): Promise<void> {
    this.log.close();
    return Promise.resolve();
  }
}
