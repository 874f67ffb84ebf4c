/**
 * BatchBuilder: encodes a RecordBatch v2 one record at a time straight into one growing
 * buffer, the producer's hot path. Per record it writes the varint-framed fields and copies
 * key and value; no per-record objects are created. `finish()` fills in the 61-byte header
 * (base offset 0, leader epoch -1, magic 2, CRC-32C over attributes..end) in place; with
 * compression the records section is compressed into a new buffer behind the header.
 *
 * Layout (see src/kafka/record-batch.ts for the grammar): header 61 bytes, then records:
 * length varint, attributes int8, timestampDelta varlong, offsetDelta varint, key, value,
 * headers (count varint, then key/value each length-prefixed).
 *
 * @example
 * ```ts
 * const builder = new BatchBuilder(16_384);
 * builder.append(null, new TextEncoder().encode("hello"), Date.now());
 * const batchBytes = builder.finish();
 * ```
 */
import { crc32c } from "../wire/crc32c.ts";
import type { BufferPool } from "../buffer-pool.ts";
import { invariant } from "../assert.ts";

/** A record header as the client API takes it. */
export interface RecordHeader {
  key: string;
  value: Uint8Array | string | null;
}

export const BATCH_HEADER_BYTES = 61;
const textEncoder = new TextEncoder();

/** An idempotent (or transactional) producer's fields of a batch header. */
export interface ProducerStamp {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  transactional?: boolean;
}

/** A new batch's buffer unless told otherwise: ample for a few records of a few hundred bytes. */
const INITIAL_CAPACITY_BYTES = 4 * 1024;
/** A recycled builder's buffer: any use after recycle() fails on it. */
const RECYCLED = new Uint8Array(0);

export class BatchBuilder {
  /** Stop accepting records (except the first) once the batch would exceed this. */
  readonly limitBytes: number;
  #buffer: Uint8Array;
  #length = BATCH_HEADER_BYTES;
  #count = 0;
  #baseTimestamp = 0;
  #maxTimestamp = -1;
  /** finish() was called: the buffer is the batch's bytes now and must not move. */
  #finished = false;
  readonly #pool: BufferPool | undefined;

  /**
   * `initialCapacityBytes`: the buffer to start with, grown by doubling as records come. Small by
   * default: a producer with linger 0 closes a batch of a few records about every millisecond,
   * and each batch's buffer is an ArrayBuffer outside V8's heap that lives until a collection. At
   * 64 KiB each (the default before) that was ~30 MB a second at 5,000 records/s, which made V8
   * start a full mark-compact every 0.3 s (its global limit counts those bytes); the slowest
   * records of the latency bench were the ones sent during them (issue 14). A partition whose
   * batches fill gets its full size up front (the accumulator passes it).
   *
   * `pool`: where buffers come from and go back to as the batch grows, and when recycle() says
   * the batch is done with (the producer's; none: new buffers, left to the collector).
   */
  constructor(
    limitBytes: number,
    initialCapacityBytes = Math.min(limitBytes + 1024, INITIAL_CAPACITY_BYTES),
    pool?: BufferPool,
  ) {
    this.limitBytes = limitBytes;
    this.#pool = pool;
    this.#buffer = this.#allocate(Math.max(initialCapacityBytes, BATCH_HEADER_BYTES + 64));
  }

  get recordCount(): number {
    return this.#count;
  }

  /** Bytes the batch takes so far (uncompressed). */
  get sizeBytes(): number {
    return this.#length;
  }

  /**
   * Append a record if it fits (the first record always fits); returns its offset delta,
   * or -1 when the batch is full and the caller should start a new one.
   */
  append(
    key: Uint8Array | null,
    value: Uint8Array | null,
    timestamp: number,
    headers?: readonly RecordHeader[],
  ): number {
    if (this.#count === 0) this.#baseTimestamp = timestamp;
    const timestampDelta = timestamp - this.#baseTimestamp;
    const offsetDelta = this.#count;
    const keyLength = key === null ? -1 : key.length;
    const valueLength = value === null ? -1 : value.length;
    let encodedHeaders: Uint8Array[] | undefined;
    let headersSize = 1;
    if (headers && headers.length > 0) {
      encodedHeaders = encodeHeaders(headers);
      headersSize = varintSize(headers.length);
      for (const part of encodedHeaders) headersSize += part.length;
    }
    const bodySize = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta) +
      varintSize(keyLength) + Math.max(0, keyLength) + varintSize(valueLength) + Math.max(0, valueLength) +
      headersSize;
    const recordSize = varintSize(bodySize) + bodySize;
    if (this.#count > 0 && this.#length + recordSize > this.limitBytes) return -1;
    this.#ensure(recordSize);
    const buffer = this.#buffer;
    let at = this.#length;
    at = putVarint(buffer, at, bodySize);
    buffer[at++] = 0; // record attributes
    at = putVarlong(buffer, at, timestampDelta);
    at = putVarint(buffer, at, offsetDelta);
    at = putVarint(buffer, at, keyLength);
    if (key !== null) {
      buffer.set(key, at);
      at += key.length;
    }
    at = putVarint(buffer, at, valueLength);
    if (value !== null) {
      buffer.set(value, at);
      at += value.length;
    }
    if (encodedHeaders) {
      at = putVarint(buffer, at, headers!.length);
      for (const part of encodedHeaders) {
        buffer.set(part, at);
        at += part.length;
      }
    } else {
      buffer[at++] = 0; // no headers
    }
    this.#length = at;
    this.#count++;
    if (timestamp > this.#maxTimestamp) this.#maxTimestamp = timestamp;
    return offsetDelta;
  }

  /**
   * The same records, in order, in new batches of at most limitBytes each (a record over it gets
   * one of its own): for a batch the broker refused as over the topic's max.message.bytes. Each
   * record keeps its timestamp, key, value and headers, copied as encoded; only its offset and
   * timestamp deltas are written anew for its new batch.
   */
  split(limitBytes: number): BatchBuilder[] {
    this.#requireBuffer();
    const pieces: BatchBuilder[] = [];
    let piece = new BatchBuilder(limitBytes, undefined, this.#pool);
    const buffer = this.#buffer;
    let at = BATCH_HEADER_BYTES;
    while (at < this.#length) {
      const body = readVarint(buffer, at);
      const end = body.next + body.value;
      const timestampDelta = readVarlong(buffer, body.next + 1); // after the attributes byte
      const offsetDelta = readVarint(buffer, timestampDelta.next);
      const rest = buffer.subarray(offsetDelta.next, end); // key, value and headers as encoded
      const timestamp = this.#baseTimestamp + timestampDelta.value;
      if (!piece.#appendEncoded(buffer[body.next], timestamp, rest)) {
        pieces.push(piece);
        piece = new BatchBuilder(limitBytes, undefined, this.#pool);
        piece.#appendEncoded(buffer[body.next], timestamp, rest);
      }
      at = end;
    }
    if (piece.recordCount > 0) pieces.push(piece);
    return pieces;
  }

  /** Append a record whose key, value and headers are already encoded (split()); false when full. */
  #appendEncoded(attributes: number, timestamp: number, rest: Uint8Array): boolean {
    if (this.#count === 0) this.#baseTimestamp = timestamp;
    const timestampDelta = timestamp - this.#baseTimestamp;
    const bodySize = 1 + varlongSize(timestampDelta) + varintSize(this.#count) + rest.length;
    const recordSize = varintSize(bodySize) + bodySize;
    if (this.#count > 0 && this.#length + recordSize > this.limitBytes) return false;
    this.#ensure(recordSize);
    let at = putVarint(this.#buffer, this.#length, bodySize);
    this.#buffer[at++] = attributes;
    at = putVarlong(this.#buffer, at, timestampDelta);
    at = putVarint(this.#buffer, at, this.#count);
    this.#buffer.set(rest, at);
    this.#length = at + rest.length;
    this.#count++;
    if (timestamp > this.#maxTimestamp) this.#maxTimestamp = timestamp;
    return true;
  }

  /**
   * The finished batch. `compressionCodec` is the attributes' low 3 bits (0 none, 1 gzip, 2
   * snappy, 3 lz4, 4 zstd) and `compress` turns the records section into its compressed form.
   * `producer` stamps an idempotent producer's id, epoch and first sequence (default: none).
   */
  finish(
    compressionCodec = 0,
    compress?: (records: Uint8Array) => Uint8Array,
    producer?: ProducerStamp,
  ): Uint8Array {
    this.#requireBuffer();
    this.#finished = true;
    let batch = this.#buffer.subarray(0, this.#length);
    if (compressionCodec !== 0 && compress) {
      const compressed = compress(batch.subarray(BATCH_HEADER_BYTES));
      const joined = new Uint8Array(BATCH_HEADER_BYTES + compressed.length);
      joined.set(compressed, BATCH_HEADER_BYTES);
      batch = joined;
    }
    const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    view.setBigInt64(0, 0n); // base offset: the broker assigns it
    view.setInt32(8, batch.length - 12); // batch length
    view.setInt32(12, -1); // partition leader epoch: the broker writes it
    view.setInt8(16, 2); // magic
    // attributes: the codec, CreateTime, transactional when the producer says so
    view.setInt16(21, (compressionCodec & 0x07) | (producer?.transactional ? 0x10 : 0));
    view.setInt32(23, this.#count - 1); // last offset delta
    setInt64(view, 27, this.#baseTimestamp);
    setInt64(view, 35, this.#maxTimestamp);
    view.setBigInt64(43, producer?.producerId ?? -1n); // -1: not idempotent
    view.setInt16(51, producer?.producerEpoch ?? -1);
    view.setInt32(53, producer?.baseSequence ?? -1);
    view.setInt32(57, this.#count);
    view.setUint32(17, crc32c(batch, 21, batch.length));
    return batch;
  }

  /**
   * Give the buffer back to the pool: the batch is done with (its produce answered, so no request
   * still reads its bytes). The builder and the bytes finish() returned must not be used after;
   * the builder fails loudly if it is. A second call does nothing.
   */
  recycle(): void {
    if (this.#buffer === RECYCLED) return;
    const buffer = this.#buffer;
    this.#buffer = RECYCLED;
    this.#pool?.give(buffer);
  }

  #allocate(capacity: number): Uint8Array {
    return this.#pool === undefined ? new Uint8Array(capacity) : this.#pool.take(capacity);
  }

  #requireBuffer(): void {
    invariant(this.#buffer !== RECYCLED, () => "BatchBuilder used after recycle()");
  }

  #ensure(extraBytes: number): void {
    const needed = this.#length + extraBytes;
    if (needed <= this.#buffer.length) return;
    this.#requireBuffer();
    invariant(!this.#finished, () => "BatchBuilder grown after finish()");
    let capacity = this.#buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = this.#allocate(capacity);
    grown.set(this.#buffer.subarray(0, this.#length));
    // Nothing else holds the old buffer before finish(): it can go back at once.
    this.#pool?.give(this.#buffer);
    this.#buffer = grown;
  }
}

function encodeHeaders(headers: readonly RecordHeader[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  const scratch = new Uint8Array(10);
  for (const header of headers) {
    const key = textEncoder.encode(header.key);
    const value = header.value === null
      ? null
      : typeof header.value === "string"
      ? textEncoder.encode(header.value)
      : header.value;
    parts.push(scratch.slice(0, putVarint(scratch, 0, key.length)), key);
    parts.push(scratch.slice(0, putVarint(scratch, 0, value === null ? -1 : value.length)));
    if (value !== null) parts.push(value);
  }
  return parts;
}

function setInt64(view: DataView, at: number, value: number): void {
  const high = Math.floor(value / 0x1_0000_0000);
  view.setInt32(at, high);
  view.setUint32(at + 4, value - high * 0x1_0000_0000);
}

/** Bytes of a zigzag varint. */
export function varintSize(value: number): number {
  let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  let size = 1;
  while (zigzag >= 0x80) {
    zigzag >>>= 7;
    size++;
  }
  return size;
}

function varlongSize(value: number): number {
  if (value >= -0x4000_0000 && value < 0x4000_0000) return varintSize(value);
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (zigzag >= 128) {
    zigzag = Math.floor(zigzag / 128);
    size++;
  }
  return size;
}

function putVarint(buffer: Uint8Array, at: number, value: number): number {
  let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  while (zigzag >= 0x80) {
    buffer[at++] = (zigzag & 0x7f) | 0x80;
    zigzag >>>= 7;
  }
  buffer[at++] = zigzag;
  return at;
}

/** A zigzag varint this builder wrote, and where the next field starts. */
function readVarint(buffer: Uint8Array, at: number): { value: number; next: number } {
  let raw = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = buffer[at++];
    raw |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  raw >>>= 0;
  return { value: (raw >>> 1) ^ -(raw & 1), next: at };
}

/** A zigzag varlong this builder wrote (|value| < 2^52, as putVarlong), and where the next field starts. */
function readVarlong(buffer: Uint8Array, at: number): { value: number; next: number } {
  let raw = 0;
  let scale = 1;
  let byte: number;
  do {
    byte = buffer[at++];
    raw += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte & 0x80);
  return { value: raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2, next: at };
}

/** Zigzag varlong for |value| < 2^52 with plain arithmetic (timestamps deltas fit easily). */
function putVarlong(buffer: Uint8Array, at: number, value: number): number {
  if (value >= -0x4000_0000 && value < 0x4000_0000) return putVarint(buffer, at, value);
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  while (zigzag >= 128) {
    buffer[at++] = (zigzag % 128) | 0x80;
    zigzag = Math.floor(zigzag / 128);
  }
  buffer[at++] = zigzag;
  return at;
}
