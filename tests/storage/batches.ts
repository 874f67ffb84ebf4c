/**
 * Test helper: builds uncompressed RecordBatch v2 bytes (valid CRC-32C) with `records` records
 * of `valueBytes`-byte values, so storage tests need no producer.
 */
import { Writer } from "../../src/wire/writer.ts";
import { crc32c } from "../../src/wire/crc32c.ts";
import { BatchOffset, CRC_START } from "../../src/kafka/record-batch.ts";

export interface BatchSpec {
  records?: number;
  valueBytes?: number;
  /** baseTimestamp; record i has timestamp baseTimestamp + i. */
  timestampMs?: number;
  baseOffset?: number;
  epoch?: number;
  /** Value byte filler, so tests can tell batches apart. */
  fill?: number;
}

export function buildBatch(spec: BatchSpec = {}): Uint8Array {
  const records = spec.records ?? 1;
  const value = new Uint8Array(spec.valueBytes ?? 100).fill(spec.fill ?? 0x61);
  const timestampMs = spec.timestampMs ?? 1_700_000_000_000;
  const writer = new Writer(64 + records * (value.length + 16));
  writer.int64n(spec.baseOffset ?? 0).int32(0).int32(spec.epoch ?? 0).int8(2).uint32(0);
  writer.int16(0).int32(records - 1).int64n(timestampMs).int64n(timestampMs + records - 1);
  writer.int64n(-1).int16(-1).int32(-1).int32(records);
  const record = new Writer(value.length + 32);
  for (let i = 0; i < records; i++) {
    record.reset().int8(0).varlong(i).varint(i).varint(-1).varint(value.length).raw(value).varint(0);
    writer.varint(record.length).raw(record.view());
  }
  const bytes = writer.toBytes();
  const view = new DataView(bytes.buffer);
  view.setInt32(BatchOffset.batchLength, bytes.length - 12);
  view.setUint32(BatchOffset.crc, crc32c(bytes, CRC_START, bytes.length));
  return bytes;
}

/** Several batches back to back, as one produce request's records field. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Base offsets of the batches in bytes (for checking what a read returned). */
export function batchBaseOffsets(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets: number[] = [];
  for (let at = 0; at + 12 <= bytes.length; at += 12 + view.getInt32(at + 8)) {
    offsets.push(view.getInt32(at) * 2 ** 32 + view.getUint32(at + 4));
  }
  return offsets;
}

/** A fresh temp directory for one test, removed by `await using`. */
export function tempLogDir(): { path: string; [Symbol.dispose](): void } {
  const path = Deno.makeTempDirSync({ prefix: "vltava-storage-" });
  return { path, [Symbol.dispose]: () => Deno.removeSync(path, { recursive: true }) };
}
