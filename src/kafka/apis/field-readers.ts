/**
 * Small helpers shared by the API codecs in this folder: a version guard and readers for
 * the schema's non-nullable fields. Reader.string/bytes/array return null for a -1
 * length; a field the schema declares non-nullable must not be null, so these turn that
 * into a WireError naming the field (Kafka's own brokers reject such a request too).
 */
import type { Reader } from "../../wire/reader.ts";
import { WireError } from "../../wire/wire-error.ts";
import { apiRange } from "../api-keys.ts";

/**
 * Throw unless (apiKey, version) lies in SUPPORTED_APIS. Readers get a WireError (the
 * peer sent it), writers a RangeError (the caller asked for it).
 */
export function checkVersion(apiKey: number, version: number, side: "read" | "write"): void {
  const range = apiRange(apiKey);
  if (range !== undefined && version >= range.minVersion && version <= range.maxVersion) return;
  const name = range?.name ?? `ApiKey(${apiKey})`;
  const message = `Unsupported ${name} version ${version}`;
  throw side === "read" ? new WireError(message) : new RangeError(message);
}

/** A non-nullable int16-length string. */
export function readString(reader: Reader, field: string): string {
  const value = reader.string();
  if (value === null) throw new WireError(`Null in non-nullable field ${field}`);
  return value;
}

/** A non-nullable int32-length byte string (a view into the input, not a copy). */
export function readBytes(reader: Reader, field: string): Uint8Array {
  const value = reader.bytes();
  if (value === null) throw new WireError(`Null in non-nullable field ${field}`);
  return value;
}

/** A non-nullable int32-count array; minItemBytes bounds the count against the input. */
export function readArray<T>(
  reader: Reader,
  field: string,
  readItem: (reader: Reader) => T,
  minItemBytes: number,
): T[] {
  const items = reader.array(readItem, minItemBytes);
  if (items === null) throw new WireError(`Null in non-nullable field ${field}`);
  return items;
}

/** A non-nullable array of int32 (replica ids, partition indexes). */
export function readInt32s(reader: Reader, field: string): number[] {
  return readArray(reader, field, (r) => r.int32(), 4);
}

/** A non-nullable array of non-nullable strings. */
export function readStrings(reader: Reader, field: string): string[] {
  return readArray(reader, field, (r) => readString(r, field), 2);
}
