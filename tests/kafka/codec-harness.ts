/**
 * Shared by the API codec tests: hex fixtures and a write-then-read round trip that also
 * checks the reader consumed exactly what the writer produced.
 */
import { Reader } from "../../src/wire/reader.ts";
import { Writer } from "../../src/wire/writer.ts";

export type WriteFn<T> = (writer: Writer, version: number, value: T) => void;
export type ReadFn<T> = (reader: Reader, version: number) => T;

/** "00 0a ff" (spaces and newlines ignored) → bytes. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) throw new Error(`Bad hex: ${text}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function encode<T>(write: WriteFn<T>, version: number, value: T): Uint8Array {
  const writer = new Writer(16);
  write(writer, version, value);
  return writer.toBytes();
}

/** Read bytes with a version and insist that nothing is left over. */
export function decode<T>(read: ReadFn<T>, version: number, bytes: Uint8Array): T {
  const reader = new Reader(bytes);
  const value = read(reader, version);
  reader.expectEnd(`v${version}`);
  return value;
}

export function roundTrip<T>(write: WriteFn<T>, read: ReadFn<T>, version: number, value: T): T {
  return decode(read, version, encode(write, version, value));
}

/** Every integer from min to max inclusive. */
export function versions(min: number, max: number): number[] {
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

export const bytesOf = (...values: number[]) => new Uint8Array(values);
