/**
 * Field codecs for APIs whose version ranges span both encodings. Before an API's first
 * flexible version, strings carry an int16 length and bytes and arrays an int32 one; from it
 * on they are "compact" (uvarint length + 1, 0 = null) and every struct ends with a
 * tagged-fields section. Each function takes the version's `flexible` flag, so a codec states
 * each field once instead of once per encoding. Non-nullable fields read as null are a
 * WireError naming the field, as in field-readers.ts.
 *
 * @example
 * ```ts
 * const flexible = version >= 2;
 * writeStringField(writer, flexible, "orders");
 * endStruct(writer, flexible);
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import { WireError } from "../../wire/wire-error.ts";
import type { Writer } from "../../wire/writer.ts";

/** A (nullable) string in the version's encoding. */
export function writeStringField(writer: Writer, flexible: boolean, value: string | null): void {
  if (flexible) writer.compactString(value);
  else writer.string(value);
}

/** A (nullable) byte string in the version's encoding. */
export function writeBytesField(writer: Writer, flexible: boolean, value: Uint8Array | null): void {
  if (flexible) writer.compactBytes(value);
  else writer.bytes(value);
}

/** A (nullable) array; writeItem writes one element (and its tags: see endStruct). */
export function writeArrayField<T>(
  writer: Writer,
  flexible: boolean,
  items: readonly T[] | null,
  writeItem: (writer: Writer, item: T) => void,
): void {
  if (flexible) writer.compactArray(items, writeItem);
  else writer.array(items, writeItem);
}

/** The end of a struct (or of the message): an empty tag section in flexible versions. */
export function endStruct(writer: Writer, flexible: boolean): void {
  if (flexible) writer.emptyTags();
}

/** Skip the tag section that ends a struct in flexible versions (we define no tags). */
export function skipStructTags(reader: Reader, flexible: boolean): void {
  if (flexible) reader.skipTags();
}

export function readNullableStringField(reader: Reader, flexible: boolean): string | null {
  return flexible ? reader.compactString() : reader.string();
}

export function readStringField(reader: Reader, flexible: boolean, field: string): string {
  const value = readNullableStringField(reader, flexible);
  if (value === null) throw new WireError(`Null in non-nullable field ${field}`);
  return value;
}

/** A non-nullable byte string (a view into the input, not a copy). */
export function readBytesField(reader: Reader, flexible: boolean, field: string): Uint8Array {
  const value = flexible ? reader.compactBytes() : reader.bytes();
  if (value === null) throw new WireError(`Null in non-nullable field ${field}`);
  return value;
}

/** A nullable array; minItemBytes bounds the count against the bytes left. */
export function readNullableArrayField<T>(
  reader: Reader,
  flexible: boolean,
  readItem: (reader: Reader) => T,
  minItemBytes: number,
): T[] | null {
  return flexible ? reader.compactArray(readItem, minItemBytes) : reader.array(readItem, minItemBytes);
}

export function readArrayField<T>(
  reader: Reader,
  flexible: boolean,
  field: string,
  readItem: (reader: Reader) => T,
  minItemBytes: number,
): T[] {
  const items = readNullableArrayField(reader, flexible, readItem, minItemBytes);
  if (items === null) throw new WireError(`Null in non-nullable field ${field}`);
  return items;
}

/** The common pair error_code INT16, error_message NULLABLE_STRING. */
export interface ErrorFields {
  errorCode: number;
  errorMessage: string | null;
}

export function writeErrorFields(writer: Writer, flexible: boolean, fields: ErrorFields): void {
  writer.int16(fields.errorCode);
  writeStringField(writer, flexible, fields.errorMessage);
}

export function readErrorFields(reader: Reader, flexible: boolean): ErrorFields {
  const errorCode = reader.int16();
  return { errorCode, errorMessage: readNullableStringField(reader, flexible) };
}

/** An array of structs: each item written by writeItem, then its tag section. */
export function writeStructArray<T>(
  writer: Writer,
  flexible: boolean,
  items: readonly T[],
  writeItem: (writer: Writer, item: T) => void,
): void {
  writeArrayField(writer, flexible, items, (w, item) => {
    writeItem(w, item);
    endStruct(w, flexible);
  });
}

/** A non-nullable array of structs: each item read by readItem, then its tag section skipped. */
export function readStructArray<T>(
  reader: Reader,
  flexible: boolean,
  field: string,
  readItem: (reader: Reader) => T,
  minItemBytes: number,
): T[] {
  return readArrayField(reader, flexible, field, (r) => {
    const item = readItem(r);
    skipStructTags(r, flexible);
    return item;
  }, minItemBytes);
}
