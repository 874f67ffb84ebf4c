/**
 * RecordBatch v2 (magic 2): the unit the broker stores and serves. The first half of this
 * module reads and checks batch headers and rewrites the two fields the broker owns, without
 * decoding records (the broker moves bytes); the second half encodes and decodes records for
 * clients (encodeRecordBatch / decodeRecordBatch / decodeRecordBatches).
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
import { Writer } from "../wire/writer.ts";
import {
  codecFromName,
  compress,
  CompressionCodec,
  CompressionError,
  type CompressionName,
  decompress,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
} from "./compression.ts";

export { CompressionCodec, type CompressionCodecId, type CompressionName } from "./compression.ts";

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

/**
 * Why a batch was rejected; maps onto Kafka's CORRUPT_MESSAGE / MESSAGE_TOO_LARGE /
 * UNSUPPORTED_FOR_MESSAGE_FORMAT. "unsupported" is an old magic 0/1 message set, or (from
 * decodeRecordBatch only) an unknown compression codec.
 */
export type BatchErrorKind = "corrupt" | "too-large" | "truncated" | "unsupported";

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
 * the batch), "too-large" (over maxBatchBytes), "unsupported" (magic 0/1) or "corrupt" (bad
 * magic, length, counts or CRC).
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
  if (magic === 0 || magic === 1) {
    // A pre-0.11 message set: well-formed, but a format this broker does not store.
    throw new RecordBatchError(
      "unsupported",
      position,
      `Message format magic ${magic} at ${position} is not supported`,
    );
  }
  if (magic !== CURRENT_MAGIC) {
    throw new RecordBatchError("corrupt", position, `Unknown record batch magic ${magic} at ${position}`);
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

/**
 * Turn a batch into LogAppendTime in place, as a broker does for topics with
 * message.timestamp.type=LogAppendTime: set the timestamp-type bit and maxTimestamp (consumers
 * then read every record's timestamp as maxTimestamp) and recompute the CRC, which covers both.
 * The only batch rewrite that costs a CRC pass; records are not touched.
 */
export function stampLogAppendTime(bytes: Uint8Array, position: number, timestampMs: number): void {
  const header = readBatchHeader(bytes, position);
  const view = viewOf(bytes);
  view.setInt16(position + BatchOffset.attributes, header.attributes | Attributes.timestampTypeLogAppend);
  const high = Math.floor(timestampMs / 0x1_0000_0000);
  view.setInt32(position + BatchOffset.maxTimestamp, high);
  view.setUint32(position + BatchOffset.maxTimestamp + 4, timestampMs - high * 0x1_0000_0000);
  const end = position + LOG_OVERHEAD_BYTES + header.batchLength;
  view.setUint32(position + BatchOffset.crc, crc32c(bytes, position + CRC_START, end));
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

// --- Records: full encode / decode (the client's side; the broker never calls these) ---------
//
// Record (inside the records section, or inside its decompressed stream):
//   length         varint   bytes after this field
//   attributes     int8     unused, 0
//   timestampDelta varlong  from baseTimestamp
//   offsetDelta    varint   from baseOffset
//   keyLength      varint   -1 = null, then key bytes
//   valueLength    varint   -1 = null, then value bytes
//   headerCount    varint
//   headers        headerKeyLength varint + UTF-8 key, headerValueLength varint (-1 = null) + value

/** A record header as decoded: UTF-8 key, raw value. */
export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

/** A record to encode. Strings are written as UTF-8. */
export interface RecordInput {
  key?: Uint8Array | string | null;
  value: Uint8Array | string | null;
  headers?: readonly { key: string; value: Uint8Array | string | null }[];
  /** Milliseconds since the epoch; default: now. */
  timestamp?: number;
}

/** What encodeRecordBatch needs. Defaults are what the Java producer writes without idempotence. */
export interface EncodeBatchInput {
  records: readonly RecordInput[];
  /** Default 0 (the broker assigns the real one). */
  baseOffset?: number;
  /** Default -1 (the broker writes its own). */
  partitionLeaderEpoch?: number;
  /** Codec id or name; default none. */
  compression?: number | CompressionName;
  /** Default -1n (no producer id). */
  producerId?: bigint;
  /** Default -1. */
  producerEpoch?: number;
  /** Default -1. */
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  /** Set the LogAppendTime timestamp-type bit. */
  logAppendTime?: boolean;
}

/** A decoded record: absolute offset and timestamp; key/value are views into the decoded bytes. */
export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

export interface DecodedBatch extends BatchHeader {
  compression: number;
  transactional: boolean;
  /** Control batches carry transaction markers, not user data: consumers skip their records. */
  control: boolean;
  logAppendTime: boolean;
  /** Total size of the batch in bytes (12 + batchLength). */
  sizeBytes: number;
  records: DecodedRecord[];
}

export interface DecodeOptions extends ValidateOptions {
  /**
   * Largest accepted batch (default 64 MiB, not the broker's 1 MiB: a client must read whatever
   * a topic's max.message.bytes let through).
   */
  maxBatchBytes?: number;
  /** Bound on one batch's decompressed records (default 64 MiB). */
  maxDecompressedBytes?: number;
}

/** Default DecodeOptions.maxBatchBytes. */
export const DEFAULT_MAX_DECODE_BATCH_BYTES = 64 * 1024 * 1024;

const textEncoder = new TextEncoder();
const headerKeyDecoder = new TextDecoder("utf-8", { fatal: true });
/** Reused between calls (encoding is synchronous); they grow to the largest batch seen. */
const batchWriter = new Writer(16 * 1024);
const recordsWriter = new Writer(16 * 1024);

function asBytes(value: Uint8Array | string | null | undefined): Uint8Array | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? textEncoder.encode(value) : value;
}

function varintSize(value: number): number {
  const zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  return zigzag < 0x80 ? 1 : zigzag < 0x4000 ? 2 : zigzag < 0x20_0000 ? 3 : zigzag < 0x1000_0000 ? 4 : 5;
}

function varlongSize(value: number): number {
  if (value >= -0x4000_0000 && value < 0x4000_0000) return varintSize(value);
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (zigzag >= 0x80) {
    zigzag = Math.floor(zigzag / 0x80);
    size++;
  }
  return size;
}

function sizedBytes(bytes: Uint8Array | null): number {
  return bytes === null ? 1 : varintSize(bytes.length) + bytes.length;
}

function writeSizedBytes(writer: Writer, bytes: Uint8Array | null): void {
  if (bytes === null) writer.varint(-1);
  else writer.varint(bytes.length).raw(bytes);
}

type EncodedHeader = readonly [Uint8Array, Uint8Array | null];
const NO_HEADERS: readonly EncodedHeader[] = [];

function writeRecord(writer: Writer, record: RecordInput, offsetDelta: number, timestampDelta: number): void {
  const key = asBytes(record.key);
  const value = asBytes(record.value);
  const headers = record.headers === undefined || record.headers.length === 0
    ? NO_HEADERS
    : record.headers.map((h): EncodedHeader => [textEncoder.encode(h.key), asBytes(h.value)]);
  let bodyBytes = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta) + sizedBytes(key) +
    sizedBytes(value) + varintSize(headers.length);
  for (const [headerKey, headerValue] of headers) {
    bodyBytes += sizedBytes(headerKey) + sizedBytes(headerValue);
  }
  writer.varint(bodyBytes).int8(0).varlong(timestampDelta).varint(offsetDelta);
  writeSizedBytes(writer, key);
  writeSizedBytes(writer, value);
  writer.varint(headers.length);
  for (const [headerKey, headerValue] of headers) {
    writeSizedBytes(writer, headerKey);
    writeSizedBytes(writer, headerValue);
  }
}

/**
 * Encode records as one RecordBatch v2 with its CRC-32C; compressed when asked.
 *
 * @example
 * ```ts
 * const bytes = encodeRecordBatch({ records: [{ key: "k", value: "v", timestamp: 0 }], compression: "gzip" });
 * ```
 */
export function encodeRecordBatch(input: EncodeBatchInput): Uint8Array {
  const records = input.records;
  if (records.length === 0) throw new RangeError("A record batch needs at least one record");
  const codec = typeof input.compression === "string"
    ? codecFromName(input.compression)
    : input.compression ?? CompressionCodec.none;
  const now = Date.now();
  const baseTimestamp = records[0].timestamp ?? now;
  let maxTimestamp = baseTimestamp;
  for (const record of records) maxTimestamp = Math.max(maxTimestamp, record.timestamp ?? now);
  const attributes = (codec & Attributes.compressionMask) |
    (input.logAppendTime ? Attributes.timestampTypeLogAppend : 0) |
    (input.transactional ? Attributes.transactional : 0) | (input.control ? Attributes.control : 0);

  const writer = batchWriter.reset();
  writer.int64n(input.baseOffset ?? 0).int32(0).int32(input.partitionLeaderEpoch ?? -1).int8(CURRENT_MAGIC)
    .uint32(0).int16(attributes).int32(records.length - 1).int64n(baseTimestamp).int64n(maxTimestamp)
    .int64(input.producerId ?? -1n).int16(input.producerEpoch ?? -1).int32(input.baseSequence ?? -1)
    .int32(records.length);
  const target = codec === CompressionCodec.none ? writer : recordsWriter.reset();
  for (let i = 0; i < records.length; i++) {
    writeRecord(target, records[i], i, (records[i].timestamp ?? now) - baseTimestamp);
  }
  if (target !== writer) writer.raw(compress(codec, target.view()));
  writer.setInt32At(BatchOffset.batchLength, writer.length - LOG_OVERHEAD_BYTES);
  writer.setUint32At(BatchOffset.crc, crc32c(writer.view(), CRC_START));
  return writer.toBytes();
}

/** Turn a decoding failure into a RecordBatchError of the right kind. */
function asBatchError(error: unknown, position: number): unknown {
  if (error instanceof RecordBatchError) return error;
  if (error instanceof CompressionError) {
    const kind = error.kind === "too-large"
      ? "too-large"
      : error.kind === "unsupported"
      ? "unsupported"
      : "corrupt";
    return new RecordBatchError(kind, position, error.message);
  }
  if (error instanceof WireError) {
    return new RecordBatchError("corrupt", position, `Malformed records: ${error.message}`);
  }
  return error;
}

/**
 * Decode the batch at `position`: validate it (magic, sizes, CRC), decompress with a bound,
 * and return its header, flags and records (offset = baseOffset + offsetDelta; timestamp =
 * baseTimestamp + delta, or maxTimestamp for LogAppendTime). Control and transactional batches
 * decode like any other and say so in `control` / `transactional`.
 * Throws RecordBatchError ("corrupt", "too-large", "truncated", "unsupported").
 */
export function decodeRecordBatch(
  bytes: Uint8Array,
  position = 0,
  options: DecodeOptions = {},
): DecodedBatch {
  const header = validateBatch(bytes, position, {
    maxBatchBytes: options.maxBatchBytes ?? DEFAULT_MAX_DECODE_BATCH_BYTES,
  });
  const sizeBytes = LOG_OVERHEAD_BYTES + header.batchLength;
  const codec = header.attributes & Attributes.compressionMask;
  try {
    const section = bytes.subarray(position + BATCH_HEADER_BYTES, position + sizeBytes);
    const plain = decompress(codec, section, options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
    const logAppendTime = (header.attributes & Attributes.timestampTypeLogAppend) !== 0;
    return {
      ...header,
      compression: codec,
      transactional: (header.attributes & Attributes.transactional) !== 0,
      control: (header.attributes & Attributes.control) !== 0,
      logAppendTime,
      sizeBytes,
      records: readRecords(plain, header, logAppendTime),
    };
  } catch (error) {
    throw asBatchError(error, position);
  }
}

/**
 * A bounds-checked cursor specialised for records. The general Reader decodes varlongs through
 * BigInt; records carry one per record (the timestamp delta), so this cursor decodes varints
 * with plain numbers, exact up to 2^53, which is what makes decoding keep up with a consumer.
 */
class RecordCursor {
  position: number;
  constructor(readonly bytes: Uint8Array, readonly end: number) {
    this.position = 0;
  }

  #byte(): number {
    if (this.position >= this.end) throw new WireError(`Truncated record at ${this.position}`);
    return this.bytes[this.position++];
  }

  /** Zigzag varint, up to 10 bytes, as a number (exact while |value| <= 2^53). */
  varlong(): number {
    let byte = this.#byte();
    if (byte < 0x80) return (byte >>> 1) ^ -(byte & 1);
    let unsigned = byte & 0x7f;
    let scale = 0x80;
    for (let i = 1; i < 10; i++) {
      byte = this.#byte();
      unsigned += (byte & 0x7f) * scale;
      if (byte < 0x80) return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
      scale *= 0x80;
    }
    throw new WireError("Malformed varint: more than 10 bytes");
  }

  /** Zigzag varint that must fit in 32 bits. */
  varint(): number {
    const value = this.varlong();
    if (value < -0x8000_0000 || value > 0x7fff_ffff) throw new WireError(`Varint out of range: ${value}`);
    return value;
  }

  /** varint length (-1 = null) then that many bytes, as a view. */
  sizedBytes(): Uint8Array | null {
    const length = this.varint();
    if (length === -1) return null;
    if (length < 0 || length > this.end - this.position) {
      throw new WireError(`Invalid record field length ${length}`);
    }
    const at = this.position;
    this.position += length;
    return this.bytes.subarray(at, at + length);
  }
}

function readRecords(plain: Uint8Array, header: BatchHeader, logAppendTime: boolean): DecodedRecord[] {
  const cursor = new RecordCursor(plain, plain.length);
  const records: DecodedRecord[] = [];
  for (let i = 0; i < header.recordsCount; i++) {
    if (cursor.position >= cursor.end) {
      throw new WireError(`Batch declares ${header.recordsCount} records but holds ${i}`);
    }
    records.push(readRecord(cursor, header, logAppendTime));
  }
  if (cursor.position !== cursor.end) {
    throw new WireError(`Record batch: ${cursor.end - cursor.position} unexpected trailing bytes`);
  }
  return records;
}

function readRecord(cursor: RecordCursor, header: BatchHeader, logAppendTime: boolean): DecodedRecord {
  const length = cursor.varint();
  if (length < 0 || length > cursor.end - cursor.position) {
    throw new WireError(`Invalid record length ${length}`);
  }
  const end = cursor.position + length;
  cursor.position++; // attributes: unused (bounds are checked by the end comparison below)
  const timestampDelta = cursor.varlong();
  const offsetDelta = cursor.varint();
  const key = cursor.sizedBytes();
  const value = cursor.sizedBytes();
  const headerCount = cursor.varint();
  if (headerCount < 0 || headerCount * 2 > end - cursor.position) {
    throw new WireError(`Invalid record header count ${headerCount}`);
  }
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const keyBytes = cursor.sizedBytes();
    if (keyBytes === null) throw new WireError("Null record header key");
    let headerKey: string;
    try {
      headerKey = headerKeyDecoder.decode(keyBytes);
    } catch {
      // The decoder's TypeError is replaced by the wire error callers handle.
      throw new WireError("Invalid UTF-8 in record header key");
    }
    headers.push({ key: headerKey, value: cursor.sizedBytes() });
  }
  if (cursor.position !== end) throw new WireError(`Record length ${length} does not match its fields`);
  return {
    offset: header.baseOffset + offsetDelta,
    timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
    key,
    value,
    headers,
  };
}

/**
 * Decode every whole batch in a buffer (a Fetch response's records), stopping quietly at a
 * partial trailing batch, as brokers cut fetch responses at max_bytes.
 */
export function decodeRecordBatches(bytes: Uint8Array, options: DecodeOptions = {}): DecodedBatch[] {
  const batches: DecodedBatch[] = [];
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_DECODE_BATCH_BYTES;
  for (const slot of iterateBatches(bytes, { maxBatchBytes, validate: false })) {
    batches.push(decodeRecordBatch(bytes, slot.position, options));
  }
  return batches;
}

/** Control record type from a control record's key (0 = abort, 1 = commit), or -1 if unreadable. */
export function controlRecordType(key: Uint8Array | null): number {
  if (key === null || key.length < 4) return -1;
  return (key[2] << 8) | key[3];
}
