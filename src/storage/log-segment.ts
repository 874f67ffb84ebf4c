/**
 * LogSegment: one `.log` file of RecordBatch v2 bytes starting at `baseOffset`, with its sparse
 * offset index and time index. Appends are one positional write of whole batches; reads return
 * stored bytes. Positions are int32 (a segment stays below 2 GiB) and offsets are JS numbers
 * (exact up to 2^53, far beyond any offset this log can reach).
 *
 * @example
 * ```ts
 * const segment = LogSegment.create(dir, 0, 4096);
 * segment.append(bytes, 0, bytes.length);
 * const slot = segment.translate(5); // where the batch holding offset 5 starts
 * ```
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  BATCH_HEADER_BYTES,
  BatchOffset,
  batchSizeAt,
  LOG_OVERHEAD_BYTES,
  readBatchHeader,
  RecordBatchError,
  validateBatch,
} from "../kafka/record-batch.ts";
import { fdatasyncAsync, lastingPath, readFullyAt, syncCounts, writeFullyAt } from "./file-io.ts";
import { retireFile } from "./background-removal.ts";
import { OffsetIndex, TimeIndex } from "./index-file.ts";
import { INDEX_SUFFIX, LOG_SUFFIX, segmentFileName, TIME_INDEX_SUFFIX } from "./segment-names.ts";

/** Relative offsets in the index are int32. */
export const MAX_RELATIVE_OFFSET = 0x7fff_ffff;
/** Recovery reads the log in chunks of this size (grown only for a batch that is larger). */
const RECOVERY_CHUNK_BYTES = 1024 * 1024;

/**
 * Batches whose locations a segment keeps from its latest appends, so that reading near the log
 * end (every follower's fetch, every caught-up consumer's) finds its batches without reading
 * headers from the file. Kept in a typed array allocated at the first append: 320 bytes a
 * written segment.
 */
const RECENT_BATCHES = 8;
/** position, sizeBytes, baseOffset, lastOffset, maxTimestampMs. */
const RECENT_FIELDS = 5;

/** Where a batch sits in a segment, from a header scan. */
export interface BatchLocation {
  position: number;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestampMs: number;
}

/** What a recovery walk found. */
export interface SegmentRecovery {
  /** Bytes of whole, valid batches kept. */
  validBytes: number;
  /** Bytes cut from the end (0 when the file was intact). */
  truncatedBytes: number;
  /** Why the tail was cut, when it was. */
  reason: string | null;
}

/** Called for every batch kept by a recovery walk, in order (the log feeds its epoch cache). */
export type RecoveredBatch = (baseOffset: number, partitionLeaderEpoch: number) => void;

/** Where a verification walk of a segment stands. */
export interface SegmentScan {
  /** File position of the next batch to check. */
  position: number;
  /** The offset after the last good batch (a batch must not start below it). */
  nextOffset: number;
}

/** What one verify() call did. */
export interface SegmentVerification extends SegmentScan {
  bytesRead: number;
  /** Why the batch at `position` is bad, or null when every batch read was good. */
  damage: string | null;
}

const headerScratch = new Uint8Array(BATCH_HEADER_BYTES);

/** Where a read puts its bytes: a buffer of exactly `size` bytes (the fetch path lends pooled ones). */
export type ReadAllocator = (size: number) => Uint8Array;
const newBuffer: ReadAllocator = (size) => new Uint8Array(size);
/** Reused by verify() for one batch at a time (grown for a larger one). */
let verifyScratch = new Uint8Array(64 * 1024);

export class LogSegment {
  readonly baseOffset: number;
  readonly logFile: string;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly #indexIntervalBytes: number;
  #fd: number;
  #sizeBytes: number;
  #nextOffset: number;
  #maxTimestampMs = -1;
  /** maxTimestamp of the first batch (segment.ms rolls by it, as Kafka does), or -1. */
  #firstBatchTimestampMs = -1;
  #bytesSinceIndexEntry = 0;
  /**
   * The latest appended batches' locations, oldest first from #recentStart (a ring of
   * RECENT_BATCHES): always consecutive batches ending at the file's end, or none.
   */
  #recent: Float64Array | null = null;
  #recentStart = 0;
  #recentCount = 0;
  /** No file yet (planned()): nothing to read, sync, persist or close until createFile(). */
  #planned = false;
  /** Wall-clock time the segment object was made; segment.ms falls back to it. */
  readonly createdAtMs: number;

  private constructor(
    dir: string,
    baseOffset: number,
    fd: number,
    indexIntervalBytes: number,
    nowMs: number,
    /** Known size of the file (a file created or emptied just now: 0); read from it when absent. */
    sizeBytes?: number,
  ) {
    this.baseOffset = baseOffset;
    this.logFile = lastingPath(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    this.offsetIndex = new OffsetIndex(
      lastingPath(dir, segmentFileName(baseOffset, INDEX_SUFFIX)),
      baseOffset,
    );
    this.timeIndex = new TimeIndex(
      lastingPath(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX)),
      baseOffset,
    );
    this.#indexIntervalBytes = indexIntervalBytes;
    this.#fd = fd;
    this.#sizeBytes = sizeBytes ?? fs.fstatSync(fd).size;
    this.#nextOffset = baseOffset;
    this.createdAtMs = nowMs;
  }

  /** A new, empty segment (an existing file of that name is emptied). */
  static create(dir: string, baseOffset: number, indexIntervalBytes: number, nowMs = Date.now()): LogSegment {
    const file = path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o644);
    // O_TRUNC: the file is empty, no fstat needed.
    const segment = new LogSegment(dir, baseOffset, fd, indexIntervalBytes, nowMs, 0);
    // The index files are created by their first persist (a flush, a roll, close), not here.
    // reset() marks them dirty, so that persist also truncates a file left by an earlier segment
    // of this base. No open trusts them before then: a segment is below the recovery point only
    // once flushed.
    segment.offsetIndex.reset();
    segment.timeIndex.reset();
    return segment;
  }

  /**
   * A new log's first segment before its file exists: empty, with nothing on disk until
   * createFile() (the log's first write; see PartitionLog). Its indexes have no files either.
   */
  static planned(
    dir: string,
    baseOffset: number,
    indexIntervalBytes: number,
    nowMs = Date.now(),
  ): LogSegment {
    const segment = new LogSegment(dir, baseOffset, -1, indexIntervalBytes, nowMs, 0);
    segment.#planned = true;
    return segment;
  }

  /** Whether the file is still to be created (a planned segment). */
  get planned(): boolean {
    return this.#planned;
  }

  /**
   * Create a planned segment's file (emptying one of that name). `newDirectory`: its directory
   * was created just now, so no earlier file of this base can exist: its indexes need no reset,
   * and an empty index persists as no file at all (two file creations fewer per new partition).
   */
  createFile(newDirectory: boolean): void {
    if (!this.#planned) throw new Error(`Segment ${this.logFile} already has its file`);
    this.#fd = fs.openSync(
      this.logFile,
      fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC,
      0o644,
    );
    this.#planned = false;
    if (!newDirectory) {
      this.offsetIndex.reset();
      this.timeIndex.reset();
    }
  }

  /** Open an existing segment; call loadIndexes() or recover() next. */
  static open(dir: string, baseOffset: number, indexIntervalBytes: number, nowMs = Date.now()): LogSegment {
    const file = path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    const fd = fs.openSync(file, fs.constants.O_RDWR);
    return new LogSegment(dir, baseOffset, fd, indexIntervalBytes, nowMs);
  }

  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  /** The offset after the last batch (the base offset when empty). */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  /** The largest batch maxTimestamp in the segment, or -1. */
  get maxTimestampMs(): number {
    return this.#maxTimestampMs;
  }

  /**
   * Age for segment.ms, as Kafka measures it: with an incoming batch timestamp, how far it is
   * past the first batch's timestamp (so producers' clocks, not ours, decide); without one (the
   * periodic check), wall-clock time since this segment was created or opened.
   */
  timeWaitedForRollMs(nowMs: number, incomingTimestampMs: number): number {
    if (this.#firstBatchTimestampMs >= 0 && incomingTimestampMs >= 0) {
      return incomingTimestampMs - this.#firstBatchTimestampMs;
    }
    return nowMs - this.createdAtMs;
  }

  get isEmpty(): boolean {
    return this.#sizeBytes === 0;
  }

  /**
   * Append whole batches bytes[start, end) — already validated, offsets already written — in one
   * positional write, and index them. The caller checks sizes and offset continuity.
   */
  append(bytes: Uint8Array, start: number, end: number): void {
    if (this.#planned) throw new Error(`Segment ${this.logFile}: append before its file was created`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    writeFullyAt(this.#fd, bytes, start, end, this.#sizeBytes);
    let position = start;
    while (position < end) {
      const sizeBytes = LOG_OVERHEAD_BYTES + view.getInt32(position + BatchOffset.batchLength);
      const baseOffset = readInt64(view, position + BatchOffset.baseOffset);
      const lastOffset = baseOffset + view.getInt32(position + BatchOffset.lastOffsetDelta);
      const maxTimestampMs = readInt64(view, position + BatchOffset.maxTimestamp);
      const filePosition = this.#sizeBytes + position - start;
      this.#indexBatch(filePosition, sizeBytes, baseOffset, lastOffset, maxTimestampMs);
      this.#remember(filePosition, sizeBytes, baseOffset, lastOffset, maxTimestampMs);
      position += sizeBytes;
    }
    this.#sizeBytes += end - start;
  }

  /** Keep an appended batch's location (the oldest kept one goes when the ring is full). */
  #remember(
    position: number,
    sizeBytes: number,
    baseOffset: number,
    lastOffset: number,
    maxTimestampMs: number,
  ) {
    const recent = this.#recent ??= new Float64Array(RECENT_BATCHES * RECENT_FIELDS);
    let slot: number;
    if (this.#recentCount < RECENT_BATCHES) slot = (this.#recentStart + this.#recentCount++) % RECENT_BATCHES;
    else {
      slot = this.#recentStart;
      this.#recentStart = (this.#recentStart + 1) % RECENT_BATCHES;
    }
    const at = slot * RECENT_FIELDS;
    recent[at] = position;
    recent[at + 1] = sizeBytes;
    recent[at + 2] = baseOffset;
    recent[at + 3] = lastOffset;
    recent[at + 4] = maxTimestampMs;
  }

  /**
   * translate() from the recent appends: the first kept batch at or after startPosition whose
   * last offset reaches `offset`, when the kept batches cover the offset; undefined otherwise.
   */
  #translateRecent(offset: number, startPosition: number): BatchLocation | undefined {
    const recent = this.#recent;
    if (recent === null || this.#recentCount === 0) return undefined;
    const first = this.#recentStart * RECENT_FIELDS;
    const newest = ((this.#recentStart + this.#recentCount - 1) % RECENT_BATCHES) * RECENT_FIELDS;
    // Kept batches end at the file's end by construction (appends only add there; a cut or a
    // recovery forgets them); should that ever not hold, the header scan answers instead.
    if (recent[newest] + recent[newest + 1] !== this.#sizeBytes) return undefined;
    // Only when the oldest kept batch starts at or before the offset: every batch before it ends
    // below the offset, so the header scan would pass them all and stop in the kept ones too.
    if (recent[first + 2] > offset) return undefined;
    for (let i = 0; i < this.#recentCount; i++) {
      const at = ((this.#recentStart + i) % RECENT_BATCHES) * RECENT_FIELDS;
      if (recent[at] < startPosition || recent[at + 3] < offset) continue;
      return {
        position: recent[at],
        sizeBytes: recent[at + 1],
        baseOffset: recent[at + 2],
        lastOffset: recent[at + 3],
        maxTimestampMs: recent[at + 4],
      };
    }
    return undefined;
  }

  /** Index bookkeeping for one batch at `position` (append and recovery share it). */
  #indexBatch(
    position: number,
    sizeBytes: number,
    baseOffset: number,
    lastOffset: number,
    maxTimestampMs: number,
  ) {
    if (this.#firstBatchTimestampMs < 0 && position === 0) {
      this.#firstBatchTimestampMs = Math.max(0, maxTimestampMs);
    }
    if (maxTimestampMs > this.#maxTimestampMs) this.#maxTimestampMs = maxTimestampMs;
    if (position === 0 || this.#bytesSinceIndexEntry >= this.#indexIntervalBytes) {
      const last = this.offsetIndex.last();
      if (last === null || baseOffset > last.offset) {
        this.offsetIndex.append(baseOffset, position);
        this.timeIndex.maybeAppend(this.#maxTimestampMs, baseOffset);
      }
      this.#bytesSinceIndexEntry = 0;
    }
    this.#bytesSinceIndexEntry += sizeBytes;
    this.#nextOffset = lastOffset + 1;
  }

  /**
   * Trust the index files (clean shutdown, or a segment below the recovery point): load them
   * and scan only the batches after the last index entry to find the next offset and the max
   * timestamp. Returns false when an index file is unusable; the caller then calls recover().
   */
  loadIndexes(): boolean {
    if (this.#sizeBytes === 0) {
      // Nothing to index: whatever index files say is moot (and an empty one has none).
      this.offsetIndex.reset();
      this.timeIndex.reset();
      return true;
    }
    // Every indexed batch is at least a header long, which bounds an honest index file.
    const maxEntries = Math.floor(this.#sizeBytes / BATCH_HEADER_BYTES) + 1;
    if (
      !this.offsetIndex.load(maxEntries * OffsetIndex.ENTRY_BYTES) ||
      !this.timeIndex.load(maxEntries * TimeIndex.ENTRY_BYTES)
    ) {
      return false;
    }
    const last = this.offsetIndex.last();
    if (last === null) return this.timeIndex.count === 0 && this.#indexFromHeaders();
    if (last.position >= this.#sizeBytes) return false;
    const first = this.#headerAt(0);
    if (first === null) return false;
    this.#firstBatchTimestampMs = Math.max(0, first.maxTimestampMs);
    return this.#scanTail();
  }

  /**
   * The indexes of a segment whose entries were only its first batch's, kept without files
   * (#persistIndexFiles): rebuilt from the batch headers, and the tail found on the way. Bounded:
   * where a second entry is due, the files were lost instead, and false has the caller recover.
   */
  #indexFromHeaders(): boolean {
    this.#nextOffset = this.baseOffset;
    this.#maxTimestampMs = -1;
    this.#firstBatchTimestampMs = -1;
    this.#bytesSinceIndexEntry = 0;
    for (let position = 0; position < this.#sizeBytes;) {
      if (position > 0 && this.#bytesSinceIndexEntry >= this.#indexIntervalBytes) return false;
      const batch = this.#headerAt(position);
      if (batch === null) return false;
      this.#indexBatch(position, batch.sizeBytes, batch.baseOffset, batch.lastOffset, batch.maxTimestampMs);
      position += batch.sizeBytes;
    }
    return true;
  }

  /**
   * Recompute nextOffset, the max timestamp and the bytes since the last index entry by scanning
   * the batches after the last offset-index entry (at most an index interval and one batch).
   * Returns false when a header there is broken.
   */
  #scanTail(): boolean {
    const last = this.offsetIndex.last();
    let position = last?.position ?? 0;
    this.#nextOffset = this.baseOffset;
    this.#maxTimestampMs = this.timeIndex.lastTimestampMs;
    this.#bytesSinceIndexEntry = 0;
    while (position < this.#sizeBytes) {
      const batch = this.#headerAt(position);
      if (batch === null) return false;
      if (batch.maxTimestampMs > this.#maxTimestampMs) this.#maxTimestampMs = batch.maxTimestampMs;
      this.#nextOffset = batch.lastOffset + 1;
      this.#bytesSinceIndexEntry += batch.sizeBytes;
      position += batch.sizeBytes;
    }
    return true;
  }

  /**
   * Walk every batch from the start: length, magic, CRC-32C and offsets (increasing, from the
   * base offset, within int32 of it). Rebuilds both indexes; cuts the file after the last good
   * batch. `maxBatchBytes` bounds the buffer a batch's length field may ask for.
   */
  recover(maxBatchBytes: number, onBatch?: RecoveredBatch): SegmentRecovery {
    this.#recentCount = 0;
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.#nextOffset = this.baseOffset;
    this.#maxTimestampMs = -1;
    this.#firstBatchTimestampMs = -1;
    this.#bytesSinceIndexEntry = 0;
    const fileBytes = this.#sizeBytes;
    let chunk = new Uint8Array(Math.min(RECOVERY_CHUNK_BYTES, Math.max(fileBytes, BATCH_HEADER_BYTES)));
    let chunkStart = 0;
    let chunkLength = 0;
    let position = 0;
    let reason: string | null = null;
    while (position < fileBytes) {
      if (fileBytes - position < LOG_OVERHEAD_BYTES) {
        reason = `${fileBytes - position} trailing bytes, less than a batch header`;
        break;
      }
      // Make sure the batch's 12-byte prefix is in the chunk, then the whole batch.
      if (position + LOG_OVERHEAD_BYTES > chunkStart + chunkLength) {
        chunkStart = position;
        chunkLength = readFullyAt(this.#fd, chunk, 0, Math.min(chunk.length, fileBytes - position), position);
      }
      const sizeBytes = batchSizeAt(chunk, position - chunkStart)!;
      if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > maxBatchBytes) {
        reason = `batch length ${sizeBytes - LOG_OVERHEAD_BYTES} is impossible`;
        break;
      }
      if (sizeBytes > fileBytes - position) {
        reason = `torn batch: ${fileBytes - position} of ${sizeBytes} bytes present`;
        break;
      }
      if (position + sizeBytes > chunkStart + chunkLength) {
        if (sizeBytes > chunk.length) chunk = new Uint8Array(sizeBytes);
        chunkStart = position;
        chunkLength = readFullyAt(this.#fd, chunk, 0, Math.min(chunk.length, fileBytes - position), position);
      }
      const failure = this.#checkBatch(chunk, position - chunkStart, maxBatchBytes, this.#nextOffset);
      if (typeof failure === "string") {
        reason = failure;
        break;
      }
      const { baseOffset, lastOffset, maxTimestampMs, epoch } = failure;
      this.#indexBatch(position, sizeBytes, baseOffset, lastOffset, maxTimestampMs);
      onBatch?.(baseOffset, epoch);
      position += sizeBytes;
    }
    const truncatedBytes = fileBytes - position;
    if (truncatedBytes > 0) this.#cutFile(position);
    return { validBytes: position, truncatedBytes, reason };
  }

  /**
   * Check by CRC the whole batches in [from.position, until) without changing anything (the
   * start-up scan of a segment trusted after a clean shutdown), reading about maxBytes at most:
   * the first bad batch (its position, and why) ends the walk. `from.nextOffset` is the offset
   * the next batch must not go below. Returns where the walk stopped.
   */
  verify(from: SegmentScan, until: number, maxBytes: number, maxBatchBytes: number): SegmentVerification {
    const end = Math.min(until, this.#sizeBytes);
    let { position, nextOffset } = from;
    let bytesRead = 0;
    const damaged = (reason: string) => ({ position, nextOffset, bytesRead, damage: reason });
    while (position < end && bytesRead < maxBytes) {
      if (end - position < LOG_OVERHEAD_BYTES) return damaged(`${end - position} trailing bytes`);
      if (readFullyAt(this.#fd, headerScratch, 0, LOG_OVERHEAD_BYTES, position) !== LOG_OVERHEAD_BYTES) {
        return damaged("the batch header could not be read");
      }
      const sizeBytes = batchSizeAt(headerScratch, 0)!;
      if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > maxBatchBytes) {
        return damaged(`batch length ${sizeBytes - LOG_OVERHEAD_BYTES} is impossible`);
      }
      if (sizeBytes > end - position) {
        return damaged(`torn batch: ${end - position} of ${sizeBytes} bytes present`);
      }
      if (verifyScratch.length < sizeBytes) {
        verifyScratch = new Uint8Array(Math.max(sizeBytes, verifyScratch.length * 2));
      }
      if (readFullyAt(this.#fd, verifyScratch, 0, sizeBytes, position) !== sizeBytes) {
        return damaged("the batch could not be read whole");
      }
      const checked = this.#checkBatch(verifyScratch, 0, maxBatchBytes, nextOffset);
      if (typeof checked === "string") return damaged(checked);
      nextOffset = checked.lastOffset + 1;
      position += sizeBytes;
      bytesRead += sizeBytes;
    }
    return { position, nextOffset, bytesRead, damage: null };
  }

  /** Cut the file at `position`, a batch boundary (below damage found by verify()). */
  truncateToPosition(position: number): void {
    if (position >= this.#sizeBytes) return;
    this.#cutFile(position);
  }

  /** Validate one batch of a walk; a string says why it is bad. */
  #checkBatch(chunk: Uint8Array, at: number, maxBatchBytes: number, nextOffset: number) {
    let header;
    try {
      header = validateBatch(chunk, at, { maxBatchBytes });
    } catch (error) {
      if (error instanceof RecordBatchError) return `${error.kind} batch: ${error.message}`;
      throw error;
    }
    const lastOffset = header.baseOffset + header.lastOffsetDelta;
    if (header.baseOffset < nextOffset) {
      return `batch base offset ${header.baseOffset} does not follow ${nextOffset - 1}`;
    }
    if (lastOffset - this.baseOffset > MAX_RELATIVE_OFFSET) {
      return `batch offset ${lastOffset} too far from segment base ${this.baseOffset}`;
    }
    return {
      baseOffset: header.baseOffset,
      lastOffset,
      maxTimestampMs: header.maxTimestamp,
      epoch: header.partitionLeaderEpoch,
    };
  }

  /** The header of the batch at `position` (lengths checked against the file), or null. */
  #headerAt(position: number): BatchLocation | null {
    if (position < 0 || position + BATCH_HEADER_BYTES > this.#sizeBytes) return null;
    if (readFullyAt(this.#fd, headerScratch, 0, BATCH_HEADER_BYTES, position) !== BATCH_HEADER_BYTES) {
      return null;
    }
    const header = readBatchHeader(headerScratch, 0);
    const sizeBytes = LOG_OVERHEAD_BYTES + header.batchLength;
    if (
      sizeBytes < BATCH_HEADER_BYTES || position + sizeBytes > this.#sizeBytes || header.lastOffsetDelta < 0
    ) {
      return null;
    }
    return {
      position,
      sizeBytes,
      baseOffset: header.baseOffset,
      lastOffset: header.baseOffset + header.lastOffsetDelta,
      maxTimestampMs: header.maxTimestamp,
    };
  }

  /**
   * The batch holding `offset`, or the first batch after it (offsets may have gaps), found
   * through the index and a short forward scan; null when `offset` ≥ nextOffset.
   */
  translate(offset: number, startPosition = 0): BatchLocation | null {
    if (offset >= this.#nextOffset) return null;
    const recent = this.#translateRecent(offset, startPosition);
    if (recent !== undefined) return recent;
    let position = Math.max(this.offsetIndex.lookup(offset).position, startPosition);
    while (position < this.#sizeBytes) {
      const batch = this.#headerAt(position);
      if (batch === null) return null;
      if (batch.lastOffset >= offset) return batch;
      position += batch.sizeBytes;
    }
    return null;
  }

  /** The first batch holding offsets ≥ `fromOffset` whose maxTimestamp ≥ `timestampMs`, or null. */
  findByTimestamp(timestampMs: number, fromOffset = this.baseOffset): BatchLocation | null {
    if (this.#maxTimestampMs < timestampMs) return null;
    const start = this.translate(Math.max(this.timeIndex.lookupStart(timestampMs), fromOffset));
    let position = start?.position ?? this.#sizeBytes;
    while (position < this.#sizeBytes) {
      const batch = this.#headerAt(position);
      if (batch === null) return null;
      if (batch.maxTimestampMs >= timestampMs) return batch;
      position += batch.sizeBytes;
    }
    return null;
  }

  /**
   * Read bytes [position, position + length) of the log file (shorter at the end) into a buffer
   * from `allocate` (of exactly the size asked; a new one by default).
   */
  read(position: number, length: number, allocate: ReadAllocator = newBuffer): Uint8Array {
    const size = Math.max(0, Math.min(length, this.#sizeBytes - position));
    const target = allocate(size);
    const read = readFullyAt(this.#fd, target, 0, size, position);
    return read === size ? target : target.subarray(0, read);
  }

  /**
   * Remove every batch at or after the one holding `offset` (so the segment ends on a batch
   * boundary ≤ offset). Returns the bytes removed.
   */
  truncateTo(offset: number): number {
    const batch = this.translate(offset);
    if (batch === null) return 0;
    const removed = this.#sizeBytes - batch.position;
    this.#cutFile(batch.position);
    return removed;
  }

  /** Cut the file at `position` (a batch boundary) and the indexes with it. */
  #cutFile(position: number): void {
    fs.ftruncateSync(this.#fd, position);
    this.#sizeBytes = position;
    this.#recentCount = 0; // kept locations may lie past the cut; the next appends start afresh
    if (position === 0) this.#firstBatchTimestampMs = -1;
    this.offsetIndex.truncateToPosition(position);
    // Kept index entries point below the cut, so the tail scan only reads headers we trust.
    const lastKept = this.offsetIndex.last();
    this.timeIndex.truncateToOffset(lastKept === null ? this.baseOffset : lastKept.offset + 1);
    if (!this.#scanTail()) throw new Error(`Segment ${this.logFile}: headers unreadable below ${position}`);
    this.#persistIndexFiles(false);
  }

  /** fsync the log data (off the event loop) and write + fsync the indexes. */
  async flush(): Promise<void> {
    if (this.#fd < 0) return;
    await fdatasyncAsync(this.#fd);
    if (this.#fd < 0) return; // closed or deleted meanwhile: do not recreate its index files
    this.#persistIndexFiles(true);
  }

  /** Blocking flush for open-after-recovery and close. */
  flushSync(): void {
    if (this.#planned) return;
    syncCounts.segments++;
    if (this.#fd >= 0) fs.fdatasyncSync(this.#fd);
    this.#persistIndexFiles(true);
  }

  /**
   * Write the indexes' new entries (and fsync them when asked). Indexes that hold no more than
   * the first batch's entry get no files: loadIndexes rebuilds that entry from the batch headers.
   * A segment with a little data — at 10,000 partitions, most of them — then costs no two file
   * creations at a broker's shutdown (0.1–0.7 ms each on this machine's disk).
   */
  #persistIndexFiles(fsync: boolean): void {
    const withoutFiles = this.offsetIndex.count <= 1; // the time index has no more entries
    this.offsetIndex.persist(fsync, withoutFiles);
    this.timeIndex.persist(fsync, withoutFiles);
  }

  /** Write pending index entries without fsync (roll, close). */
  persistIndexes(): void {
    if (this.#planned) return;
    this.#persistIndexFiles(false);
  }

  close(): void {
    if (this.#planned) return;
    this.persistIndexes();
    if (this.#fd >= 0) fs.closeSync(this.#fd);
    this.#fd = -1;
  }

  /**
   * Let go of the file without writing the indexes (the log went offline after a disk error, or
   * is being deleted).
   */
  closeWithoutWriting(): void {
    if (this.#fd >= 0) fs.closeSync(this.#fd);
    this.#fd = -1;
  }

  /**
   * Close and delete the segment's files: their names are free at once, and their blocks are
   * freed in the background (background-removal.ts says why).
   */
  delete(): void {
    if (this.#fd >= 0) fs.closeSync(this.#fd);
    this.#fd = -1;
    if (this.#planned) return;
    retireFile(this.logFile);
    retireFile(this.offsetIndex.file);
    retireFile(this.timeIndex.file);
  }
}

function readInt64(view: DataView, at: number): number {
  return view.getInt32(at) * 0x1_0000_0000 + view.getUint32(at + 4);
}
