/**
 * RecordBatch v2 (magic 2): the unit the broker stores and serves. This module reads and
 * checks batch headers and rewrites the two fields the broker owns, WITHOUT decoding
 * records: the broker moves bytes.
 *
 * RecordBatch v2 (big-endian; offsets in bytes from the start of the batch):
 *   0  baseOffset            int64
 *   8  batchLength           int32   bytes after this field (total size - 12)
 *   12 partitionLeaderEpoch  int32
 *   16 magic                 int8    = 2
 *   17 crc                   uint32  CRC-32C over bytes 21..end
 *   21 attributes            int16   bits 0-2 compression, 3 timestamp type, 4 transactional,
 *                                    5 control, 6 delete horizon
 *   23 lastOffsetDelta       int32
 *   27 baseTimestamp         int64
 *   35 maxTimestamp          int64
 *   43 producerId            int64   -1 = none
 *   51 producerEpoch         int16
 *   53 baseSequence          int32
 *   57 recordsCount          int32
 *   61 records               (compressed as one stream when bits 0-2 of attributes are set)
 *
 * The CRC does not cover baseOffset, batchLength, partitionLeaderEpoch or magic, so the broker
 * rewrites baseOffset and partitionLeaderEpoch in place and the CRC stays valid.
 *
 * @example
 * ```ts
 * const header = validateBatch(bytes, 0, { maxBatchBytes: 1_048_588 });
 * setBaseOffset(bytes, 0, logEndOffset);
 * const next = nextOffsetOf(header); // baseOffset + lastOffsetDelta + 1 (before the rewrite)
 * ```
 */
import { crc32c } from "../wire/crc32c.ts";
import { WireError } from "../wire/wire-error.ts";

/** Byte offsets of every header field inside a batch. */
export const BatchOffset = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
  records: 61,
} as const;

/** Size of the fixed batch header; records start here. */
export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD_BYTES = 12;
/** The smallest legal batchLength (a header with no records). */
export const MIN_BATCH_LENGTH = BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES;
/** CRC-32C covers from here (attributes) to the end of the batch. */
export const CRC_START = BatchOffset.attributes;
export const CURRENT_MAGIC = 2;
/** Default for validateBatch's maxBatchBytes: Kafka's default max.message.bytes (1 MiB + overhead). */
export const DEFAULT_MAX_BATCH_BYTES = 1_048_588;

/** Attribute bits. */
export const Attributes = {
  compressionMask: 0x07,
  timestampTypeLogAppend: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
} as const;

/** Compression codec ids (attributes bits 0-2). */
export const CompressionCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionCodecId = typeof CompressionCodec[keyof typeof CompressionCodec];

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  /** Unsigned 32-bit. */
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** Why a batch was rejected; maps onto Kafka's CORRUPT_MESSAGE / MESSAGE_TOO_LARGE. */
export type BatchErrorKind = "corrupt" | "too-large" | "truncated";

/**
 * A batch failed a check. `kind` says which (storage cuts a truncated or corrupt tail; the
 * broker answers CORRUPT_MESSAGE or MESSAGE_TOO_LARGE); `position` is where the batch starts.
 */
export class RecordBatchError extends WireError {
  override name = "RecordBatchError";
  readonly kind: BatchErrorKind;
  readonly position: number;

  constructor(kind: BatchErrorKind, position: number, message: string) {
    super(message);
    this.kind = kind;
    this.position = position;
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function int64AsNumber(view: DataView, at: number): number {
  return view.getInt32(at) * 0x1_0000_0000 + view.getUint32(at + 4);
}

/** Total size in bytes of the batch at `position` (12 + batchLength), or null if the 12-byte prefix is cut. */
export function batchSizeAt(bytes: Uint8Array, position = 0): number | null {
  if (bytes.length - position < LOG_OVERHEAD_BYTES) return null;
  return LOG_OVERHEAD_BYTES + viewOf(bytes).getInt32(position + BatchOffset.batchLength);
}

/**
 * Read the 61-byte header of the batch at `position`. Checks only that the header bytes exist
 * (throws RecordBatchError "truncated" otherwise); use validateBatch for the full check.
 */
export function readBatchHeader(bytes: Uint8Array, position = 0): BatchHeader {
  if (position < 0 || bytes.length - position < BATCH_HEADER_BYTES) {
    throw new RecordBatchError(
      "truncated",
      position,
      `Truncated record batch header at ${position}: ${
        Math.max(0, bytes.length - position)
      } of ${BATCH_HEADER_BYTES} bytes`,
    );
  }
  const view = viewOf(bytes);
  const at = position;
  return {
    baseOffset: int64AsNumber(view, at + BatchOffset.baseOffset),
    batchLength: view.getInt32(at + BatchOffset.batchLength),
    partitionLeaderEpoch: view.getInt32(at + BatchOffset.partitionLeaderEpoch),
    magic: view.getInt8(at + BatchOffset.magic),
    crc: view.getUint32(at + BatchOffset.crc),
    attributes: view.getInt16(at + BatchOffset.attributes),
    lastOffsetDelta: view.getInt32(at + BatchOffset.lastOffsetDelta),
    baseTimestamp: int64AsNumber(view, at + BatchOffset.baseTimestamp),
    maxTimestamp: int64AsNumber(view, at + BatchOffset.maxTimestamp),
    producerId: view.getBigInt64(at + BatchOffset.producerId),
    producerEpoch: view.getInt16(at + BatchOffset.producerEpoch),
    baseSequence: view.getInt32(at + BatchOffset.baseSequence),
    recordsCount: view.getInt32(at + BatchOffset.recordsCount),
  };
}

export interface ValidateOptions {
  /** Largest accepted total batch size (12 + batchLength); larger is "too-large". */
  maxBatchBytes?: number;
}

/**
 * Check the batch at `position`: magic 2, a sane batchLength, the whole batch present, and its
 * CRC-32C. Returns the header. Throws RecordBatchError with kind "truncated" (bytes end inside
 * the batch), "too-large" (over maxBatchBytes) or "corrupt" (bad magic, length, counts or CRC).
 * Bytes after the batch are ignored; the batch size is 12 + header.batchLength.
 */
export function validateBatch(bytes: Uint8Array, position = 0, options: ValidateOptions = {}): BatchHeader {
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const available = bytes.length - position;
  if (available < LOG_OVERHEAD_BYTES + 5) {
    throw new RecordBatchError(
      "truncated",
      position,
      `Truncated record batch at ${position}: ${available} bytes`,
    );
  }
  const view = viewOf(bytes);
  const batchLength = view.getInt32(position + BatchOffset.batchLength);
  const magic = view.getInt8(position + BatchOffset.magic);
  if (magic !== CURRENT_MAGIC) {
    throw new RecordBatchError("corrupt", position, `Unsupported record batch magic ${magic} at ${position}`);
  }
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new RecordBatchError(
      "corrupt",
      position,
      `Record batch length ${batchLength} below ${MIN_BATCH_LENGTH}`,
    );
  }
  const sizeBytes = LOG_OVERHEAD_BYTES + batchLength;
  if (sizeBytes > maxBatchBytes) {
    throw new RecordBatchError(
      "too-large",
      position,
      `Record batch of ${sizeBytes} bytes over ${maxBatchBytes}`,
    );
  }
  if (sizeBytes > available) {
    throw new RecordBatchError(
      "truncated",
      position,
      `Truncated record batch at ${position}: ${available} of ${sizeBytes} bytes`,
    );
  }
  const header = readBatchHeader(bytes, position);
  if (header.recordsCount < 0 || header.lastOffsetDelta < 0) {
    throw new RecordBatchError(
      "corrupt",
      position,
      `Record batch counts invalid: recordsCount ${header.recordsCount}, lastOffsetDelta ${header.lastOffsetDelta}`,
    );
  }
  const actual = crc32c(bytes, position + CRC_START, position + sizeBytes);
  if (actual !== header.crc) {
    throw new RecordBatchError(
      "corrupt",
      position,
      `Record batch CRC mismatch at ${position}: stored ${hex32(header.crc)}, computed ${hex32(actual)}`,
    );
  }
  return header;
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, "0");
}

/** The offset after the batch's last record: baseOffset + lastOffsetDelta + 1. */
export function nextOffsetOf(header: Pick<BatchHeader, "baseOffset" | "lastOffsetDelta">): number {
  return header.baseOffset + header.lastOffsetDelta + 1;
}

/** Compression codec id of a header's attributes. */
export function compressionOf(attributes: number): number {
  return attributes & Attributes.compressionMask;
}

/** Rewrite baseOffset in place (outside the CRC). `baseOffset` must be a safe integer >= 0. */
export function setBaseOffset(bytes: Uint8Array, position: number, baseOffset: number): void {
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) {
    throw new RangeError(`Invalid base offset: ${baseOffset}`);
  }
  const view = viewOf(bytes);
  const high = Math.floor(baseOffset / 0x1_0000_0000);
  view.setInt32(position + BatchOffset.baseOffset, high);
  view.setUint32(position + BatchOffset.baseOffset + 4, baseOffset - high * 0x1_0000_0000);
}

/** Rewrite partitionLeaderEpoch in place (outside the CRC). */
export function setPartitionLeaderEpoch(bytes: Uint8Array, position: number, epoch: number): void {
  viewOf(bytes).setInt32(position + BatchOffset.partitionLeaderEpoch, epoch);
}

/** One batch found by iterateBatches. */
export interface BatchSlot {
  /** Where the batch starts in the buffer. */
  position: number;
  /** Total size: 12 + batchLength. */
  sizeBytes: number;
  header: BatchHeader;
}

export interface IterateOptions extends ValidateOptions {
  /** Start position (default 0). */
  start?: number;
  /** End position, exclusive (default bytes.length). */
  end?: number;
  /** Check every batch fully (magic, length, CRC) with validateBatch (default true). */
  validate?: boolean;
}

/**
 * Walk consecutive batches in bytes[start, end). Stops cleanly (no error) at a partial trailing
 * batch: the caller learns where whole batches end from the last slot's position + sizeBytes.
 * A batch whose length field is impossible or that fails validation throws RecordBatchError
 * (with its position), so a log recovery can cut there.
 */
export function* iterateBatches(bytes: Uint8Array, options: IterateOptions = {}): Generator<BatchSlot> {
  const end = options.end ?? bytes.length;
  const region = end === bytes.length ? bytes : bytes.subarray(0, end);
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const validate = options.validate ?? true;
  let position = options.start ?? 0;
  while (end - position >= LOG_OVERHEAD_BYTES) {
    const sizeBytes = batchSizeAt(region, position)!;
    if (sizeBytes < BATCH_HEADER_BYTES) {
      throw new RecordBatchError(
        "corrupt",
        position,
        `Record batch length ${sizeBytes - 12} below ${MIN_BATCH_LENGTH}`,
      );
    }
    if (sizeBytes > maxBatchBytes) {
      throw new RecordBatchError(
        "too-large",
        position,
        `Record batch of ${sizeBytes} bytes over ${maxBatchBytes}`,
      );
    }
    if (sizeBytes > end - position) return; // partial trailing batch
    const header = validate
      ? validateBatch(region, position, { maxBatchBytes })
      : readBatchHeader(region, position);
    yield { position, sizeBytes, header };
    position += sizeBytes;
  }
}
