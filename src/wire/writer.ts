/**
 * Writer: a growable big-endian byte buffer with chainable primitives for both
 * wire protocols (ZooKeeper jute and Kafka, including Kafka's flexible "compact" forms).
 *
 * One Writer can be reset and reused so hot paths do not allocate a buffer per message.
 *
 * @example
 * ```ts
 * const bytes = new Writer().int32(7).string("hi").toBytes();
 * ```
 */
const textEncoder = new TextEncoder();

/** rawShared takes arrays at least this large by reference; smaller ones are cheaper to copy. */
const SHARE_MIN_BYTES = 64 * 1024;

export class Writer {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;
  /**
   * Finished parts before #buffer (see rawShared): views of earlier buffers and large byte
   * arrays taken by reference. Empty for every writer that never calls rawShared.
   */
  #parts: Uint8Array[] = [];
  #partsBytes = 0;
  /** Which of #parts are callers' arrays (the others are views of this writer's buffers). */
  #shared = new Set<Uint8Array>();

  constructor(initialCapacityBytes = 256) {
    this.#buffer = new Uint8Array(initialCapacityBytes);
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#partsBytes + this.#length;
  }

  /** Forget the contents but keep the allocated capacity. */
  reset(): this {
    this.#length = 0;
    if (this.#parts.length > 0) {
      this.#parts = [];
      this.#shared.clear();
    }
    this.#partsBytes = 0;
    return this;
  }

  #ensure(extraBytes: number): void {
    const needed = this.#length + extraBytes;
    if (needed <= this.#buffer.length) return;
    let capacity = this.#buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }

  int8(value: number): this {
    this.#ensure(1);
    this.#view.setInt8(this.#length, value);
    this.#length += 1;
    return this;
  }

  uint8(value: number): this {
    this.#ensure(1);
    this.#buffer[this.#length++] = value;
    return this;
  }

  bool(value: boolean): this {
    return this.uint8(value ? 1 : 0);
  }

  int16(value: number): this {
    this.#ensure(2);
    this.#view.setInt16(this.#length, value);
    this.#length += 2;
    return this;
  }

  int32(value: number): this {
    this.#ensure(4);
    this.#view.setInt32(this.#length, value);
    this.#length += 4;
    return this;
  }

  uint32(value: number): this {
    this.#ensure(4);
    this.#view.setUint32(this.#length, value);
    this.#length += 4;
    return this;
  }

  int64(value: bigint): this {
    this.#ensure(8);
    this.#view.setBigInt64(this.#length, value);
    this.#length += 8;
    return this;
  }

  /** int64 from a JS number; callers promise |value| <= 2^53. */
  int64n(value: number): this {
    this.#ensure(8);
    const high = Math.floor(value / 0x1_0000_0000);
    this.#view.setInt32(this.#length, high);
    this.#view.setUint32(this.#length + 4, value - high * 0x1_0000_0000);
    this.#length += 8;
    return this;
  }

  float64(value: number): this {
    this.#ensure(8);
    this.#view.setFloat64(this.#length, value);
    this.#length += 8;
    return this;
  }

  /** Raw bytes with no length prefix. */
  raw(bytes: Uint8Array): this {
    this.#ensure(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }

  /**
   * Raw bytes with no length prefix, taken by reference when large: the caller must not change
   * them until the output (toChunks) is written. A fetch response's record batches go to the
   * socket this way without being copied into the writer (and without growing it to their
   * size). Small arrays are copied as raw() does. Positions patched later (setInt32At) must
   * lie after the last large array.
   */
  rawShared(bytes: Uint8Array): this {
    if (bytes.length < SHARE_MIN_BYTES) return this.raw(bytes);
    if (this.#length > 0) this.#parts.push(this.#buffer.subarray(0, this.#length));
    this.#parts.push(bytes);
    this.#shared.add(bytes);
    this.#partsBytes += this.#length + bytes.length;
    // A fresh buffer: the view just taken of the old one must never be written over.
    this.#buffer = new Uint8Array(256);
    this.#view = new DataView(this.#buffer.buffer);
    this.#length = 0;
    return this;
  }

  /** Unsigned LEB128 varint (Kafka compact lengths, tag counts). */
  uvarint(value: number): this {
    if (value < 0 || !Number.isInteger(value)) throw new RangeError(`Invalid unsigned varint: ${value}`);
    this.#ensure(5);
    while (value >= 0x80) {
      this.#buffer[this.#length++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.#buffer[this.#length++] = value;
    return this;
  }

  /** Zigzag varint (32-bit signed), as in Kafka records. */
  varint(value: number): this {
    return this.uvarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  /** Zigzag varlong (64-bit signed). Takes a number; exact for |value| <= 2^53. */
  varlong(value: number): this {
    if (value >= -0x4000_0000 && value < 0x4000_0000) return this.varint(value);
    let zigzag = BigInt.asUintN(64, (BigInt(value) << 1n) ^ (BigInt(value) >> 63n));
    this.#ensure(10);
    while (zigzag >= 0x80n) {
      this.#buffer[this.#length++] = Number(zigzag & 0x7fn) | 0x80;
      zigzag >>= 7n;
    }
    this.#buffer[this.#length++] = Number(zigzag);
    return this;
  }

  // --- Length-prefixed forms -------------------------------------------------

  /** int16-length string (Kafka STRING / NULLABLE_STRING); null writes -1. */
  string(value: string | null): this {
    if (value === null) return this.int16(-1);
    const bytes = textEncoder.encode(value);
    return this.int16(bytes.length).raw(bytes);
  }

  /** int32-length string (ZooKeeper jute ustring); null writes -1. */
  string32(value: string | null): this {
    if (value === null) return this.int32(-1);
    const bytes = textEncoder.encode(value);
    return this.int32(bytes.length).raw(bytes);
  }

  /** int32-length bytes (Kafka BYTES, jute buffer); null writes -1. */
  bytes(value: Uint8Array | null): this {
    if (value === null) return this.int32(-1);
    return this.int32(value.length).raw(value);
  }

  /** Kafka COMPACT_(NULLABLE_)STRING: uvarint(N+1), 0 = null. */
  compactString(value: string | null): this {
    if (value === null) return this.uvarint(0);
    const bytes = textEncoder.encode(value);
    return this.uvarint(bytes.length + 1).raw(bytes);
  }

  /** Kafka COMPACT_(NULLABLE_)BYTES: uvarint(N+1), 0 = null. */
  compactBytes(value: Uint8Array | null): this {
    if (value === null) return this.uvarint(0);
    return this.uvarint(value.length + 1).raw(value);
  }

  /** int32-count array; null writes -1. */
  array<T>(items: readonly T[] | null, writeItem: (writer: this, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  /** Kafka COMPACT_ARRAY: uvarint(N+1), 0 = null. */
  compactArray<T>(items: readonly T[] | null, writeItem: (writer: this, item: T) => void): this {
    if (items === null) return this.uvarint(0);
    this.uvarint(items.length + 1);
    for (const item of items) writeItem(this, item);
    return this;
  }

  /** An empty Kafka tagged-fields section. */
  emptyTags(): this {
    return this.uint8(0);
  }

  // --- Patching (for length and CRC fields written before their contents) ---

  setInt32At(position: number, value: number): this {
    position -= this.#partsBytes;
    if (position < 0) throw new RangeError("Cannot patch bytes written before a shared array");
    this.#view.setInt32(position, value);
    return this;
  }

  setUint32At(position: number, value: number): this {
    position -= this.#partsBytes;
    if (position < 0) throw new RangeError("Cannot patch bytes written before a shared array");
    this.#view.setUint32(position, value);
    return this;
  }

  /** A view of the bytes written (valid until the next write); a copy after rawShared. */
  view(): Uint8Array {
    if (this.#parts.length > 0) return this.toBytes();
    return this.#buffer.subarray(0, this.#length);
  }

  /** A copy of the bytes written. */
  toBytes(): Uint8Array {
    if (this.#parts.length === 0) return this.#buffer.slice(0, this.#length);
    const bytes = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.toChunks()) {
      bytes.set(part, at);
      at += part.length;
    }
    return bytes;
  }

  /**
   * The bytes written as consecutive views, without copying (large arrays given to rawShared
   * are among them by reference). Valid until the next write.
   */
  toChunks(): Uint8Array[] {
    const current = this.#buffer.subarray(0, this.#length);
    if (this.#parts.length === 0) return [current];
    return this.#length > 0 ? [...this.#parts, current] : [...this.#parts];
  }

  /**
   * Like toChunks, but the writer's own bytes are copied, so the writer can be reset and reused
   * while the chunks are still being sent; arrays given to rawShared stay by reference.
   */
  toChunksCopied(): Uint8Array[] {
    if (this.#parts.length === 0) return [this.#buffer.slice(0, this.#length)];
    const chunks = this.#parts.map((part) => this.#shared.has(part) ? part : part.slice());
    if (this.#length > 0) chunks.push(this.#buffer.slice(0, this.#length));
    return chunks;
  }
}
