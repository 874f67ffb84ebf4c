/**
 * Storage: the on-disk partition log. The broker uses PartitionLog (one per hosted replica) and
 * the helpers here; everything else in src/storage is internal.
 *
 * @example
 * ```ts
 * import { PartitionLog, partitionDirName } from "./src/storage/mod.ts";
 * const log = PartitionLog.open({ dir: `${dataDir}/${partitionDirName("orders", 0)}` });
 * ```
 */
export {
  type LogAppendInfo,
  type LogReadResult,
  PartitionLog,
  type PartitionLogOptions,
  type TimestampLookup,
} from "./partition-log.ts";
export {
  type CleanupPolicy,
  DEFAULT_LOG_CONFIG,
  deletesByRetention,
  isCompacted,
  type LogConfig,
  logConfigFromTopicConfigs,
  parseCleanupPolicy,
  resolveLogConfig,
  UNLIMITED,
} from "./log-config.ts";
export {
  type EpochEndOffset,
  type EpochEntry,
  LeaderEpochCache,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
} from "./leader-epoch-cache.ts";
export { StorageError } from "./storage-error.ts";
export type { CleanerStats } from "./log-cleaner.ts";
export type { StorageLogger } from "./log-loader.ts";
export { parsePartitionDirName, partitionDirName } from "./segment-names.ts";
