/**
 * Sparse index files of a segment, kept in memory as the exact file image (a growable byte
 * buffer) and written out in one positional write of the new entries when the segment is
 * flushed, rolled or closed. Entries are big-endian and relative to the segment's base offset:
 *
 *   OffsetIndex (.index):     relativeOffset int32, position int32           (8 bytes)
 *     one entry per index.interval.bytes of log, for the batch starting there; lookup gives the
 *     position of the last indexed batch at or before an offset, and the caller scans forward.
 *   TimeIndex (.timeindex):   timestamp int64, relativeOffset int32          (12 bytes)
 *     the segment's running max timestamp, added beside an offset-index entry when it grew;
 *     every batch up to and including relativeOffset has maxTimestamp ≤ timestamp.
 *
 * Files are untrusted on load: size bounded by the caller, length a multiple of the entry
 * size, entries strictly increasing; anything else is refused so the segment is rebuilt.
 *
 * @example
 * ```ts
 * const index = new OffsetIndex(file, baseOffset);
 * index.append(baseOffset + 10, 4096);
 * index.lookup(baseOffset + 12); // { offset: baseOffset + 10, position: 4096 }
 * ```
 */
import * as fs from "node:fs";
import { fileSizeOrMissing, removeIfExists, writeFullyAt } from "./file-io.ts";

const INITIAL_CAPACITY_BYTES = 1024;
/** The image of every index without entries (shared: nothing is written into it). */
const NO_ENTRIES = new Uint8Array(0);
const NO_ENTRIES_VIEW = new DataView(NO_ENTRIES.buffer);

/** Shared machinery: a growable image of fixed-size entries plus how much of it is on disk. */
abstract class IndexFile {
  readonly file: string;
  readonly baseOffset: number;
  readonly entryBytes: number;
  protected bytes: Uint8Array;
  protected view: DataView;
  #count = 0;
  #persistedCount = 0;
  /** The file is longer than the persisted entries (after a truncation) and must be cut. */
  #fileDirty = false;

  constructor(file: string, baseOffset: number, entryBytes: number) {
    this.file = file;
    this.baseOffset = baseOffset;
    this.entryBytes = entryBytes;
    // No room until the first entry: an idle partition's two indexes then cost no buffer (at
    // 10,000 replicas 1 KiB each was 20 MB of a broker's memory), nor an empty one of their own
    // (its array, buffer and view: ~290 bytes, 5.8 MB at 10,000). reserve() never writes into it.
    this.bytes = NO_ENTRIES;
    this.view = NO_ENTRIES_VIEW;
  }

  get count(): number {
    return this.#count;
  }

  /** Room for one more entry; returns the byte position where it goes. */
  protected reserve(): number {
    const at = this.#count * this.entryBytes;
    if (at + this.entryBytes > this.bytes.length) {
      const grown = new Uint8Array(Math.max(INITIAL_CAPACITY_BYTES, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.#count++;
    return at;
  }

  /** Keep only the first `count` entries. */
  protected truncateToCount(count: number): void {
    if (count >= this.#count) return;
    this.#count = count;
    if (this.#persistedCount > count) {
      this.#persistedCount = count;
      this.#fileDirty = true;
    }
  }

  /** Drop everything (segment truncated to its base offset). */
  clear(): void {
    this.truncateToCount(0);
  }

  /**
   * Write entries not yet on disk (and cut the file after a truncation); fsync when asked. With
   * `withoutFile` the entries stay in memory only (the segment can rebuild them) and a file left
   * from before is removed.
   */
  persist(fsync: boolean, withoutFile = false): void {
    if (this.#count === 0 || withoutFile) {
      // An empty index needs no file (an empty segment loads without one): a new partition
      // creates none, and a file left from before is removed rather than cut (same meaning).
      if (this.#fileDirty || this.#persistedCount > 0) removeIfExists(this.file);
      this.#persistedCount = 0;
      this.#fileDirty = false;
      return;
    }
    if (this.#persistedCount === this.#count && !this.#fileDirty && !fsync) return;
    const fd = fs.openSync(this.file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    try {
      const start = this.#persistedCount * this.entryBytes;
      const end = this.#count * this.entryBytes;
      writeFullyAt(fd, this.bytes, start, end, start);
      if (this.#fileDirty) fs.ftruncateSync(fd, end);
      if (fsync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.#persistedCount = this.#count;
    this.#fileDirty = false;
  }

  /**
   * Load the file written by persist(); a missing file is an index without entries (persist
   * writes none for those). Returns false (and stays empty) when the file is larger than
   * `maxBytes`, not a whole number of entries, or fails `valid`.
   */
  load(maxBytes: number): boolean {
    const size = fileSizeOrMissing(this.file);
    if (size < 0) {
      this.#count = 0;
      this.#persistedCount = 0;
      this.#fileDirty = false;
      return true;
    }
    if (size > maxBytes || size % this.entryBytes !== 0) return false;
    const image = fs.readFileSync(this.file);
    if (image.length !== size) return false;
    this.bytes = size === 0 ? NO_ENTRIES : new Uint8Array(Math.max(INITIAL_CAPACITY_BYTES, size * 2));
    this.bytes.set(image);
    this.view = size === 0 ? NO_ENTRIES_VIEW : new DataView(this.bytes.buffer);
    this.#count = size / this.entryBytes;
    this.#persistedCount = this.#count;
    this.#fileDirty = false;
    if (!this.entriesValid()) {
      this.#count = 0;
      this.#persistedCount = 0;
      this.#fileDirty = true;
      return false;
    }
    return true;
  }

  /** Subclasses check ordering of a loaded image. */
  protected abstract entriesValid(): boolean;

  /** Forget all entries and mark the file for rewriting (index rebuilt from the log). */
  reset(): void {
    this.#count = 0;
    this.#persistedCount = 0;
    this.#fileDirty = true;
  }

  delete(): void {
    removeIfExists(this.file);
  }

  /** Index of the last entry whose key ≤ target (keys strictly increasing), or -1. */
  protected floorIndex(key: (i: number) => number, target: number): number {
    let low = 0;
    let high = this.#count - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (key(middle) <= target) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }
}

export interface OffsetPosition {
  offset: number;
  position: number;
}

/** Sparse map from batch base offset to byte position in the segment's .log file. */
export class OffsetIndex extends IndexFile {
  static readonly ENTRY_BYTES = 8;

  constructor(file: string, baseOffset: number) {
    super(file, baseOffset, OffsetIndex.ENTRY_BYTES);
  }

  /** Add an entry; offsets and positions must increase. */
  append(offset: number, position: number): void {
    const at = this.reserve();
    this.view.setInt32(at, offset - this.baseOffset);
    this.view.setInt32(at + 4, position);
  }

  #relativeOffset = (i: number): number => this.view.getInt32(i * 8);

  /** The last entry at or before `offset`, or (baseOffset, 0) when there is none. */
  lookup(offset: number): OffsetPosition {
    const i = this.floorIndex(this.#relativeOffset, offset - this.baseOffset);
    if (i < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.view.getInt32(i * 8), position: this.view.getInt32(i * 8 + 4) };
  }

  /** The last entry, or null. */
  last(): OffsetPosition | null {
    if (this.count === 0) return null;
    const i = this.count - 1;
    return { offset: this.baseOffset + this.view.getInt32(i * 8), position: this.view.getInt32(i * 8 + 4) };
  }

  /** Drop entries for batches at or after byte `position` (the log was cut there). */
  truncateToPosition(position: number): void {
    const keep = this.floorIndex((i) => this.view.getInt32(i * 8 + 4), position - 1) + 1;
    this.truncateToCount(keep);
  }

  protected entriesValid(): boolean {
    for (let i = 0; i < this.count; i++) {
      const relative = this.view.getInt32(i * 8);
      const position = this.view.getInt32(i * 8 + 4);
      if (relative < 0 || position < 0) return false;
      if (i > 0 && (relative <= this.view.getInt32(i * 8 - 8) || position <= this.view.getInt32(i * 8 - 4))) {
        return false;
      }
    }
    return true;
  }
}

/** Sparse map from the segment's running max timestamp to the batch where it was reached. */
export class TimeIndex extends IndexFile {
  static readonly ENTRY_BYTES = 12;

  constructor(file: string, baseOffset: number) {
    super(file, baseOffset, TimeIndex.ENTRY_BYTES);
  }

  #timestamp = (i: number): number =>
    this.view.getInt32(i * 12) * 0x1_0000_0000 + this.view.getUint32(i * 12 + 4);

  /** The newest entry's timestamp, or -1. */
  get lastTimestampMs(): number {
    return this.count === 0 ? -1 : this.#timestamp(this.count - 1);
  }

  /** Add (timestampMs, offset) when timestampMs is above the last entry's; otherwise ignore. */
  maybeAppend(timestampMs: number, offset: number): void {
    if (timestampMs <= this.lastTimestampMs) return;
    const at = this.reserve();
    const high = Math.floor(timestampMs / 0x1_0000_0000);
    this.view.setInt32(at, high);
    this.view.setUint32(at + 4, timestampMs - high * 0x1_0000_0000);
    this.view.setInt32(at + 8, offset - this.baseOffset);
  }

  /**
   * Where to start scanning for the first batch with maxTimestamp ≥ `timestampMs`: the offset of
   * the last entry whose timestamp is below it (every batch up to it is older), or the base offset.
   */
  lookupStart(timestampMs: number): number {
    const i = this.floorIndex(this.#timestamp, timestampMs - 1);
    return i < 0 ? this.baseOffset : this.baseOffset + this.view.getInt32(i * 12 + 8);
  }

  /** Drop entries for batches at or after `offset`. */
  truncateToOffset(offset: number): void {
    const keep = this.floorIndex((i) => this.view.getInt32(i * 12 + 8), offset - this.baseOffset - 1) + 1;
    this.truncateToCount(keep);
  }

  protected entriesValid(): boolean {
    for (let i = 0; i < this.count; i++) {
      const relative = this.view.getInt32(i * 12 + 8);
      if (relative < 0 || this.#timestamp(i) < -1) return false;
      if (
        i > 0 && (relative <= this.view.getInt32(i * 12 - 4) || this.#timestamp(i) <= this.#timestamp(i - 1))
      ) {
        return false;
      }
    }
    return true;
  }
}
