/**
 * Rewriting one stored RecordBatch v2 with only some of its records, for the log cleaner. Kept
 * records are copied byte for byte (their offsetDelta and timestampDelta stay relative to the
 * unchanged baseOffset and baseTimestamp), so offsets never change. The header keeps baseOffset,
 * lastOffsetDelta (the batch still "ends" where it did), producer fields and attributes;
 * recordsCount, maxTimestamp (newest kept record), batchLength and the CRC are recomputed, and a
 * compressed batch is decompressed and re-compressed with its own codec.
 *
 * Records section (per record, see record-batch.ts):
 *   length varint, then `length` bytes (attributes, timestampDelta, offsetDelta, key, value, headers)
 *
 * @example
 * ```ts
 * const decoded = decodeRecordBatch(bytes, 0);
 * const kept = filterBatch(bytes, decoded, decoded.records.map((r) => r.key !== null));
 * ```
 */
import { compress, decompress } from "../kafka/compression.ts";
import {
  Attributes,
  BATCH_HEADER_BYTES,
  BatchOffset,
  CRC_START,
  type DecodedBatch,
  LOG_OVERHEAD_BYTES,
} from "../kafka/record-batch.ts";
import { crc32c } from "../wire/crc32c.ts";
import { Reader } from "../wire/reader.ts";

/** Bound on one batch's decompressed records while cleaning (as decodeRecordBatch's default). */
export const MAX_CLEANER_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/**
 * The batch `bytes` (one whole batch from position 0, already decoded as `decoded`) with only the
 * records whose `keep` flag is set. Returns `bytes` itself when every record is kept and null
 * when none is.
 */
export function filterBatch(
  bytes: Uint8Array,
  decoded: DecodedBatch,
  keep: readonly boolean[],
): Uint8Array | null {
  const keptCount = keep.reduce((count, flag) => count + (flag ? 1 : 0), 0);
  if (keptCount === decoded.records.length) return bytes;
  if (keptCount === 0) return null;
  const codec = decoded.attributes & Attributes.compressionMask;
  const section = bytes.subarray(BATCH_HEADER_BYTES, decoded.sizeBytes);
  const plain = decompress(codec, section, MAX_CLEANER_DECOMPRESSED_BYTES);
  const ranges = recordRanges(plain, decoded.recordsCount);
  let keptBytes = 0;
  for (let i = 0; i < ranges.length; i += 2) if (keep[i / 2]) keptBytes += ranges[i + 1] - ranges[i];
  const keptPlain = new Uint8Array(keptBytes);
  let at = 0;
  let maxTimestampMs = -1;
  for (let i = 0; i < decoded.records.length; i++) {
    if (!keep[i]) continue;
    keptPlain.set(plain.subarray(ranges[2 * i], ranges[2 * i + 1]), at);
    at += ranges[2 * i + 1] - ranges[2 * i];
    maxTimestampMs = Math.max(maxTimestampMs, decoded.records[i].timestamp);
  }
  const records = compress(codec, keptPlain);
  const out = new Uint8Array(BATCH_HEADER_BYTES + records.length);
  out.set(bytes.subarray(0, BATCH_HEADER_BYTES));
  out.set(records, BATCH_HEADER_BYTES);
  const view = new DataView(out.buffer);
  view.setInt32(BatchOffset.batchLength, out.length - LOG_OVERHEAD_BYTES);
  view.setInt32(BatchOffset.recordsCount, keptCount);
  if (!decoded.logAppendTime) {
    const high = Math.floor(maxTimestampMs / 0x1_0000_0000);
    view.setInt32(BatchOffset.maxTimestamp, high);
    view.setUint32(BatchOffset.maxTimestamp + 4, maxTimestampMs - high * 0x1_0000_0000);
  }
  view.setUint32(BatchOffset.crc, crc32c(out, CRC_START));
  return out;
}

/** [start, end) of each record in a decompressed records section, flattened: s0, e0, s1, e1, … */
function recordRanges(plain: Uint8Array, count: number): number[] {
  const reader = new Reader(plain);
  const ranges: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = reader.position;
    const length = reader.varint();
    reader.skip(length);
    ranges.push(start, reader.position);
  }
  return ranges;
}
