/**
 * Reader: a bounds-checked big-endian cursor over untrusted bytes. Every read checks
 * that the bytes exist and every length prefix is checked against what is left, so a
 * hostile frame can only produce a {@link WireError}, never a huge allocation.
 *
 * @example
 * ```ts
 * const reader = new Reader(bytes);
 * const count = reader.int32();
 * ```
 */
import { WireError } from "./wire-error.ts";

const textDecoder = new TextDecoder("utf-8", { fatal: true });

export class Reader {
  readonly source: Uint8Array;
  #view: DataView;
  #position: number;
  readonly #end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.source = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#position = start;
    this.#end = end;
  }

  get position(): number {
    return this.#position;
  }

  get remaining(): number {
    return this.#end - this.#position;
  }

  #take(sizeBytes: number): number {
    if (sizeBytes < 0 || this.#position + sizeBytes > this.#end) {
      throw new WireError(
        `Truncated input: needed ${sizeBytes} bytes at ${this.#position}, ${this.remaining} left`,
      );
    }
    const at = this.#position;
    this.#position += sizeBytes;
    return at;
  }

  int8(): number {
    return this.#view.getInt8(this.#take(1));
  }

  uint8(): number {
    return this.#view.getUint8(this.#take(1));
  }

  bool(): boolean {
    return this.uint8() !== 0;
  }

  int16(): number {
    return this.#view.getInt16(this.#take(2));
  }

  int32(): number {
    return this.#view.getInt32(this.#take(4));
  }

  uint32(): number {
    return this.#view.getUint32(this.#take(4));
  }

  int64(): bigint {
    return this.#view.getBigInt64(this.#take(8));
  }

  /** int64 as a JS number; exact while |value| <= 2^53 (offsets, timestamps, session ids fit). */
  int64n(): number {
    const at = this.#take(8);
    return this.#view.getInt32(at) * 0x1_0000_0000 + this.#view.getUint32(at + 4);
  }

  float64(): number {
    return this.#view.getFloat64(this.#take(8));
  }

  /** The next sizeBytes bytes as a view (no copy). */
  raw(sizeBytes: number): Uint8Array {
    const at = this.#take(sizeBytes);
    return this.source.subarray(at, at + sizeBytes);
  }

  skip(sizeBytes: number): void {
    this.#take(sizeBytes);
  }

  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.uint8();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new WireError("Malformed varint: more than 5 bytes");
  }

  varint(): number {
    const zigzag = this.uvarint() >>> 0;
    return (zigzag >>> 1) ^ -(zigzag & 1);
  }

  /** Zigzag varlong as a number (exact for |value| <= 2^53). */
  varlong(): number {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.uint8();
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        const value = (result >> 1n) ^ -(result & 1n);
        return Number(BigInt.asIntN(64, value));
      }
    }
    throw new WireError("Malformed varlong: more than 10 bytes");
  }

  #text(sizeBytes: number): string {
    try {
      return textDecoder.decode(this.raw(sizeBytes));
    } catch (error) {
      if (error instanceof WireError) throw error;
      throw new WireError("Invalid UTF-8 in string");
    }
  }

  /** int16-length string; -1 = null. */
  string(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    if (length < 0) throw new WireError(`Invalid string length: ${length}`);
    return this.#text(length);
  }

  /** int32-length string (jute); -1 = null. */
  string32(): string | null {
    const length = this.int32();
    if (length === -1) return null;
    if (length < 0) throw new WireError(`Invalid string length: ${length}`);
    return this.#text(length);
  }

  /** int32-length bytes; -1 = null. Returns a view, not a copy. */
  bytes(): Uint8Array | null {
    const length = this.int32();
    if (length === -1) return null;
    if (length < 0) throw new WireError(`Invalid bytes length: ${length}`);
    return this.raw(length);
  }

  compactString(): string | null {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0) return null;
    return this.#text(lengthPlusOne - 1);
  }

  compactBytes(): Uint8Array | null {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0) return null;
    return this.raw(lengthPlusOne - 1);
  }

  /**
   * int32-count array; -1 = null. The count is checked against the bytes left
   * (each item takes at least minItemBytes) before anything is allocated.
   */
  array<T>(readItem: (reader: Reader) => T, minItemBytes = 1): T[] | null {
    const count = this.int32();
    if (count === -1) return null;
    return this.#items(count, readItem, minItemBytes);
  }

  compactArray<T>(readItem: (reader: Reader) => T, minItemBytes = 1): T[] | null {
    const countPlusOne = this.uvarint();
    if (countPlusOne === 0) return null;
    return this.#items(countPlusOne - 1, readItem, minItemBytes);
  }

  #items<T>(count: number, readItem: (reader: Reader) => T, minItemBytes: number): T[] {
    if (count < 0 || count * minItemBytes > this.remaining) {
      throw new WireError(`Invalid array count: ${count} with ${this.remaining} bytes left`);
    }
    const items = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = readItem(this);
    return items;
  }

  /** Skip a Kafka tagged-fields section (we define no tags of our own). */
  skipTags(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      this.skip(this.uvarint());
    }
  }

  /** Assert the whole input was consumed. */
  expectEnd(what: string): void {
    if (this.remaining !== 0) throw new WireError(`${what}: ${this.remaining} unexpected trailing bytes`);
  }
}
