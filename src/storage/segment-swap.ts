/**
 * Crash-safe replacement of a group of adjacent segments by one cleaned segment (the log
 * cleaner's output), and the recovery of a replacement a crash interrupted.
 *
 * Protocol, for a group whose first segment has base offset B:
 *   1. write `B.log.cleaned`, fsync it                   (crash: the .cleaned file is deleted)
 *   2. rename it to `B.log.swap`, fsync the directory    (commit point: from here on it completes)
 *   3. delete the group's segments (.log, .index, .timeindex), fsync the directory
 *   4. rename `B.log.swap` to `B.log`, fsync the directory, rebuild its indexes
 * Recovery (before the loader lists segments): delete every `.cleaned` file; for a `.swap` file,
 * delete the segments whose base offset lies in [B, the swap's next offset) and their indexes,
 * then do step 4. Segments of the group past the swap's last batch may survive a crash: they hold
 * only records the cleaning dropped, so the log stays consistent (merely less compacted).
 *
 * @example
 * ```ts
 * const file = writeCleanedFile(dir, group[0].baseOffset, batches);
 * const segment = swapInCleanedSegment(dir, group, file, config);
 * ```
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BATCH_HEADER_BYTES, LOG_OVERHEAD_BYTES, readBatchHeader } from "../kafka/record-batch.ts";
import { fsyncDirectory, readFullyAt, removeIfExists, writeFullyAt } from "./file-io.ts";
import type { LogConfig } from "./log-config.ts";
import { LogSegment } from "./log-segment.ts";
import { INDEX_SUFFIX, LOG_SUFFIX, segmentFileName, TIME_INDEX_SUFFIX } from "./segment-names.ts";

export const CLEANED_SUFFIX = ".cleaned";
export const SWAP_SUFFIX = ".swap";

const SWAP_NAME = /^(\d{20})\.log\.swap$/;

/** Writes whole batches to `B.log.cleaned` as they come; fsync and close with finish(). */
export class CleanedFileWriter {
  readonly file: string;
  #fd: number;
  #sizeBytes = 0;

  constructor(dir: string, baseOffset: number) {
    this.file = path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX) + CLEANED_SUFFIX);
    this.#fd = fs.openSync(
      this.file,
      fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC,
      0o644,
    );
  }

  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  append(batch: Uint8Array): void {
    writeFullyAt(this.#fd, batch, 0, batch.length, this.#sizeBytes);
    this.#sizeBytes += batch.length;
  }

  /** fsync and close; the file is complete. */
  finish(): void {
    fs.fsyncSync(this.#fd);
    fs.closeSync(this.#fd);
    this.#fd = -1;
  }

  /** Close and delete (cleaning abandoned). */
  abandon(): void {
    if (this.#fd >= 0) fs.closeSync(this.#fd);
    this.#fd = -1;
    removeIfExists(this.file);
  }
}

/**
 * Steps 2-4: replace `group` (adjacent segments, oldest first, already closed for appends) by the
 * finished cleaned file of its first segment. Returns the new segment with rebuilt, fsynced indexes.
 */
export function swapInCleanedSegment(
  dir: string,
  group: readonly LogSegment[],
  cleanedFile: string,
  config: Readonly<LogConfig>,
  nowMs: number,
): LogSegment {
  const baseOffset = group[0].baseOffset;
  const swapFile = path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX) + SWAP_SUFFIX);
  fs.renameSync(cleanedFile, swapFile);
  fsyncDirectory(dir);
  for (const segment of group) segment.delete();
  fsyncDirectory(dir);
  return completeSwap(dir, baseOffset, swapFile, config, nowMs);
}

/** Step 4: rename the swap file into place and rebuild the segment's indexes. */
function completeSwap(
  dir: string,
  baseOffset: number,
  swapFile: string,
  config: Readonly<LogConfig>,
  nowMs: number,
): LogSegment {
  fs.renameSync(swapFile, path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX)));
  fsyncDirectory(dir);
  const segment = LogSegment.open(dir, baseOffset, config.indexIntervalBytes, nowMs);
  segment.recover(Math.max(config.segmentBytes, config.maxBatchBytes));
  segment.flushSync();
  return segment;
}

/**
 * Recovery of an interrupted cleaning, run before the segments are listed: deletes `.cleaned`
 * leftovers and completes any committed `.swap`. Returns one line per action, for the logger.
 */
export function recoverInterruptedSwaps(dir: string, config: Readonly<LogConfig>, nowMs: number): string[] {
  const lines: string[] = [];
  const names = fs.readdirSync(dir).sort();
  for (const name of names) {
    if (!name.endsWith(CLEANED_SUFFIX)) continue;
    removeIfExists(path.join(dir, name));
    lines.push(`deleted unfinished cleaner output ${name}`);
  }
  for (const name of names) {
    const match = SWAP_NAME.exec(name);
    if (match === null) continue;
    const baseOffset = Number(match[1]);
    const swapFile = path.join(dir, name);
    const endOffset = Math.max(nextOffsetOfFile(swapFile, baseOffset), baseOffset + 1);
    for (const other of fs.readdirSync(dir)) {
      const otherMatch = /^(\d{20})\.log$/.exec(other);
      if (otherMatch === null) continue;
      const otherBase = Number(otherMatch[1]);
      if (otherBase >= baseOffset && otherBase < endOffset) removeSegmentFiles(dir, otherBase);
    }
    removeSegmentFiles(dir, baseOffset);
    fsyncDirectory(dir);
    completeSwap(dir, baseOffset, swapFile, config, nowMs).close();
    lines.push(
      `completed interrupted cleaner swap of segment ${baseOffset} (replaced segments below ${endOffset})`,
    );
  }
  if (lines.length > 0) fsyncDirectory(dir);
  return lines;
}

function removeSegmentFiles(dir: string, baseOffset: number): void {
  for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
    removeIfExists(path.join(dir, segmentFileName(baseOffset, suffix)));
  }
}

/** The offset after the last whole batch header in a segment file (baseOffset when none). */
function nextOffsetOfFile(file: string, baseOffset: number): number {
  const fd = fs.openSync(file, "r");
  try {
    const sizeBytes = fs.fstatSync(fd).size;
    const header = new Uint8Array(BATCH_HEADER_BYTES);
    let next = baseOffset;
    let position = 0;
    while (position + BATCH_HEADER_BYTES <= sizeBytes) {
      if (readFullyAt(fd, header, 0, BATCH_HEADER_BYTES, position) !== BATCH_HEADER_BYTES) break;
      const batch = readBatchHeader(header, 0);
      const batchBytes = LOG_OVERHEAD_BYTES + batch.batchLength;
      if (batchBytes < BATCH_HEADER_BYTES || position + batchBytes > sizeBytes || batch.lastOffsetDelta < 0) {
        break;
      }
      next = Math.max(next, batch.baseOffset + batch.lastOffsetDelta + 1);
      position += batchBytes;
    }
    return next;
  } finally {
    fs.closeSync(fd);
  }
}
