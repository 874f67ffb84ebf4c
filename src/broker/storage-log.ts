/**
 * The broker's partition logs on the storage engine (src/storage): PartitionLogReplica behind
 * ReplicaLog, plus the periodic chores (segment roll, retention, flush.ms, checkpoints), with
 * the topic's configs (retention.ms, segment.bytes, max.message.bytes, ...) applied.
 */
import { logConfigFromTopicConfigs } from "../storage/log-config.ts";
import { PartitionLogReplica } from "../storage/replica-log-adapter.ts";
import { partitionDirName } from "../storage/segment-names.ts";
import type { AppendResult, ReplicaLog } from "./replica-log.ts";

export class StorageLog implements ReplicaLog {
  readonly replica: PartitionLogReplica;

  private constructor(replica: PartitionLogReplica) {
    this.replica = replica;
  }

  /** Open (recovering) `<dataDir>/<topic>-<partition>`. Bad topic configs fall back to defaults. */
  static open(
    dataDir: string,
    topic: string,
    partition: number,
    fsync: "always" | "never",
    topicConfigs: Record<string, string>,
  ): StorageLog {
    let config = {};
    try {
      config = logConfigFromTopicConfigs(topicConfigs);
    } catch (error) {
      console.error(`topic ${topic}: ignoring configs: ${(error as Error).message}`);
    }
    const dir = `${dataDir}/${partitionDirName(topic, partition)}`;
    return new StorageLog(PartitionLogReplica.open(dir, { fsync, config }));
  }

  /** The partition directory name under the data dir. */
  static dirName(topic: string, partition: number): string {
    return partitionDirName(topic, partition);
  }

  get logStartOffset(): number {
    return this.replica.logStartOffset;
  }

  get logEndOffset(): number {
    return this.replica.logEndOffset;
  }

  get highWatermark(): number {
    return this.replica.highWatermark;
  }

  get sizeBytes(): number {
    return this.replica.log.sizeBytes;
  }

  async appendAsLeader(batches: Uint8Array, leaderEpoch: number): Promise<AppendResult> {
    const info = this.replica.log.appendAsLeader(batches, leaderEpoch);
    // fsync=always: acknowledge only once on disk (concurrent appends share one fsync).
    if (this.replica.log.config.fsyncAlways) await this.replica.log.flush();
    return {
      baseOffset: info.firstOffset,
      nextOffset: info.lastOffset + 1,
      logAppendTimeMs: info.logAppendTimeMs,
    };
  }

  read(fetchOffset: number, maxBytes: number, maxOffset: number): Promise<Uint8Array> {
    return this.replica.read(fetchOffset, maxBytes, maxOffset);
  }

  offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestampMs: number } | null> {
    return this.replica.offsetForTimestamp(timestampMs);
  }

  setHighWatermark(offset: number): void {
    this.replica.setHighWatermark(offset);
  }

  maintain(): Promise<void> {
    return this.replica.log.maintain();
  }

  close(): Promise<void> {
    return this.replica.close();
  }
}
