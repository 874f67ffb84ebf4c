/**
 * PartitionLog: the on-disk log of one partition replica, `<data-dir>/<topic>-<partition>/`.
 * It stores RecordBatch v2 bytes exactly as produced (offsets and leader epoch written in place,
 * records never decoded), serves them back unchanged, and keeps the offsets replication needs:
 * log start offset, log end offset (LEO), high watermark (HWM), recovery point, and the
 * leader-epoch cache (KIP-101).
 *
 * All methods are synchronous except flush() (fsync runs off the event loop, concurrent callers
 * share one fsync) and maintain(). Offsets are JS numbers: exact up to 2^53, which at a million
 * records a second lasts 285 years.
 *
 * A new log costs nothing on disk until its first write (issue 16: creating thousands of
 * partitions was mostly mkdir and file creation): opening a missing directory gives an empty log
 * whose directory and first segment file are made by the first change (append, roll, truncation
 * to a new start). A log that never held a record leaves nothing behind, not even at close, and
 * reopens as the same empty log; what it knew of leader epochs (only where empty epochs began)
 * is assigned again by the next leader. A created directory's entry in the data directory is
 * fsynced, with the segment's entry in it, before the recovery point first passes an append.
 *
 * A broker closes all its logs with closeAll (one sync, one clean-shutdown state file for the data
 * directory); close() is the single log's way (its own checkpoint and clean-shutdown marker).
 *
 * @example
 * ```ts
 * const log = PartitionLog.open({ dir: "/data/orders-0" });
 * const info = log.appendAsLeader(batchBytes, leaderEpoch);   // info.firstOffset … info.lastOffset
 * if (log.config.fsyncAlways) await log.flush();              // before acknowledging
 * log.setHighWatermark(log.logEndOffset);                     // single replica: committed at once
 * const { records } = log.read(fetchOffset, 1 << 20, log.highWatermark);
 * await log.maintain();                                       // every few seconds: roll, retention, flush.ms
 * log.close();
 * ```
 */
import * as path from "node:path";
import {
  Attributes,
  BatchOffset,
  batchSizeAt,
  CompressionCodec,
  compressionOf,
  CRC_START,
  decodeRecordBatch,
  LOG_OVERHEAD_BYTES,
  RecordBatchError,
  setBaseOffset,
  setPartitionLeaderEpoch,
  validateBatch,
} from "../kafka/record-batch.ts";
import { ErrorCode } from "../kafka/errors.ts";
import { crc32c } from "../wire/crc32c.ts";
import { WireError } from "../wire/wire-error.ts";
import { retireDirectory } from "./background-removal.ts";
import { type CheckpointEntry, writeCheckpoint, writeCheckpointInBackground } from "./checkpoint-file.ts";
import { fsyncDirectory, isIoError, lastingPath, replaceFileAtomically } from "./file-io.ts";
import { type CleanLogState, writeCleanShutdownState } from "./clean-shutdown-state.ts";
import { fileSystemSync } from "./file-system-sync.ts";
import type { EpochEndOffset, EpochEntry, LeaderEpochCache } from "./leader-epoch-cache.ts";
import { deletesByRetention, isCompacted, type LogConfig, resolveLogConfig } from "./log-config.ts";
import { type CleanableLog, type CleanerStats, LogCleaner, type TransactionView } from "./log-cleaner.ts";
import {
  CLEAN_SHUTDOWN_MARKER,
  type ClosedCleanly,
  createDirectory,
  loadLog,
  OFFSETS_CHECKPOINT,
  type StorageLogger,
} from "./log-loader.ts";
import { LogSegment, MAX_RELATIVE_OFFSET, type ReadAllocator, type SegmentScan } from "./log-segment.ts";
import {
  batchTooLarge,
  corruptBatch,
  offsetOutOfRange,
  StorageError,
  storageFailure,
  unknownServerError,
  unsupportedFormat,
} from "./storage-error.ts";

export interface PartitionLogOptions {
  /** The partition directory; a missing one is a new log, created at its first write. */
  dir: string;
  /** Overrides of the defaults (Kafka's); see LogConfig. */
  config?: Partial<LogConfig>;
  /** Where lines about recovery cuts and deleted segments go; default: stderr. */
  logger?: StorageLogger;
  /** Clock, for tests of time-based roll and retention; default Date.now. */
  nowMs?: () => number;
  /**
   * Called once when the log goes offline: a read or write of its files failed (a full disk, an
   * I/O error). Every later call throws KAFKA_STORAGE_ERROR; only reopening (a broker restart)
   * brings the log back, after recovery has checked its tail.
   */
  onOffline?: (reason: string) => void;
  /**
   * Track the segments trusted at open (a clean shutdown skips the CRC walk) for verifySome to
   * check; until then `verified` is false. Default false: everything counts as verified.
   */
  verifyTrusted?: boolean;
  /**
   * What the data directory's clean-shutdown state says of this log (clean-shutdown-state.ts,
   * written by closeAll): the log opens as cleanly closed with these offsets, unless its files
   * disagree (then it recovers its tail as after a crash; `restoredFromShutdownState` says which).
   */
  closedCleanly?: ClosedCleanly;
}

/** Where the start-up verification found a bad batch. */
export interface LogDamage {
  /** The log would end here without the damaged batch and everything after it. */
  offset: number;
  /** The segment and the file position of the bad batch. */
  segmentBaseOffset: number;
  position: number;
  reason: string;
}

/** What an append did. */
export interface LogAppendInfo {
  /** Offset of the first record appended. */
  firstOffset: number;
  /** Offset of the last record appended (LEO - 1 afterwards). */
  lastOffset: number;
  /** Largest batch maxTimestamp appended (-1 when none set). */
  maxTimestampMs: number;
  /** The LogAppendTime stamped on the batches, or -1 with CreateTime. */
  logAppendTimeMs: number;
  batchCount: number;
  /** Sum of the batches' recordsCount fields. */
  recordCount: number;
  sizeBytes: number;
  logStartOffset: number;
}

/** What a read found. */
/** How a producer's batches may be appended. */
export interface LeaderAppendOptions {
  /** False for Produce requests before v7, whose clients cannot read zstd (default true). */
  zstdAllowed?: boolean;
}

export interface LogReadResult {
  /** Whole stored batches, unchanged; empty when nothing is readable below maxOffset. */
  records: Uint8Array;
  /** fetchOffset was below the log start offset or above the log end offset. */
  outOfRange: boolean;
  /** Base offset of the first batch returned (may be below fetchOffset), or -1. */
  firstBatchOffset: number;
  highWatermark: number;
  logStartOffset: number;
  logEndOffset: number;
}

/** A ListOffsets-by-timestamp answer. */
export interface TimestampLookup {
  /** Offset of the first record with timestamp ≥ the target (at least the log start). */
  offset: number;
  /** That record's timestamp. */
  timestampMs: number;
}

const DEFAULT_LOGGER: StorageLogger = (line) => console.error(line);

/** The verification accepts batches up to a segment's size, and never less than this. */
const MIN_VERIFY_BATCH_BYTES = 16 * 1024 * 1024;

/**
 * Cleanings maintain() may run at once in this process (Kafka's log.cleaner.threads, default 1):
 * each holds an offset map of up to cleanerMaxMapEntries keys, so this bounds their memory.
 */
const MAX_BACKGROUND_CLEANINGS = 1;
let backgroundCleanings = 0;

/** The time retention.ms counts from for a segment: its newest record's, or its creation. */
function retentionTimestampMs(segment: LogSegment): number {
  return segment.maxTimestampMs >= 0 ? segment.maxTimestampMs : segment.createdAtMs;
}

/**
 * What maintain() left: the earliest time a chore may come due, and the state that holds for.
 * Any difference (an append, a roll, a truncation, a high watermark or log start move, a config
 * update, a flush or checkpoint state change, a new epoch) makes the next maintain() look again.
 */
interface QuietLog {
  untilMs: number;
  active: LogSegment;
  oldest: LogSegment;
  segments: number;
  logEndOffset: number;
  highWatermark: number;
  logStartOffset: number;
  config: LogConfig;
  firstUnflushedMs: number;
  checkpointDirty: boolean;
  epochsDirty: boolean;
}

export class PartitionLog {
  readonly dir: string;
  /**
   * This open found no directory: the log is new and holds nothing (no snapshots, checkpoints or
   * segments), so whoever opens a new partition can skip looking for any (issue 16: thousands
   * arrive in one LeaderAndIsr).
   */
  readonly created: boolean;
  /** Opened as the data directory's clean-shutdown state described it (options.closedCleanly). */
  readonly restoredFromShutdownState: boolean;
  #config: LogConfig;
  readonly #logger: StorageLogger;
  readonly #now: () => number;
  #segments: LogSegment[];
  readonly #epochCache: LeaderEpochCache;
  #logStartOffset: number;
  #logEndOffset: number;
  #highWatermark: number;
  #recoveryPoint: number;
  #unflushedRecords = 0;
  /** When the oldest unflushed append happened, or -1 when everything is flushed. */
  #firstUnflushedMs = -1;
  #flushing: Promise<void> | null = null;
  /** The directory has entries (a new first segment) not yet fsynced. */
  #directoryDirty = false;
  /**
   * The directory and the first segment's file exist. False for a new log until its first change
   * (#materialize): until then it is empty and nothing of it is on disk.
   */
  #onDisk = true;
  /** The directory was created by this process and its entry in the parent is not fsynced yet. */
  #parentDirty = false;
  /**
   * The clean-shutdown marker was removed at open without an fsync: the directory is fsynced
   * before the log's first change (#beforeChange), so a crash after a change can never find the
   * marker and trust a torn tail. An idle log never pays that fsync.
   */
  #markerRemovalPending = false;
  /** Bumped by truncation so an fsync in flight does not move the recovery point past it. */
  #generation = 0;
  #lastCheckpointMs = 0;
  #checkpointDirty = false;
  /** Bumped by every offsets checkpoint write: a background one replaces the file only if it is the last. */
  #checkpointWrites = 0;
  /** maintain()'s offsets checkpoint in flight (its fsyncs off the event loop), or null. */
  #checkpointWriting: Promise<void> | null = null;
  /** maintain()'s write of a new leader epoch in flight (off the event loop too), or null. */
  #epochsWriting: Promise<void> | null = null;
  #closed = false;
  readonly #cleaner: LogCleaner;
  /** The cleaning pass in flight (started by maintain() or compact()), or null. */
  #cleaning: Promise<CleanerStats | null> | null = null;
  /** Until when maintain() has nothing to do, while the log stays as it was then (QuietLog). */
  #quiet: QuietLog | null = null;
  /** Set when cleaning failed (an undecodable batch): the log is not cleaned again until reopened. */
  #uncleanable = false;
  /** Why the log went offline (an I/O error), or null while it serves. */
  #offline: string | null = null;
  readonly #onOffline: (reason: string) => void;
  /** Segments trusted at open whose CRCs are still to check, oldest first, each up to `until` bytes. */
  #unverified: { segment: LogSegment; until: number }[];
  /** Where the check of the first of #unverified stands. */
  #scan: SegmentScan | null = null;
  /** The bad batch the check found (it stops there), until truncateAtDamage. */
  #damage: LogDamage | null = null;

  private constructor(options: PartitionLogOptions) {
    this.dir = lastingPath(options.dir);
    this.#config = resolveLogConfig(options.config);
    this.#logger = options.logger ?? DEFAULT_LOGGER;
    this.#now = options.nowMs ?? Date.now;
    this.#onOffline = options.onOffline ?? (() => {});
    const loaded = loadLog(this.dir, this.#config, this.#logger, this.#now(), options.closedCleanly);
    this.created = loaded.fresh;
    this.restoredFromShutdownState = loaded.restoredFromShutdownState;
    this.#markerRemovalPending = loaded.markerRemovalPending;
    this.#segments = loaded.segments;
    this.#unverified = options.verifyTrusted
      ? loaded.trusted.filter((segment) => !segment.isEmpty).map((segment) => ({
        segment,
        until: segment.sizeBytes,
      }))
      : [];
    this.#epochCache = loaded.epochCache;
    if (loaded.fresh) {
      // Nothing on disk until the first change: a planned segment stands for the empty log.
      this.#onDisk = false;
      this.#segments.push(LogSegment.planned(this.dir, 0, this.#config.indexIntervalBytes, this.#now()));
    } else if (this.#segments.length === 0) {
      this.#segments.push(
        LogSegment.create(
          this.dir,
          loaded.offsets.logStartOffset,
          this.#config.indexIntervalBytes,
          this.#now(),
        ),
      );
      // An empty segment lost in a crash is simply created again; the directory is fsynced
      // before a flush makes anything in it count as durable (#syncPendingMetadata). Opening
      // thousands of new partitions thus costs no fsync each (Kafka defers it the same way).
      this.#directoryDirty = true;
    }
    this.#logEndOffset = this.#active.nextOffset;
    this.#logStartOffset = clamp(
      loaded.offsets.logStartOffset,
      this.#segments[0].baseOffset,
      this.#logEndOffset,
    );
    this.#highWatermark = clamp(loaded.offsets.highWatermark, this.#logStartOffset, this.#logEndOffset);
    this.#recoveryPoint = Math.min(loaded.offsets.recoveryPoint, this.#logEndOffset);
    if (loaded.recovered) this.#syncAllSync();
    this.#recoveryPoint = this.#logEndOffset;
    this.#epochCache.truncateFromEnd(this.#logEndOffset);
    this.#epochCache.truncateFromStart(this.#logStartOffset);
    // A checkpoint costs two fsyncs; after a clean shutdown it already says all this.
    const saved = loaded.offsets;
    if (loaded.restoredFromShutdownState) {
      // The offsets came from the directory's shutdown state; the log's own file is older, a safe
      // lower bound after a crash. Rewritten in the background, a checkpoint interval from now, so
      // a restart with 10,000 logs does not write 10,000 files before it serves.
      this.#checkpointDirty = true;
      this.#lastCheckpointMs = this.#now();
    } else if (
      saved.logStartOffset !== this.#logStartOffset || saved.recoveryPoint !== this.#recoveryPoint ||
      saved.highWatermark !== this.#highWatermark
    ) {
      this.#writeOffsetsCheckpoint();
    }
    this.#cleaner = new LogCleaner(this.#cleanableView(), loaded.fresh);
    // A crash may have cut unflushed data the cleaner's checkpoint had already passed.
    this.#cleaner.truncated(this.#logEndOffset);
  }

  /** The cleaner's window on this log's private state. */
  /**
   * What the cleaner sees of this log: an object whose only own field is the log, its getters on
   * one prototype shared by every log (a literal with getters made eight closures per log, ~0.5 KB
   * each log, 5 MB at 10,000 replicas).
   */
  #cleanableView(): CleanableLog {
    return Object.create(PartitionLog.#cleanableProto, { log: { value: this } });
  }

  static readonly #cleanableProto: CleanableLog & { log?: PartitionLog } = {
    get dir() {
      return this.log!.dir;
    },
    get logger() {
      return this.log!.#logger;
    },
    get config() {
      return this.log!.#config;
    },
    get segments() {
      return this.log!.#segments;
    },
    get logStartOffset() {
      return this.log!.#logStartOffset;
    },
    get highWatermark() {
      return this.log!.#highWatermark;
    },
    get transactions() {
      return this.log!.transactions;
    },
    get generation() {
      return this.log!.#generation;
    },
    get closed() {
      return this.log!.#closed;
    },
    replaceSegments(group, replacement) {
      const log = this.log!;
      const start = log.#segments.indexOf(group[0]);
      if (start < 0 || group.some((segment, i) => log.#segments[start + i] !== segment)) {
        throw new Error(`${log.dir}: cleaned segments are no longer in the log`);
      }
      log.#segments.splice(start, group.length, replacement);
    },
  };

  /**
   * Open the log in `options.dir` (creating it when missing). After an unclean shutdown this
   * walks and validates everything past the recovery point and cuts a torn or corrupt tail.
   */
  static open(options: PartitionLogOptions): PartitionLog {
    return new PartitionLog(options);
  }

  /**
   * Whether the log has its files: false for a new log until its first write, which until then
   * is empty at offset 0 with nothing to roll, retain, flush, clean or checkpoint.
   */
  get written(): boolean {
    return this.#onDisk;
  }

  get config(): Readonly<LogConfig> {
    return this.#config;
  }

  /** Change knobs (a topic config update); applies to the next append, roll and maintain(). */
  updateConfig(overrides: Partial<LogConfig>): void {
    this.#config = resolveLogConfig({ ...this.#config, ...overrides });
  }

  /** The first offset a consumer can read. */
  get logStartOffset(): number {
    return this.#logStartOffset;
  }

  /** The offset the next record will get (LEO). */
  get logEndOffset(): number {
    return this.#logEndOffset;
  }

  /** Offsets below it are committed; consumers read only below it. */
  get highWatermark(): number {
    return this.#highWatermark;
  }

  /** Everything below it has been fsynced (recovery after a crash starts here). */
  get recoveryPoint(): number {
    return this.#recoveryPoint;
  }

  /** Total bytes of all segments. */
  get sizeBytes(): number {
    let total = 0;
    for (const segment of this.#segments) total += segment.sizeBytes;
    return total;
  }

  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): number[] {
    return this.#segments.map((segment) => segment.baseOffset);
  }

  /**
   * What the cleaner must know of the transactions in this log (open ones bound what it cleans,
   * aborted ones it drops); set by the Partition that owns the producer state.
   */
  transactions: TransactionView | null = null;

  /** Base offset of the active (newest) segment: it changes when the log rolls. */
  get activeSegmentBaseOffset(): number {
    return this.#active.baseOffset;
  }

  /** The newest leader epoch in the epoch cache, or -1. */
  get latestEpoch(): number {
    return this.#epochCache.latestEpoch;
  }

  /** The leader-epoch cache entries (epoch → start offset), oldest first. */
  get epochEntries(): EpochEntry[] {
    return this.#epochCache.entries;
  }

  get #active(): LogSegment {
    return this.#segments[this.#segments.length - 1];
  }

  /**
   * Set the high watermark (leader: smallest LEO of the ISR; follower: min(leader's HWM, own
   * LEO)); clamped to [logStartOffset, logEndOffset]. Checkpointed by maintain() and close().
   * Returns the value kept.
   */
  setHighWatermark(offset: number): number {
    const value = clamp(offset, this.#logStartOffset, this.#logEndOffset);
    if (value !== this.#highWatermark) {
      this.#highWatermark = value;
      this.#checkpointDirty = true;
    }
    return value;
  }

  /**
   * Append the batches of one produce request (bytes of one or more whole RecordBatch v2) as the
   * leader in `leaderEpoch`: check magic, length and CRC-32C of each without decoding records,
   * write baseOffset and partitionLeaderEpoch in place (the caller's bytes change), then append
   * them with one write. Throws StorageError (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, or
   * FENCED_LEADER_EPOCH for an epoch older than the log's latest) and appends nothing when any
   * batch is bad.
   */
  appendAsLeader(bytes: Uint8Array, leaderEpoch: number, options: LeaderAppendOptions = {}): LogAppendInfo {
    this.#checkOpen();
    if (!Number.isInteger(leaderEpoch) || leaderEpoch < 0 || leaderEpoch > 0x7fff_ffff) {
      throw new RangeError(`Invalid leader epoch: ${leaderEpoch}`);
    }
    if (leaderEpoch < this.#epochCache.latestEpoch) {
      throw new StorageError(
        ErrorCode.FENCED_LEADER_EPOCH,
        `Leader epoch ${leaderEpoch} is older than the log's latest epoch ${this.#epochCache.latestEpoch}`,
      );
    }
    const info = this.#validate(bytes, this.#config.maxBatchBytes, options.zstdAllowed ?? true);
    const logAppendTimeMs = this.#config.logAppendTime ? this.#now() : -1;
    let nextOffset = this.#logEndOffset;
    for (let position = 0; position < bytes.length;) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + position, LOG_OVERHEAD_BYTES + 49);
      const sizeBytes = LOG_OVERHEAD_BYTES + view.getInt32(BatchOffset.batchLength);
      setBaseOffset(bytes, position, nextOffset);
      setPartitionLeaderEpoch(bytes, position, leaderEpoch);
      if (logAppendTimeMs >= 0) stampLogAppendTime(bytes, position, sizeBytes, logAppendTimeMs);
      nextOffset += view.getInt32(BatchOffset.lastOffsetDelta) + 1;
      position += sizeBytes;
    }
    info.firstOffset = this.#logEndOffset;
    info.lastOffset = nextOffset - 1;
    if (logAppendTimeMs >= 0) info.maxTimestampMs = logAppendTimeMs;
    info.logAppendTimeMs = logAppendTimeMs;
    this.#io(() => {
      this.#epochCache.assign(leaderEpoch, info.firstOffset);
      this.#appendValidated(bytes, info);
    });
    return info;
  }

  /**
   * Append batches fetched from the leader as they are (offsets and epochs kept). Their offsets
   * must continue the log (first base offset ≥ LEO, increasing); each new partitionLeaderEpoch
   * goes into the epoch cache. Throws StorageError when a batch is bad or out of order.
   */
  appendAsFollower(bytes: Uint8Array): LogAppendInfo {
    this.#checkOpen();
    // A leader may have accepted batches under a larger max.message.bytes; a segment bounds them.
    const info = this.#validate(bytes, this.#config.segmentBytes, null);
    return this.#io(() => this.#appendFollowerBatches(bytes, info));
  }

  #appendFollowerBatches(bytes: Uint8Array, info: LogAppendInfo): LogAppendInfo {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let expected = this.#logEndOffset;
    for (let position = 0; position < bytes.length;) {
      const baseOffset = readInt64(view, position + BatchOffset.baseOffset);
      const epoch = view.getInt32(position + BatchOffset.partitionLeaderEpoch);
      if (baseOffset < expected) {
        throw unknownServerError(
          `Follower append at offset ${baseOffset} does not continue the log at ${expected}`,
        );
      }
      if (position === 0) info.firstOffset = baseOffset;
      if (epoch > this.#epochCache.latestEpoch) this.#epochCache.assign(epoch, baseOffset);
      expected = baseOffset + view.getInt32(position + BatchOffset.lastOffsetDelta) + 1;
      position += LOG_OVERHEAD_BYTES + view.getInt32(position + BatchOffset.batchLength);
    }
    info.lastOffset = expected - 1;
    this.#appendValidated(bytes, info);
    return info;
  }

  /**
   * Check every batch in bytes (the only validation a produced batch gets: magic, lengths, CRC,
   * size; from a producer also record counts, keys on compacted topics and the codec its request
   * version may use); collect counts; throw StorageError for the first bad one.
   * `producerZstdAllowed` is null for a leader's batches (a follower append), else whether zstd
   * is allowed.
   */
  #validate(bytes: Uint8Array, maxBatchBytes: number, producerZstdAllowed: boolean | null): LogAppendInfo {
    const fromProducer = producerZstdAllowed !== null;
    const info: LogAppendInfo = {
      firstOffset: -1,
      lastOffset: -1,
      maxTimestampMs: -1,
      logAppendTimeMs: -1,
      batchCount: 0,
      recordCount: 0,
      sizeBytes: bytes.length,
      logStartOffset: this.#logStartOffset,
    };
    if (bytes.length === 0) throw corruptBatch("No record batch to append");
    let position = 0;
    while (position < bytes.length) {
      let header;
      try {
        header = validateBatch(bytes, position, { maxBatchBytes });
      } catch (error) {
        if (!(error instanceof RecordBatchError)) throw error;
        if (error.kind === "too-large") throw batchTooLarge(error.message);
        if (error.kind === "unsupported") throw unsupportedFormat(error.message);
        throw corruptBatch(error.message);
      }
      if (fromProducer && (header.recordsCount === 0 || header.lastOffsetDelta !== header.recordsCount - 1)) {
        throw corruptBatch(
          `Record batch at ${position}: ${header.recordsCount} records but lastOffsetDelta ${header.lastOffsetDelta}`,
        );
      }
      if (producerZstdAllowed === false && compressionOf(header.attributes) === CompressionCodec.zstd) {
        throw new StorageError(
          ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
          "zstd needs Produce v7 or later (KIP-110): older clients could not read it back",
        );
      }
      if (fromProducer && isCompacted(this.#config)) requireKeys(bytes, position, maxBatchBytes);
      info.batchCount++;
      info.recordCount += header.recordsCount;
      if (header.maxTimestamp > info.maxTimestampMs) info.maxTimestampMs = header.maxTimestamp;
      position += LOG_OVERHEAD_BYTES + header.batchLength;
    }
    return info;
  }

  /**
   * Before anything changes the log's files: a new log's directory and first segment file are
   * created, and the marker's removal becomes durable first.
   */
  #beforeChange(): void {
    this.#materialize();
    if (!this.#markerRemovalPending) return;
    fsyncDirectory(this.dir);
    this.#markerRemovalPending = false;
    this.#directoryDirty = false;
  }

  /**
   * Create a new log's directory and first segment file (its first change). Neither is fsynced
   * here: an empty directory or segment lost in a crash is the same empty log, and both entries
   * are synced before a flush lets the recovery point pass what is written in them.
   */
  #materialize(): void {
    if (this.#onDisk) return;
    const created = createDirectory(this.dir);
    this.#active.createFile(created);
    this.#onDisk = true;
    this.#directoryDirty = true;
    this.#parentDirty = created;
  }

  /** Roll when needed, write, advance the LEO, apply the flush policy. */
  #appendValidated(bytes: Uint8Array, info: LogAppendInfo): void {
    this.#beforeChange();
    if (info.lastOffset - info.firstOffset > MAX_RELATIVE_OFFSET) {
      throw corruptBatch(
        `Append spans ${info.lastOffset - info.firstOffset + 1} offsets, too many for one segment`,
      );
    }
    this.#maybeRoll(bytes.length, info);
    this.#active.append(bytes, 0, bytes.length);
    this.#logEndOffset = info.lastOffset + 1;
    this.#unflushedRecords += info.recordCount;
    if (this.#firstUnflushedMs < 0) this.#firstUnflushedMs = this.#now();
    if (this.#unflushedRecords >= this.#config.flushMessages) this.#flushInBackground();
  }

  #maybeRoll(sizeBytes: number, info: LogAppendInfo): void {
    const { firstOffset, lastOffset } = info;
    const active = this.#active;
    if (active.isEmpty) {
      // An empty active segment must start at the first offset it will hold (a follower's gap).
      if (active.baseOffset !== firstOffset) this.roll(firstOffset);
      return;
    }
    const full = active.sizeBytes + sizeBytes > this.#config.segmentBytes;
    const offsetsOverflow = lastOffset - active.baseOffset > MAX_RELATIVE_OFFSET;
    const old = active.timeWaitedForRollMs(this.#now(), info.maxTimestampMs) >= this.#config.segmentMs;
    if (full || offsetsOverflow || old) this.roll(firstOffset);
  }

  /**
   * Start a new active segment at `baseOffset` (default: the LEO). The old segment's indexes are
   * written out; its data is fsynced by the flush policy like any other. An empty active segment
   * is replaced rather than kept. The new segment's directory entry is synced by the next flush,
   * before the recovery point can pass into it (#syncPendingMetadata), not here: a roll comes
   * with the appends (every segment.bytes, by default 128 MiB: at 1.6 M records/s about every
   * 0.8 s), and its directory fsync, a disk cache flush, held the event loop 1 ms and at times
   * 68 ms (perf sched, issue 14). What a crash can lose by it is a segment no flush has covered,
   * which the flush policy already allows to be lost; Kafka defers the same fsync to its flush.
   */
  roll(baseOffset = this.#logEndOffset): void {
    this.#checkOpen();
    if (baseOffset < this.#logEndOffset) {
      throw new RangeError(`Cannot roll at ${baseOffset} below LEO ${this.#logEndOffset}`);
    }
    this.#io(() => this.#roll(baseOffset));
  }

  #roll(baseOffset: number): void {
    this.#beforeChange();
    const active = this.#active;
    if (active.isEmpty && active.baseOffset === baseOffset) return;
    if (active.isEmpty) {
      this.#segments.pop();
      active.delete();
    } else {
      active.persistIndexes();
    }
    this.#segments.push(
      LogSegment.create(this.dir, baseOffset, this.#config.indexIntervalBytes, this.#now()),
    );
    this.#directoryDirty = true;
  }

  /**
   * Read whole stored batches from the one holding `fetchOffset` (the first batch may start
   * before it), up to `maxBytes` but at least one whole batch, and only batches that end below
   * `maxOffset` (the HWM for consumers, the LEO for followers). Reads within one segment.
   * `outOfRange` is set when fetchOffset is below the log start or above the LEO.
   */
  read(
    fetchOffset: number,
    maxBytes: number,
    maxOffset: number = this.#logEndOffset,
    allocate?: ReadAllocator,
  ): LogReadResult {
    this.#checkOpen();
    return this.#io(() => this.#read(fetchOffset, maxBytes, maxOffset, allocate));
  }

  #read(fetchOffset: number, maxBytes: number, maxOffset: number, allocate?: ReadAllocator): LogReadResult {
    const result: LogReadResult = {
      records: EMPTY,
      outOfRange: false,
      firstBatchOffset: -1,
      highWatermark: this.#highWatermark,
      logStartOffset: this.#logStartOffset,
      logEndOffset: this.#logEndOffset,
    };
    if (fetchOffset < this.#logStartOffset || fetchOffset > this.#logEndOffset) {
      result.outOfRange = true;
      return result;
    }
    const limit = Math.min(maxOffset, this.#logEndOffset);
    let index = this.#segmentIndexFor(fetchOffset);
    let batch = null;
    for (; index < this.#segments.length && batch === null; index++) {
      batch = this.#segments[index].translate(fetchOffset);
    }
    if (batch === null || batch.lastOffset >= limit) return result;
    const segment = this.#segments[index - 1];
    const end = limit < segment.nextOffset ? segment.translate(limit, batch.position) : null;
    const endPosition = end?.position ?? segment.sizeBytes;
    const wanted = Math.min(
      endPosition - batch.position,
      Math.max(0, Math.min(maxBytes, this.#config.maxReadBytes)),
    );
    const bytes = segment.read(batch.position, Math.max(wanted, batch.sizeBytes), allocate);
    result.records = bytes.subarray(0, wholeBatchesLength(bytes));
    result.firstBatchOffset = result.records.length > 0 ? batch.baseOffset : -1;
    return result;
  }

  /** Index of the last segment whose base offset ≤ offset (0 when offset is below all). */
  #segmentIndexFor(offset: number): number {
    let low = 0;
    let high = this.#segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.#segments[middle].baseOffset <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /**
   * ListOffsets by timestamp: the first record (at or after the log start) whose timestamp ≥
   * `timestampMs` and its timestamp, or null when every record is older. The batch is found by
   * the time index and headers; only that one batch is decoded (decompressed if need be) to find
   * the record, falling back to the batch's base offset if it cannot be decoded. (-1 latest and
   * -2 earliest are the caller's: highWatermark or logEndOffset, and logStartOffset.)
   */
  offsetForTimestamp(timestampMs: number): TimestampLookup | null {
    this.#checkOpen();
    for (const segment of this.#segments) {
      if (segment.maxTimestampMs < timestampMs) continue;
      const batch = segment.findByTimestamp(timestampMs, this.#logStartOffset);
      if (batch === null) continue;
      const fallback = {
        offset: Math.max(batch.baseOffset, this.#logStartOffset),
        timestampMs: batch.maxTimestampMs,
      };
      try {
        const decoded = decodeRecordBatch(segment.read(batch.position, batch.sizeBytes), 0, {
          maxBatchBytes: batch.sizeBytes,
        });
        const record = decoded.records.find((r) =>
          r.timestamp >= timestampMs && r.offset >= this.#logStartOffset
        );
        return record === undefined ? fallback : { offset: record.offset, timestampMs: record.timestamp };
      } catch (error) {
        if (error instanceof WireError) return fallback;
        throw error;
      }
    }
    return null;
  }

  /** The earliest readable offset (ListOffsets -2). */
  earliestOffset(): number {
    return this.#logStartOffset;
  }

  /** The latest offset for a reader: the HWM, or the LEO for a replica (ListOffsets -1). */
  latestOffset(isolation: "highWatermark" | "logEnd" = "highWatermark"): number {
    return isolation === "logEnd" ? this.#logEndOffset : this.#highWatermark;
  }

  /** Record that `epoch` starts at `startOffset` (on becoming leader: the current LEO). */
  assignEpochStartOffset(epoch: number, startOffset: number = this.#logEndOffset): void {
    this.#epochCache.assign(epoch, startOffset);
  }

  /** OffsetsForLeaderEpoch: where `epoch` ended in this log, paired with the epoch answered for. */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.#epochCache.endOffsetFor(epoch, this.#logEndOffset);
  }

  /**
   * Remove every batch at or after the one holding `offset` (a follower truncating to where its
   * leader's epoch ended). Below the log start it empties the log and restarts at `offset`.
   * Returns whether anything was removed.
   */
  truncateTo(offset: number): boolean {
    this.#checkOpen();
    return this.#io(() => this.#truncateTo(offset));
  }

  #truncateTo(offset: number): boolean {
    if (offset >= this.#logEndOffset) return false;
    this.#beforeChange();
    if (offset < this.#logStartOffset) {
      this.truncateFullyAndStartAt(offset);
      return true;
    }
    while (this.#segments.length > 1 && this.#active.baseOffset >= offset) {
      const removed = this.#segments.pop()!;
      this.#logger(`${this.dir}: truncation to ${offset} deleted segment ${removed.baseOffset}`);
      removed.delete();
    }
    this.#active.truncateTo(offset);
    this.#afterTruncation(this.#active.nextOffset);
    this.#cleaner.truncated(this.#logEndOffset);
    return true;
  }

  /** Delete everything and restart the log empty at `offset` (a follower far behind its leader). */
  truncateFullyAndStartAt(offset: number): void {
    this.#checkOpen();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`Invalid offset: ${offset}`);
    this.#io(() => this.#truncateFullyAndStartAt(offset));
  }

  #truncateFullyAndStartAt(offset: number): void {
    this.#beforeChange();
    for (const segment of this.#segments) segment.delete();
    this.#segments = [LogSegment.create(this.dir, offset, this.#config.indexIntervalBytes, this.#now())];
    fsyncDirectory(this.dir);
    this.#epochCache.clear();
    this.#logStartOffset = offset;
    this.#afterTruncation(offset);
    this.#cleaner.truncated(offset);
    this.#highWatermark = offset;
    this.#writeOffsetsCheckpoint();
  }

  #afterTruncation(logEndOffset: number): void {
    this.#generation++;
    this.#logEndOffset = logEndOffset;
    this.#highWatermark = Math.min(this.#highWatermark, logEndOffset);
    this.#recoveryPoint = Math.min(this.#recoveryPoint, logEndOffset);
    this.#epochCache.truncateFromEnd(logEndOffset);
    this.#writeOffsetsCheckpoint();
  }

  /**
   * DeleteRecords: move the log start offset up to `offset` (at most the HWM) and delete the
   * segments wholly below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: number): number {
    this.#checkOpen();
    return this.#io(() => this.#deleteRecordsBefore(offset));
  }

  #deleteRecordsBefore(offset: number): number {
    if (offset > this.#highWatermark) {
      throw offsetOutOfRange(
        `Cannot delete records before ${offset}: above the high watermark ${this.#highWatermark}`,
      );
    }
    if (offset > this.#logStartOffset) {
      this.#logStartOffset = offset;
      while (this.#segments.length > 1 && this.#segments[1].baseOffset <= offset) {
        this.#deleteOldestSegment("deleteRecords");
      }
      this.#epochCache.truncateFromStart(offset);
      this.#writeOffsetsCheckpoint();
    }
    return this.#logStartOffset;
  }

  /**
   * Retention: delete the oldest whole segments whose newest timestamp is older than retention.ms
   * or while the log is over retention.bytes, moving the log start offset. Never deletes the
   * active segment or data at or above the high watermark. Returns how many segments went.
   */
  enforceRetention(nowMs: number = this.#now()): number {
    this.#checkOpen();
    return this.#io(() => this.#enforceRetention(nowMs));
  }

  #enforceRetention(nowMs: number): number {
    if (!deletesByRetention(this.#config)) return 0;
    const { retentionMs, retentionBytes } = this.#config;
    let excessBytes = retentionBytes < 0 ? -Infinity : this.sizeBytes - retentionBytes;
    let deleted = 0;
    while (this.#segments.length > 1) {
      const oldest = this.#segments[0];
      if (this.#segments[1].baseOffset > this.#highWatermark) break;
      const expired = retentionMs >= 0 && nowMs - retentionTimestampMs(oldest) > retentionMs;
      const oversize = excessBytes >= oldest.sizeBytes;
      if (!expired && !oversize) break;
      excessBytes -= oldest.sizeBytes;
      this.#deleteOldestSegment(expired ? "retention.ms" : "retention.bytes");
      deleted++;
    }
    if (deleted > 0) {
      this.#epochCache.truncateFromStart(this.#logStartOffset);
      this.#writeOffsetsCheckpoint();
    }
    return deleted;
  }

  #deleteOldestSegment(reason: string): void {
    this.#beforeChange();
    const oldest = this.#segments.shift()!;
    oldest.delete();
    this.#logStartOffset = Math.max(this.#logStartOffset, this.#segments[0].baseOffset);
    this.#logger(
      `${this.dir}: ${reason} deleted segment ${oldest.baseOffset}; log start offset ${this.#logStartOffset}`,
    );
  }

  /**
   * The periodic chores (call every second or so): roll an old active segment (segment.ms),
   * retention, log cleaning (started in the background when cleanup.policy includes compact and
   * the dirty ratio reached min.cleanable.dirty.ratio, one log of the process at a time; see
   * whenCleaned()), flush.ms, the offsets checkpoint every checkpointIntervalMs when it changed,
   * and a new leader epoch's checkpoint. A no-op once closed.
   */
  async maintain(nowMs: number = this.#now()): Promise<void> {
    if (!this.maintenanceDue(nowMs)) return;
    const active = this.#active;
    if (!active.isEmpty && active.timeWaitedForRollMs(nowMs, -1) >= this.#config.segmentMs) this.roll();
    this.enforceRetention(nowMs);
    if (
      isCompacted(this.#config) && this.#cleaning === null && !this.#uncleanable &&
      backgroundCleanings < MAX_BACKGROUND_CLEANINGS &&
      this.#cleaner.dirtyState(nowMs).ratio >= Math.max(this.#config.minCleanableDirtyRatio, Number.MIN_VALUE)
    ) {
      backgroundCleanings++;
      // #startCleaning logs its own failures; the next maintain() tries again.
      this.#startCleaning(nowMs).catch(() => {}).finally(() => backgroundCleanings--);
    }
    if (this.#firstUnflushedMs >= 0 && nowMs - this.#firstUnflushedMs >= this.#config.flushMs) {
      await this.flush();
    }
    if (this.#checkpointDirty && nowMs - this.#lastCheckpointMs >= this.#config.checkpointIntervalMs) {
      this.#checkpointInBackground(nowMs);
    }
    if (this.#epochCache.dirty && this.#onDisk && this.#epochsWriting === null) {
      this.#flushEpochsInBackground();
    }
    this.#quiet = this.#quietAfterChores();
  }

  /**
   * A new epoch written soon, in the background, rather than when the recovery point passes it
   * (flush) or at close: a broker stopping with 10,000 logs would otherwise write a file for each
   * log that got a new epoch since its last flush, which without flush.ms is every written one.
   */
  #flushEpochsInBackground(): void {
    const writing = this.#epochCache.flushInBackground();
    if (writing === null) return;
    this.#epochsWriting = writing
      .catch((error) => {
        // Closed or deleted meanwhile: close wrote the epochs itself, and a deleted log needs none.
        if (this.#closed) return;
        if (isIoError(error)) this.#goOffline(error as Error);
        else this.#logger(`${this.dir}: leader epoch checkpoint failed: ${(error as Error).message}`);
      })
      .finally(() => this.#epochsWriting = null);
  }

  /**
   * Could maintain() have anything to do now? False while the log is exactly as the last
   * maintain() left it (same segments, offsets, config, flush, checkpoint and epoch state) and no chore's
   * time has come: a written but idle log then costs a few comparisons a second, not its chores
   * (at 10,000 written logs those were most of an idle broker's CPU).
   */
  maintenanceDue(nowMs: number = this.#now()): boolean {
    if (this.#closed || this.#offline !== null) return false; // a timer racing shutdown, or nothing to keep
    const quiet = this.#quiet;
    return quiet === null || nowMs >= quiet.untilMs || quiet.active !== this.#active ||
      quiet.oldest !== this.#segments[0] || quiet.segments !== this.#segments.length ||
      quiet.logEndOffset !== this.#logEndOffset || quiet.highWatermark !== this.#highWatermark ||
      quiet.logStartOffset !== this.#logStartOffset || quiet.config !== this.#config ||
      quiet.firstUnflushedMs !== this.#firstUnflushedMs || quiet.checkpointDirty !== this.#checkpointDirty ||
      quiet.epochsDirty !== this.#epochCache.dirty;
  }

  /**
   * The log as maintain() leaves it, and the earliest time a chore may come due if nothing else
   * changes: the active segment's roll (segment.ms since it was created: maintain() rolls without
   * an incoming batch), the oldest segment's retention.ms, flush.ms, the checkpoint interval. Null
   * (look every time) while a checkpoint (offsets or epochs) or a cleaning is in flight, and for
   * compacted logs (a
   * cleaning may wait for another log's to finish).
   */
  #quietAfterChores(): QuietLog | null {
    const config = this.#config;
    if (
      isCompacted(config) || this.#cleaning !== null || this.#checkpointWriting !== null ||
      this.#epochsWriting !== null
    ) {
      return null;
    }
    const active = this.#active;
    let untilMs = Infinity;
    if (!active.isEmpty) untilMs = active.createdAtMs + config.segmentMs;
    const oldest = this.#segments[0];
    if (deletesByRetention(config) && config.retentionMs >= 0 && this.#segments.length > 1) {
      untilMs = Math.min(untilMs, retentionTimestampMs(oldest) + config.retentionMs + 1);
    }
    if (this.#firstUnflushedMs >= 0) untilMs = Math.min(untilMs, this.#firstUnflushedMs + config.flushMs);
    if (this.#checkpointDirty) {
      untilMs = Math.min(untilMs, this.#lastCheckpointMs + config.checkpointIntervalMs);
    }
    return {
      untilMs,
      active,
      oldest,
      segments: this.#segments.length,
      logEndOffset: this.#logEndOffset,
      highWatermark: this.#highWatermark,
      logStartOffset: this.#logStartOffset,
      config,
      firstUnflushedMs: this.#firstUnflushedMs,
      checkpointDirty: this.#checkpointDirty,
      epochsDirty: this.#epochCache.dirty,
    };
  }

  /**
   * maintain()'s offsets checkpoint, with its two fsyncs off the event loop: every partition whose
   * high watermark moved writes one each checkpointIntervalMs, and written in place the fsyncs held
   * every produce and fetch answer of the broker for 1.5-13 ms each on this machine's disk. A write
   * of any other kind meanwhile (truncation, retention, DeleteRecords, close: synchronous, and
   * newer) wins, and this one leaves the file alone. One at a time per log.
   */
  #checkpointInBackground(nowMs: number): void {
    if (this.#checkpointWriting !== null) return;
    const write = ++this.#checkpointWrites;
    this.#lastCheckpointMs = nowMs;
    this.#checkpointDirty = false;
    if (!this.#onDisk) return; // empty at offset 0: what the missing file says already
    const isLast = () => !this.#closed && this.#checkpointWrites === write;
    this.#checkpointWriting = writeCheckpointInBackground(
      path.join(this.dir, OFFSETS_CHECKPOINT),
      this.#offsetsEntries(),
      isLast,
    )
      .then(() => {}) // replaced or not: either way this write is over
      .catch((error) => {
        // Closed or deleted meanwhile: the close kept the offsets (its own checkpoint, or the data
        // directory's clean-shutdown state), and a deleted log needs none.
        if (this.#closed) return;
        this.#checkpointDirty = true; // the next maintain() tries again (unless the log went offline)
        if (!(error instanceof StorageError) && isIoError(error)) this.#goOffline(error as Error);
        else this.#logger(`${this.dir}: offsets checkpoint failed: ${(error as Error).message}`);
      })
      .finally(() => this.#checkpointWriting = null);
  }

  /**
   * Compact now (cleanup.policy must include compact), whatever the dirty ratio: waits for a pass
   * in flight, then cleans everything cleanable. Resolves with what was done, or null when there
   * was nothing to clean.
   */
  async compact(nowMs: number = this.#now()): Promise<CleanerStats | null> {
    this.#checkOpen();
    if (!isCompacted(this.#config)) {
      throw new RangeError(`${this.dir}: cleanup.policy does not include compact`);
    }
    await this.whenCleaned();
    return await this.#startCleaning(nowMs);
  }

  /** Resolves once the cleaning pass in flight (if any) has finished; never rejects. */
  async whenCleaned(): Promise<void> {
    await this.#cleaning?.catch(() => {}); // its failure was logged where it happened
  }

  /** The dirty ratio the next maintain() compares with min.cleanable.dirty.ratio. */
  dirtyRatio(nowMs: number = this.#now()): number {
    return this.#cleaner.dirtyState(nowMs).ratio;
  }

  /** First offset the cleaner has not deduplicated yet (as checkpointed). */
  get firstDirtyOffset(): number {
    return this.#cleaner.firstDirtyOffset;
  }

  #startCleaning(nowMs: number): Promise<CleanerStats | null> {
    this.#beforeChange();
    const run = this.#cleaner.clean(nowMs).then((stats) => {
      if (stats !== null && stats.groupsRewritten > 0) {
        this.#logger(
          `${this.dir}: cleaned ${stats.bytesRead} bytes into ${stats.bytesWritten} (${stats.recordsDropped} of ` +
            `${stats.recordsRead} records dropped); segments ${stats.segmentsBefore} -> ${stats.segmentsAfter}`,
        );
      }
      return stats;
    }, (error) => {
      if (!this.#closed) {
        this.#uncleanable = true;
        this.#logger(
          `${this.dir}: log cleaning failed, not retried until reopened: ${(error as Error).message}`,
        );
      }
      throw error;
    }).finally(() => {
      if (this.#cleaning === run) this.#cleaning = null;
    });
    this.#cleaning = run;
    return run;
  }

  /**
   * fsync everything appended so far and move the recovery point to the LEO. Concurrent callers
   * share the fsync in flight (group commit); the event loop is not blocked.
   */
  async flush(): Promise<void> {
    const target = this.#logEndOffset;
    while (this.#recoveryPoint < target && !this.#closed) {
      if (this.#flushing === null) {
        this.#flushing = this.#flushTo(this.#logEndOffset).finally(() => (this.#flushing = null));
      }
      const generation = this.#generation;
      await this.#flushing;
      if (generation !== this.#generation) return; // truncated meanwhile: the target is gone
    }
  }

  async #flushTo(offset: number): Promise<void> {
    const generation = this.#generation;
    const unflushedRecords = this.#unflushedRecords;
    const dirty = this.#segments.filter((segment) => segment.nextOffset > this.#recoveryPoint);
    try {
      this.#syncPendingMetadata();
    } catch (error) {
      this.#failIfIo(error);
      throw error;
    }
    for (const segment of dirty) {
      try {
        await segment.flush();
      } catch (error) {
        if (this.#closed || !this.#segments.includes(segment)) continue; // deleted meanwhile
        this.#failIfIo(error);
        throw error;
      }
    }
    if (generation !== this.#generation || this.#closed) return;
    this.#recoveryPoint = Math.max(this.#recoveryPoint, offset);
    this.#unflushedRecords = Math.max(0, this.#unflushedRecords - unflushedRecords);
    if (this.#recoveryPoint >= this.#logEndOffset) this.#firstUnflushedMs = -1;
    this.#checkpointDirty = true;
  }

  #flushInBackground(): void {
    this.flush().catch((error) =>
      this.#logger(`${this.dir}: background flush failed: ${(error as Error).message}`)
    );
  }

  /**
   * Make what the recovery point is about to cover findable after a crash: a new epoch's entry
   * (the epoch cache writes assigns lazily) and the directory entries of segments created since
   * the last flush (neither a new log's first segment nor a rolled one is fsynced into its
   * directory when created).
   */
  #syncPendingMetadata(): void {
    if (!this.#onDisk) return; // nothing written yet, so nothing the recovery point could pass
    if (this.#parentDirty) {
      fsyncDirectory(path.dirname(this.dir));
      this.#parentDirty = false;
    }
    // Writing the epochs fsyncs the directory, and with it the entries of new segments.
    if (this.#epochCache.flushIfDirty()) this.#directoryDirty = false;
    if (this.#directoryDirty) {
      fsyncDirectory(this.dir);
      this.#directoryDirty = false;
    }
  }

  /** fsync every segment now, blocking (open after recovery, close). */
  #syncAllSync(): void {
    this.#syncPendingMetadata();
    for (const segment of this.#segments) segment.flushSync();
    this.#recoveryPoint = this.#logEndOffset;
    this.#unflushedRecords = 0;
    this.#firstUnflushedMs = -1;
  }

  /** Resolves once maintain()'s checkpoints in flight (offsets, epochs), if any, have ended (written or not). */
  async checkpointSettled(): Promise<void> {
    await this.#checkpointWriting;
    await this.#epochsWriting;
  }

  /** Write the offsets checkpoint (log start, recovery point, HWM) now. */
  checkpoint(): void {
    this.#checkOpen();
    this.#io(() => this.#writeOffsetsCheckpoint());
  }

  #writeOffsetsCheckpoint(): void {
    this.#checkpointWrites++; // newer than any background write in flight
    // A log not on disk is empty at offset 0: what a missing checkpoint file says already.
    if (this.#onDisk) writeCheckpoint(path.join(this.dir, OFFSETS_CHECKPOINT), this.#offsetsEntries());
    this.#lastCheckpointMs = this.#now();
    this.#checkpointDirty = false;
  }

  #offsetsEntries(): CheckpointEntry[] {
    return [
      ["logStartOffset", this.#logStartOffset],
      ["recoveryPoint", this.#recoveryPoint],
      ["highWatermark", this.#highWatermark],
    ];
  }

  /**
   * Clean shutdown: fsync all data and indexes, write the checkpoint, then the clean-shutdown
   * marker that lets the next open skip the recovery walk. The log is unusable afterwards.
   */
  close(): void {
    if (this.#closed) return;
    if (!this.#onDisk) {
      // Never written: nothing to sync or mark, and a reopen finds the same empty log.
      this.#closed = true;
      return;
    }
    if (this.#offline === null) {
      try {
        this.#syncAllSync();
        this.#writeOffsetsCheckpoint();
        for (const segment of this.#segments) segment.close();
        replaceFileAtomically(path.join(this.dir, CLEAN_SHUTDOWN_MARKER), "");
        this.#closed = true;
        return;
      } catch (error) {
        if (!isIoError(error)) throw error;
        this.#goOffline(error as Error);
      }
    }
    // Offline: no clean marker, so the next open walks the tail and cuts whatever a failed write
    // left; the files are only let go of (their own errors are moot now).
    for (const segment of this.#segments) {
      try {
        segment.closeWithoutWriting();
      } catch {
        // The descriptor is gone either way.
      }
    }
    this.#closed = true;
  }

  /**
   * Clean shutdown of many logs at once (a stopping broker's), with one file-system sync and one
   * file written per data directory instead of several files per log: first every log writes its
   * indexes and dirty epochs unsynced and lets its files go; one sync makes data, indexes, epochs
   * and directory entries durable; then each data directory gets its clean-shutdown state
   * (clean-shutdown-state.ts): every log closed cleanly with its offsets (recovery point = log
   * end, now true on disk) and its `attachments` entry. The logs' own checkpoint files and
   * markers are left as they were: the state file vouches for them until the next start takes it,
   * which passes each log's entry back as `closedCleanly`. Without syncfs here
   * (file-system-sync.ts), each log is close()d instead (its own checkpoint and marker), and the
   * attachments are not kept. Resolves with the logs whose close failed and why (they went
   * offline, or their directory's state could not be written; no entry for them).
   */
  static async closeAll(
    logs: PartitionLog[],
    attachments: ReadonlyMap<PartitionLog, Uint8Array | null> = new Map(),
  ): Promise<{ log: PartitionLog; error: Error }[]> {
    const failed: { log: PartitionLog; error: Error }[] = [];
    const failedLogs = new Set<PartitionLog>();
    const attempt = (log: PartitionLog, step: () => void) => {
      try {
        step();
      } catch (error) {
        failed.push({ log, error: error as Error });
        failedLogs.add(log);
        if (isIoError(error)) log.#goOffline(error as Error);
      }
    };
    if (!fileSystemSync.available()) {
      for (const log of logs) attempt(log, () => log.close());
      return failed;
    }
    for (const log of logs) {
      if (!log.#onDisk) log.close(); // never written: nothing on disk to close
    }
    const open = logs.filter((log) => !log.#closed);
    for (const log of open.filter((log) => log.#offline !== null)) log.close(); // lets go, no entry
    let online = open.filter((log) => log.#offline === null);
    for (const log of online) {
      log.#closed = true; // nothing new starts (a flush in flight stops at its next step)
      attempt(log, () => {
        log.#epochCache.flushIfDirty(false);
        for (const segment of log.#segments) segment.close();
      });
    }
    online = online.filter((log) => log.#offline === null && !failedLogs.has(log));
    const byDirectory = new Map<string, PartitionLog[]>();
    for (const log of online) {
      const directory = path.dirname(log.dir);
      const inDirectory = byDirectory.get(directory);
      if (inDirectory === undefined) byDirectory.set(directory, [log]);
      else inDirectory.push(log);
    }
    for (const [directory, inDirectory] of byDirectory) {
      try {
        await fileSystemSync.sync(directory);
        const states = new Map<string, CleanLogState>();
        for (const log of inDirectory) {
          log.#recoveryPoint = log.#logEndOffset;
          states.set(path.basename(log.dir), {
            logStartOffset: log.#logStartOffset,
            logEndOffset: log.#logEndOffset,
            highWatermark: log.#highWatermark,
            attachment: attachments.get(log) ?? null,
          });
        }
        writeCleanShutdownState(directory, states);
      } catch (error) {
        // Not durable, or not vouched for: these logs walk their tails at the next open.
        for (const log of inDirectory) failed.push({ log, error: error as Error });
      }
    }
    return failed;
  }

  /**
   * Close without the clean marker and delete the partition directory (StopReplica delete): its
   * name is free at once for a topic created again, and its files are removed in the background
   * (a large log's removal held the event loop for most of a second: background-removal.ts).
   * Nothing is written for a next open: the segments' pending index entries are dropped.
   */
  delete(): void {
    if (!this.#closed) { for (const segment of this.#segments) segment.closeWithoutWriting(); }
    this.#closed = true;
    if (!this.#onDisk) return;
    retireDirectory(this.dir);
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError(-1, `Partition log ${this.dir} is closed`);
    if (this.#offline !== null) throw this.#offlineError();
  }

  /** Why the log went offline (an I/O error on its files), or null while it serves. */
  get offline(): string | null {
    return this.#offline;
  }

  #offlineError(): StorageError {
    return storageFailure(`${this.dir} is offline after a disk error (${this.#offline}); restart the broker`);
  }

  /** Run fn; an error of the operating system about the files takes the log offline. */
  #io<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      this.#failIfIo(error);
      throw error;
    }
  }

  /** When `error` is the operating system's (not a validation error or a bug), go offline and throw. */
  #failIfIo(error: unknown): void {
    if (error instanceof StorageError || !isIoError(error)) return;
    this.#goOffline(error as Error);
    throw this.#offlineError();
  }

  #goOffline(error: Error): void {
    if (this.#offline !== null) return;
    this.#offline = error.message;
    this.#logger(`${this.dir}: the log goes offline until the broker restarts: ${error.message}`);
    this.#onOffline(error.message);
  }

  // --- start-up verification ----------------------------------------------------------------

  /** Every byte the open trusted has been checked (and no damage is waiting to be removed). */
  get verified(): boolean {
    return this.#unverified.length === 0 && this.#damage === null;
  }

  /**
   * Take the log offline on purpose (damage found in a log this replica may not truncate): the
   * same state as after a disk error, until the broker restarts.
   */
  takeOffline(reason: string): void {
    this.#goOffline(new Error(reason));
  }

  /** The damage verifySome found, until truncateAtDamage removes it. */
  get damage(): LogDamage | null {
    return this.#damage;
  }

  /**
   * Check about maxBytes more of what the open trusted, oldest segment first, batch by batch
   * (length, magic, CRC-32C, offsets). Stops at the first bad batch and reports it (the log is
   * not changed: a follower truncates below it with truncateAtDamage, a leader must not).
   * Returns the bytes read.
   */
  verifySome(maxBytes: number): number {
    this.#checkOpen();
    let bytesRead = 0;
    while (bytesRead < maxBytes && this.#damage === null && this.#unverified.length > 0) {
      const { segment, until } = this.#unverified[0];
      // Deleted by retention or a truncation, or rewritten by the cleaner: nothing left to check.
      if (!this.#segments.includes(segment)) {
        this.#unverified.shift();
        this.#scan = null;
        continue;
      }
      const from = this.#scan ?? { position: 0, nextOffset: segment.baseOffset };
      const step = this.#io(() =>
        segment.verify(
          from,
          until,
          maxBytes - bytesRead,
          Math.max(this.#config.segmentBytes, MIN_VERIFY_BATCH_BYTES),
        )
      );
      bytesRead += step.bytesRead;
      if (step.damage !== null) {
        this.#damage = {
          offset: step.nextOffset,
          segmentBaseOffset: segment.baseOffset,
          position: step.position,
          reason: step.damage,
        };
        this.#logger(
          `${this.dir}: CRC check found a bad batch in segment ${segment.baseOffset} at position ` +
            `${step.position} (offset ${step.nextOffset}): ${step.damage}`,
        );
      } else if (step.position >= Math.min(until, segment.sizeBytes)) {
        this.#unverified.shift();
        this.#scan = null;
      } else {
        this.#scan = { position: step.position, nextOffset: step.nextOffset };
      }
    }
    return bytesRead;
  }

  /**
   * Remove the damaged batch verifySome found and everything after it (a follower, which then
   * fetches it again from its leader); the rest was checked, so nothing is left to verify.
   */
  truncateAtDamage(): void {
    this.#checkOpen();
    const damage = this.#damage;
    if (damage === null) return;
    this.#io(() => {
      this.#beforeChange();
      const index = this.#segments.findIndex((segment) => segment.baseOffset === damage.segmentBaseOffset);
      if (index >= 0) {
        while (this.#segments.length > index + 1) {
          const removed = this.#segments.pop()!;
          this.#logger(`${this.dir}: removing damage deleted segment ${removed.baseOffset}`);
          removed.delete();
        }
        this.#active.truncateToPosition(damage.position);
        this.#logger(
          `${this.dir}: removed the damaged batch and everything after it: log end offset now ${this.#active.nextOffset}`,
        );
        this.#afterTruncation(this.#active.nextOffset);
        this.#cleaner.truncated(this.#logEndOffset);
      }
    });
    this.#damage = null;
    this.#unverified = [];
    this.#scan = null;
  }
}

const EMPTY = new Uint8Array(0);

function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(value, high));
}

function readInt64(view: DataView, at: number): number {
  return view.getInt32(at) * 0x1_0000_0000 + view.getUint32(at + 4);
}

/** Length of the whole batches at the start of bytes (lengths from disk are checked). */
function wholeBatchesLength(bytes: Uint8Array): number {
  let position = 0;
  while (position + LOG_OVERHEAD_BYTES <= bytes.length) {
    const sizeBytes = batchSizeAt(bytes, position)!;
    if (sizeBytes < LOG_OVERHEAD_BYTES + 49 || position + sizeBytes > bytes.length) break;
    position += sizeBytes;
  }
  return position;
}

/** Compacted topics: every record of a (non-control) producer batch needs a key (Kafka INVALID_RECORD). */
function requireKeys(bytes: Uint8Array, position: number, maxBatchBytes: number): void {
  let decoded;
  try {
    decoded = decodeRecordBatch(bytes, position, { maxBatchBytes });
  } catch (error) {
    if (error instanceof RecordBatchError) throw corruptBatch(error.message);
    throw error;
  }
  if (decoded.control) return;
  const keyless = decoded.records.findIndex((record) => record.key === null);
  if (keyless >= 0) {
    throw new StorageError(
      ErrorCode.INVALID_RECORD,
      `Compacted topic: record ${keyless} of the batch at ${position} has no key`,
    );
  }
}

/** LogAppendTime: set the timestamp-type bit and maxTimestamp, then recompute the CRC. */
function stampLogAppendTime(bytes: Uint8Array, position: number, sizeBytes: number, nowMs: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + position, sizeBytes);
  view.setInt16(
    BatchOffset.attributes,
    view.getInt16(BatchOffset.attributes) | Attributes.timestampTypeLogAppend,
  );
  const high = Math.floor(nowMs / 0x1_0000_0000);
  view.setInt32(BatchOffset.maxTimestamp, high);
  view.setUint32(BatchOffset.maxTimestamp + 4, nowMs - high * 0x1_0000_0000);
  view.setUint32(BatchOffset.crc, crc32c(bytes, position + CRC_START, position + sizeBytes));
}
