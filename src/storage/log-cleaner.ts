/**
 * LogCleaner: Kafka-style log compaction for a partition log with cleanup.policy=compact (or
 * compact,delete): keep only the latest record of each key, so the log holds the current state
 * of every key plus a not-yet-cleaned tail. Offsets never change; a consumer fetching a removed
 * offset gets the next kept record.
 *
 * The log is split at the first dirty offset (persisted in `cleaner-offset-checkpoint`):
 *   [log start, firstDirty)        clean: already deduplicated
 *   [firstDirty, cleanable end)    dirty: appended since the last cleaning
 *   [cleanable end, LEO)           not cleanable: the active segment, segments not wholly below
 *                                  the high watermark, and segments with a record newer than
 *                                  min.compaction.lag.ms
 * A pass (1) maps each key of the dirty section to its latest offset, stopping when the map holds
 * cleanerMaxMapEntries keys (the rest waits for the next pass); (2) rewrites the segments from
 * the log start up to where the map stopped, group by group (adjacent segments whose sizes add
 * up to at most segment.bytes merge into one), keeping a record when its offset is at or past the
 * map's end or its key is absent from the map or it is its key's latest; dropping keyless records
 * (appendAsLeader refuses them on compacted topics, as Kafka does, so they only come from before a
 * policy change) and tombstones (null value) of segments whose newest timestamp is more than
 * delete.retention.ms old; control batches are kept whole. Transactions: the cleanable section ends
 * at the last stable offset (an open transaction may still abort), and the batches of aborted
 * transactions are dropped and never enter the key map (an aborted record must not displace the
 * committed value of its key). Each group is one synchronous step
 * swapped in crash-safely (segment-swap.ts); the cleaner yields to the event loop between
 * segments and groups and gives up the pass when the log was truncated or closed meanwhile.
 * maintain() starts a pass when dirty bytes / cleanable bytes ≥ min.cleanable.dirty.ratio.
 *
 * @example
 * ```ts
 * const cleaner = new LogCleaner(host);   // host: the log's CleanableLog view
 * if (cleaner.dirtyRatio(now) >= 0.5) await cleaner.clean(now);
 * ```
 */
import { lastingPath } from "./file-io.ts";
import {
  BATCH_HEADER_BYTES,
  batchSizeAt,
  type DecodedRecord,
  decodeRecordBatch,
} from "../kafka/record-batch.ts";
import { filterBatch, MAX_CLEANER_DECOMPRESSED_BYTES } from "./batch-filter.ts";
import { readCheckpoint, writeCheckpoint } from "./checkpoint-file.ts";
import type { LogConfig } from "./log-config.ts";
import type { StorageLogger } from "./log-loader.ts";
import { type LogSegment, MAX_RELATIVE_OFFSET } from "./log-segment.ts";
import { CleanedFileWriter, swapInCleanedSegment } from "./segment-swap.ts";

export const CLEANER_CHECKPOINT = "cleaner-offset-checkpoint";
/** The cleaner reads segments in chunks of this size (grown for one larger batch). */
const READ_CHUNK_BYTES = 1024 * 1024;

/** What the cleaner needs from a partition log (PartitionLog builds it over its private state). */
export interface CleanableLog {
  readonly dir: string;
  readonly config: Readonly<LogConfig>;
  /** The live segment list, oldest first; the last one is active. */
  readonly segments: readonly LogSegment[];
  readonly logStartOffset: number;
  readonly highWatermark: number;
  /** Transactions the log holds (its Partition's producer state); none when absent. */
  readonly transactions?: TransactionView | null;
  /** Changes whenever the log is truncated. */
  readonly generation: number;
  readonly closed: boolean;
  readonly logger: StorageLogger;
  /** Put `replacement` in place of `group` (adjacent segments of the list). */
  replaceSegments(group: readonly LogSegment[], replacement: LogSegment): void;
}

/** What the cleaner needs to know of transactions (a Partition's producer state answers). */
export interface TransactionView {
  /** The first offset of the oldest open transaction, Infinity when none is open. */
  firstUnstableOffset(): number;
  /** Does the batch of this producer at this offset belong to an aborted transaction? */
  isAborted(producerId: bigint, offset: number): boolean;
}

/** What one clean() did. */
export interface CleanerStats {
  passes: number;
  groupsRewritten: number;
  segmentsBefore: number;
  segmentsAfter: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsDropped: number;
  tombstonesDropped: number;
  /** First dirty offset afterwards. */
  firstDirtyOffset: number;
  /** The pass was given up (log truncated or closed meanwhile). */
  aborted: boolean;
}

/** Where the cleanable part of the log ends and how dirty it is. */
export interface DirtyState {
  firstDirtyOffset: number;
  cleanableEndOffset: number;
  cleanBytes: number;
  dirtyBytes: number;
  /** dirtyBytes / (cleanBytes + dirtyBytes), 0 when nothing is cleanable. */
  ratio: number;
}

/** Resolves on the next turn of the event loop (so appends and fetches run between steps). */
export type Yield = () => Promise<void>;
const yieldToEventLoop: Yield = () => new Promise((resolve) => setTimeout(resolve, 0));

export class LogCleaner {
  readonly #log: CleanableLog;
  readonly #checkpointFile: string;
  #firstDirtyOffset: number;

  /** `fresh`: the log's directory was just created, so there is no checkpoint to read. */
  constructor(log: CleanableLog, fresh = false) {
    this.#log = log;
    this.#checkpointFile = lastingPath(log.dir, CLEANER_CHECKPOINT);
    this.#firstDirtyOffset = fresh ? 0 : this.#readCheckpoint();
  }

  /** The first offset not yet cleaned (as saved; clamped into the log when used). */
  get firstDirtyOffset(): number {
    return this.#firstDirtyOffset;
  }

  /** The log was truncated to `offset` (or restarted there): what follows is dirty again. */
  truncated(offset: number): void {
    if (offset >= this.#firstDirtyOffset) return;
    this.#firstDirtyOffset = offset;
    this.#writeCheckpoint();
  }

  /** How much of the cleanable log is dirty. */
  dirtyState(nowMs: number): DirtyState {
    const segments = this.#log.segments;
    const cleanableEndOffset = this.#cleanableEndOffset(nowMs);
    const firstDirtyOffset = Math.max(
      Math.min(this.#firstDirtyOffset, cleanableEndOffset),
      this.#log.logStartOffset,
    );
    let cleanBytes = 0;
    let dirtyBytes = 0;
    for (const segment of segments) {
      if (segment.baseOffset >= cleanableEndOffset) break;
      if (segment.nextOffset > firstDirtyOffset && !segment.isEmpty) dirtyBytes += segment.sizeBytes;
      else cleanBytes += segment.sizeBytes;
    }
    const total = cleanBytes + dirtyBytes;
    return {
      firstDirtyOffset,
      cleanableEndOffset,
      cleanBytes,
      dirtyBytes,
      ratio: total === 0 ? 0 : dirtyBytes / total,
    };
  }

  /** Does the decoded batch belong to an aborted transaction (its records are never visible)? */
  #aborted(batch: { transactional: boolean; producerId: bigint; baseOffset: number }): boolean {
    const transactions = this.#log.transactions;
    return batch.transactional && transactions != null &&
      transactions.isAborted(batch.producerId, batch.baseOffset);
  }

  /** Base offset of the first segment that may not be cleaned yet. */
  #cleanableEndOffset(nowMs: number): number {
    const segments = this.#log.segments;
    const { minCompactionLagMs } = this.#log.config;
    // Wholly below the high watermark and below every open transaction (it may still abort).
    const stableEnd = Math.min(
      this.#log.highWatermark,
      this.#log.transactions?.firstUnstableOffset() ?? Infinity,
    );
    for (let i = 0; i < segments.length - 1; i++) {
      const segment = segments[i];
      if (segments[i + 1].baseOffset > stableEnd) return segment.baseOffset;
      if (minCompactionLagMs > 0 && segment.maxTimestampMs > nowMs - minCompactionLagMs) {
        return segment.baseOffset;
      }
    }
    return segments[segments.length - 1].baseOffset;
  }

  /**
   * Clean until no dirty cleanable data is left (one pass per map-full of keys), yielding between
   * segments. Returns null when there was nothing to clean.
   */
  async clean(nowMs: number, yieldStep: Yield = yieldToEventLoop): Promise<CleanerStats | null> {
    const log = this.#log;
    if (this.dirtyState(nowMs).dirtyBytes === 0) return null;
    const stats: CleanerStats = {
      passes: 0,
      groupsRewritten: 0,
      segmentsBefore: log.segments.length,
      segmentsAfter: 0,
      bytesRead: 0,
      bytesWritten: 0,
      recordsRead: 0,
      recordsDropped: 0,
      tombstonesDropped: 0,
      firstDirtyOffset: this.#firstDirtyOffset,
      aborted: false,
    };
    const generation = log.generation;
    const gone = () => log.closed || log.generation !== generation;
    for (;;) {
      const state = this.dirtyState(nowMs);
      if (state.dirtyBytes === 0) break;
      stats.passes++;
      const map = await this.#buildOffsetMap(state, yieldStep, gone);
      if (map === null) {
        stats.aborted = true;
        break;
      }
      const completed = await this.#cleanSegments(map, nowMs, stats, yieldStep, gone);
      if (!completed) {
        stats.aborted = true;
        break;
      }
      this.#firstDirtyOffset = map.endOffset;
      this.#writeCheckpoint();
    }
    stats.firstDirtyOffset = this.#firstDirtyOffset;
    stats.segmentsAfter = log.segments.length;
    return stats;
  }

  /** Key → latest offset over [firstDirty, end), end cut short when the map fills up. */
  async #buildOffsetMap(state: DirtyState, yieldStep: Yield, gone: () => boolean): Promise<OffsetMap | null> {
    const maxEntries = this.#log.config.cleanerMaxMapEntries;
    const latest = new Map<string, number>();
    let endOffset = state.cleanableEndOffset;
    let cursor = state.firstDirtyOffset;
    scan: while (cursor < endOffset) {
      await yieldStep();
      if (gone()) return null;
      const segment = this.#log.segments.find((s) => s.nextOffset > cursor && s.baseOffset < endOffset);
      if (segment === undefined) break;
      for (const batch of segmentBatches(segment)) {
        const decoded = decodeRecordBatch(batch, 0, {
          maxBatchBytes: batch.length,
          maxDecompressedBytes: MAX_CLEANER_DECOMPRESSED_BYTES,
        });
        if (decoded.control || this.#aborted(decoded)) continue;
        for (const record of decoded.records) {
          if (record.offset < cursor || record.key === null) continue;
          if (record.offset >= endOffset) break scan;
          const key = keyString(record.key);
          if (latest.size >= maxEntries && !latest.has(key)) {
            endOffset = record.offset;
            break scan;
          }
          latest.set(key, record.offset);
        }
      }
      cursor = Math.max(segment.nextOffset, segment.baseOffset + 1);
    }
    return { latest, endOffset };
  }

  /** Rewrite the segments below map.endOffset group by group; false when given up. */
  async #cleanSegments(
    map: OffsetMap,
    nowMs: number,
    stats: CleanerStats,
    yieldStep: Yield,
    gone: () => boolean,
  ): Promise<boolean> {
    let afterBase = -1;
    for (;;) {
      await yieldStep();
      if (gone()) return false;
      const group = this.#nextGroup(afterBase, map.endOffset);
      if (group === null) return true;
      this.#cleanGroup(group, map, nowMs, stats);
      afterBase = group[group.length - 1].baseOffset;
    }
  }

  /**
   * The segments to rewrite next: the first closed segment after `afterBase` starting below
   * `endOffset`, with its successors while the sizes add up to at most segment.bytes and the
   * offsets fit one segment's int32 index.
   */
  #nextGroup(afterBase: number, endOffset: number): LogSegment[] | null {
    const segments = this.#log.segments;
    const start = segments.findIndex((s) => s.baseOffset > afterBase);
    const cleanable = (i: number) => i >= 0 && i < segments.length - 1 && segments[i].baseOffset < endOffset;
    if (!cleanable(start)) return null;
    const group = [segments[start]];
    let sizeBytes = segments[start].sizeBytes;
    for (let i = start + 1; cleanable(i); i++) {
      const segment = segments[i];
      if (sizeBytes + segment.sizeBytes > this.#log.config.segmentBytes) break;
      if (segment.nextOffset - 1 - group[0].baseOffset > MAX_RELATIVE_OFFSET) break;
      group.push(segment);
      sizeBytes += segment.sizeBytes;
    }
    return group;
  }

  /** One synchronous step: write the group's kept batches to a .cleaned file and swap it in. */
  #cleanGroup(group: LogSegment[], map: OffsetMap, nowMs: number, stats: CleanerStats): void {
    const log = this.#log;
    const { deleteRetentionMs } = log.config;
    const writer = new CleanedFileWriter(log.dir, group[0].baseOffset);
    let changed = group.length > 1;
    try {
      for (const segment of group) {
        const newestMs = segment.maxTimestampMs >= 0 ? segment.maxTimestampMs : segment.createdAtMs;
        const dropTombstones = nowMs - newestMs > deleteRetentionMs;
        for (const batch of segmentBatches(segment)) {
          stats.bytesRead += batch.length;
          const decoded = decodeRecordBatch(batch, 0, {
            maxBatchBytes: batch.length,
            maxDecompressedBytes: MAX_CLEANER_DECOMPRESSED_BYTES,
          });
          if (decoded.control) {
            writer.append(batch);
            continue;
          }
          if (this.#aborted(decoded)) {
            stats.recordsRead += decoded.records.length;
            stats.recordsDropped += decoded.records.length;
            changed = true;
            continue;
          }
          stats.recordsRead += decoded.records.length;
          const keep = decoded.records.map((record) => {
            const kept = retain(record, map, dropTombstones);
            if (!kept) {
              stats.recordsDropped++;
              if (record.value === null && record.key !== null) stats.tombstonesDropped++;
            }
            return kept;
          });
          const out = filterBatch(batch, decoded, keep);
          if (out !== batch) changed = true;
          if (out !== null) writer.append(out);
        }
      }
      if (!changed) {
        writer.abandon();
        return;
      }
      writer.finish();
    } catch (error) {
      writer.abandon();
      throw error;
    }
    stats.bytesWritten += writer.sizeBytes;
    stats.groupsRewritten++;
    const replacement = swapInCleanedSegment(log.dir, group, writer.file, log.config, nowMs);
    log.replaceSegments(group, replacement);
  }

  #readCheckpoint(): number {
    try {
      const entries = readCheckpoint(this.#checkpointFile);
      const value = entries?.find(([key]) => key === "firstDirtyOffset")?.[1];
      return value !== undefined && value >= 0 ? value : 0;
    } catch (error) {
      this.#log.logger(
        `${this.#log.dir}: cleaner checkpoint unusable (${
          (error as Error).message
        }); cleaning from the start`,
      );
      return 0;
    }
  }

  #writeCheckpoint(): void {
    writeCheckpoint(this.#checkpointFile, [["firstDirtyOffset", this.#firstDirtyOffset]]);
  }
}

interface OffsetMap {
  /** Key (as a binary string) → its latest offset in [firstDirty, endOffset). */
  latest: Map<string, number>;
  /** Records at or past this offset were not mapped and are kept as they are. */
  endOffset: number;
}

function retain(record: DecodedRecord, map: OffsetMap, dropTombstones: boolean): boolean {
  if (record.offset >= map.endOffset) return true;
  if (record.key === null) return false;
  const latest = map.latest.get(keyString(record.key));
  if (latest !== undefined && record.offset < latest) return false;
  return !(record.value === null && dropTombstones);
}

/** A key's bytes as a string of char codes 0-255 (one-to-one, usable as a Map key). */
function keyString(key: Uint8Array): string {
  let text = "";
  for (let at = 0; at < key.length; at += 4096) {
    text += String.fromCharCode.apply(null, key.subarray(at, at + 4096) as unknown as number[]);
  }
  return text;
}

/** Every whole batch of a segment, oldest first, read in bounded chunks. */
function* segmentBatches(segment: LogSegment): Generator<Uint8Array> {
  const fileBytes = segment.sizeBytes;
  let position = 0;
  while (position < fileBytes) {
    let chunk = segment.read(position, Math.min(READ_CHUNK_BYTES, fileBytes - position));
    let at = 0;
    for (;;) {
      const sizeBytes = batchSizeAt(chunk, at);
      if (sizeBytes === null || at + sizeBytes > chunk.length) break;
      if (sizeBytes < BATCH_HEADER_BYTES) {
        throw new Error(`${segment.logFile}: bad batch length at ${position + at}`);
      }
      yield chunk.subarray(at, at + sizeBytes);
      at += sizeBytes;
    }
    if (at === 0) {
      // One batch larger than the chunk: read it whole.
      const sizeBytes = batchSizeAt(chunk, 0);
      if (sizeBytes === null || sizeBytes < BATCH_HEADER_BYTES || sizeBytes > fileBytes - position) {
        throw new Error(`${segment.logFile}: bad batch length at ${position}`);
      }
      chunk = segment.read(position, sizeBytes);
      yield chunk;
      at = sizeBytes;
    }
    position += at;
  }
}
