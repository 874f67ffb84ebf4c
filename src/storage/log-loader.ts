/**
 * Opening a partition directory: list the segments, load the offsets checkpoint and the
 * leader-epoch checkpoint, and either trust the indexes (a clean shutdown: the log's marker, or
 * its entry in the data directory's clean-shutdown state, clean-shutdown-state.ts; or a segment
 * wholly below the recovery point) or walk the batches from the recovery point on:
 * length, magic, CRC-32C and offset continuity. A torn or corrupt tail is cut, later segments
 * are deleted, and each cut is reported through the logger. The segments trusted without a walk
 * are listed, so that their bytes can be checked later, at a bounded rate, without holding up
 * the open (PartitionLog.verifySome).
 *
 * Opening costs no fsync when nothing in the directory changed but the clean-shutdown marker's
 * removal: the log makes that removal durable before its first change (PartitionLog), so a
 * broker restarting with 10,000 idle logs does not wait for 10,000 directory fsyncs. And a walk
 * that found nothing past the recovery point (no cut, no bytes beyond it) says so: what it read
 * was already durable, so the log need not fsync its segments again.
 *
 * Directory layout:
 *   <20-digit base>.log / .index / .timeindex   segments (no index files while the only entry
 *                                                 is the first batch's: rebuilt from its header)
 *   offsets.checkpoint                            logStartOffset, recoveryPoint, highWatermark
 *   leader-epoch-checkpoint                       epoch → start offset
 *   clean-shutdown                                present only between close() and the next open
 *                                                 (a broker's shutdown, closeAll, writes none)
 *   cleaner-offset-checkpoint                     compacted logs: the first offset not yet cleaned
 *   <base>.log.cleaned / <base>.log.swap           an interrupted cleaning (deleted / completed on open)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isRetiredName, removeRetired } from "./background-removal.ts";
import { readCheckpoint } from "./checkpoint-file.ts";
import { fsyncDirectory, removeIfExists, TEMP_SUFFIX } from "./file-io.ts";
import { LeaderEpochCache } from "./leader-epoch-cache.ts";
import type { LogConfig } from "./log-config.ts";
import { LogSegment } from "./log-segment.ts";
import { parseSegmentBaseOffset } from "./segment-names.ts";
import { recoverInterruptedSwaps } from "./segment-swap.ts";

export const OFFSETS_CHECKPOINT = "offsets.checkpoint";
export const CLEAN_SHUTDOWN_MARKER = "clean-shutdown";

/** Writes one line (no newline) about something storage did on its own, e.g. cutting a tail. */
export type StorageLogger = (line: string) => void;

export interface SavedOffsets {
  logStartOffset: number;
  recoveryPoint: number;
  highWatermark: number;
}

export interface LoadedLog {
  segments: LogSegment[];
  epochCache: LeaderEpochCache;
  offsets: SavedOffsets;
  /**
   * Whether a walk found bytes past the recovery point or cut a tail: the caller fsyncs what it
   * validated (a walk of bytes all below the recovery point leaves nothing to sync).
   */
  recovered: boolean;
  /** The clean-shutdown marker was removed and that removal is not durable yet. */
  markerRemovalPending: boolean;
  /** Segments loaded by trusting their indexes: their batches' CRCs were not checked. */
  trusted: LogSegment[];
  /** There was no directory: the log is new and empty, and nothing of it is on disk yet. */
  fresh: boolean;
  /**
   * The log opened as the data directory's clean-shutdown state described it: `offsets` came from
   * there, not from the log's own checkpoint file, which is older (still a safe lower bound).
   */
  restoredFromShutdownState: boolean;
}

/** What the data directory's clean-shutdown state (clean-shutdown-state.ts) says of this log. */
export interface ClosedCleanly {
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
}

/**
 * Open a partition directory and bring it to a consistent state; a missing directory is a new,
 * empty log (`fresh`), left for the caller to create when it first writes.
 */
export function loadLog(
  dir: string,
  config: LogConfig,
  logger: StorageLogger,
  nowMs: number,
  closedCleanly?: ClosedCleanly,
): LoadedLog {
  // No directory: a new log, with nothing to recover, remove or fsync. Its directory is made at
  // its first write (PartitionLog), so a new partition's open costs one stat, not a walk of files
  // and fsyncs, nor even a mkdir (thousands arrive in one LeaderAndIsr).
  if (!fs.existsSync(dir)) {
    return {
      segments: [],
      epochCache: LeaderEpochCache.empty(dir),
      offsets: { logStartOffset: 0, recoveryPoint: 0, highWatermark: 0 },
      recovered: false,
      markerRemovalPending: false,
      trusted: [],
      fresh: true,
      restoredFromShutdownState: false,
    };
  }
  // Any change to the directory's entries but the marker's removal is fsynced before returning.
  let changed = removeLeftovers(dir);
  let segmentsChanged = false;
  for (const line of recoverInterruptedSwaps(dir, config, nowMs)) {
    logger(`${dir}: ${line}`);
    changed = segmentsChanged = true;
  }
  const marker = fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_MARKER));
  const clean = marker || closedCleanly !== undefined;
  const saved = closedCleanly !== undefined
    ? {
      logStartOffset: closedCleanly.logStartOffset,
      recoveryPoint: closedCleanly.logEndOffset,
      highWatermark: closedCleanly.highWatermark,
    }
    : readSavedOffsets(dir, logger);
  let epochCache: LeaderEpochCache;
  let epochCacheLost = false;
  try {
    epochCache = LeaderEpochCache.open(dir);
  } catch (error) {
    logger(
      `${dir}: leader epoch checkpoint unusable (${(error as Error).message}); rebuilding it from the log`,
    );
    removeIfExists(path.join(dir, "leader-epoch-checkpoint"));
    epochCache = LeaderEpochCache.open(dir);
    epochCacheLost = true;
  }
  // Without trustworthy offsets or epochs, walk everything: it is the only safe source.
  const recoverFrom = clean && !epochCacheLost
    ? Infinity
    : epochCacheLost || saved === null
    ? 0
    : saved.recoveryPoint;
  const baseOffsets = listSegmentBaseOffsets(dir);
  const segments: LogSegment[] = [];
  const trusted: LogSegment[] = [];
  let walked = false;
  let cut = false;
  for (let i = 0; i < baseOffsets.length; i++) {
    const segment = LogSegment.open(dir, baseOffsets[i], config.indexIntervalBytes, nowMs);
    const previous = segments.at(-1);
    if (previous !== undefined && segment.baseOffset < previous.nextOffset) {
      logger(
        `${dir}: segment ${segment.baseOffset} overlaps the previous one; deleting it and all later segments`,
      );
      segment.delete();
      deleteSegments(dir, baseOffsets.slice(i + 1), config, nowMs, logger);
      changed = segmentsChanged = true;
      break;
    }
    segments.push(segment);
    const nextBase = baseOffsets[i + 1] ?? Infinity;
    const wholeBelowRecoveryPoint = nextBase <= recoverFrom;
    if (wholeBelowRecoveryPoint && segment.loadIndexes()) {
      trusted.push(segment);
      continue;
    }
    if (clean && recoverFrom === Infinity) {
      logger(`${dir}: index of segment ${segment.baseOffset} unusable after a clean shutdown; rebuilding it`);
    }
    walked = true;
    const result = segment.recover(config.segmentBytes, (baseOffset, epoch) => {
      if (epoch >= 0 && epoch > epochCache.latestEpoch) epochCache.assign(epoch, baseOffset);
    });
    if (result.truncatedBytes > 0) {
      logger(
        `${dir}: recovery cut ${result.truncatedBytes} bytes from segment ${segment.baseOffset} at position ` +
          `${result.validBytes} (log end offset now ${segment.nextOffset}): ${result.reason}`,
      );
      deleteSegments(dir, baseOffsets.slice(i + 1), config, nowMs, logger);
      cut = true;
      changed = segmentsChanged = true;
      break;
    }
  }
  const logEnd = segments.at(-1)?.nextOffset ?? 0;
  if (closedCleanly !== undefined && (segmentsChanged || logEnd !== closedCleanly.logEndOffset)) {
    // Not the log that was closed (changed on disk since, or its state belongs to another): walk.
    logger(
      `${dir}: not as it was closed (log end ${logEnd}, closed at ${closedCleanly.logEndOffset}); recovering`,
    );
    for (const segment of segments) segment.closeWithoutWriting();
    return loadLog(dir, config, logger, nowMs);
  }
  if (marker) removeIfExists(path.join(dir, CLEAN_SHUTDOWN_MARKER));
  if (changed) fsyncDirectory(dir);
  // Bytes up to the recovery point were flushed before it was checkpointed: a walk that found
  // nothing beyond it has nothing to make durable.
  const recovered = walked && (cut || recoverFrom === 0 || logEnd > recoverFrom);
  return {
    segments,
    epochCache,
    offsets: saved ?? { logStartOffset: 0, recoveryPoint: 0, highWatermark: 0 },
    recovered,
    markerRemovalPending: marker && !changed,
    restoredFromShutdownState: closedCleanly !== undefined,
    trusted: trusted.filter((segment) => segments.includes(segment)),
    fresh: false,
  };
}

/** mkdir (one syscall in the usual case: the parent exists); false when it already existed. */
export function createDirectory(dir: string): boolean {
  try {
    fs.mkdirSync(dir);
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "EEXIST") return false;
    if (code !== "ENOENT") throw error;
  }
  return fs.mkdirSync(dir, { recursive: true }) !== undefined;
}

/**
 * Remove what an interrupted atomic replace left; true when something was removed. Retired
 * segment files (deleted, but a crash came before their background removal) are queued for it
 * again: no reader looks at their names, and their removal needs no fsync.
 */
function removeLeftovers(dir: string): boolean {
  let removed = false;
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith(TEMP_SUFFIX)) {
      removeIfExists(path.join(dir, name));
      removed = true;
    } else if (isRetiredName(name)) removeRetired(path.join(dir, name));
  }
  return removed;
}

function listSegmentBaseOffsets(dir: string): number[] {
  const offsets: number[] = [];
  for (const name of fs.readdirSync(dir)) {
    const baseOffset = parseSegmentBaseOffset(name);
    if (baseOffset !== null) offsets.push(baseOffset);
  }
  return offsets.sort((a, b) => a - b);
}

function deleteSegments(
  dir: string,
  baseOffsets: number[],
  config: LogConfig,
  nowMs: number,
  logger: StorageLogger,
): void {
  for (const baseOffset of baseOffsets) {
    const segment = LogSegment.open(dir, baseOffset, config.indexIntervalBytes, nowMs);
    logger(`${dir}: recovery deleted segment ${baseOffset} (${segment.sizeBytes} bytes) after the cut`);
    segment.delete();
  }
}

function readSavedOffsets(dir: string, logger: StorageLogger): SavedOffsets | null {
  try {
    const entries = readCheckpoint(path.join(dir, OFFSETS_CHECKPOINT));
    if (entries === null) return null;
    const values = new Map(entries);
    const logStartOffset = values.get("logStartOffset");
    const recoveryPoint = values.get("recoveryPoint");
    const highWatermark = values.get("highWatermark");
    if (logStartOffset === undefined || recoveryPoint === undefined || highWatermark === undefined) {
      throw new Error("missing entries");
    }
    if (logStartOffset < 0 || recoveryPoint < 0 || highWatermark < 0) throw new Error("negative offsets");
    return { logStartOffset, recoveryPoint, highWatermark };
  } catch (error) {
    logger(`${dir}: offsets checkpoint unusable (${(error as Error).message}); recovering the whole log`);
    return null;
  }
}
