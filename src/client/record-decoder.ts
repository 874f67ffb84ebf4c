/**
 * Turns the record batches of one Fetch partition response into consumer records, the
 * consumer's hot path: one object per record, keys and values are views into the fetched
 * bytes (no copies), compressed batches are inflated once. Bytes come from the network and
 * are untrusted: every length is checked against the batch, and a batch that does not parse
 * throws WireError naming the partition and offset. Batches cut off at the end of the
 * response (the broker may stop mid-batch at max_bytes) are ignored, as Kafka clients do.
 * Control batches (transaction markers) are skipped.
 *
 * @example
 * ```ts
 * const records = decodeRecords("orders", 0, fetchedBytes, fetchOffset);
 * ```
 */
import { WireError } from "../wire/wire-error.ts";
import { crc32c } from "../wire/crc32c.ts";
import { decompressRecords } from "./compression.ts";

export interface ConsumerRecordHeader {
  key: string;
  value: Uint8Array | null;
}

/** One record as the consumer hands it out. */
export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: number;
  /** CreateTime, or LogAppendTime when the topic uses it (ms since the epoch). */
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: ConsumerRecordHeader[];
  /** The leader epoch that wrote the record's batch (-1 if unknown). */
  leaderEpoch: number;
}

const HEADER_BYTES = 61;
const NO_HEADERS: ConsumerRecordHeader[] = Object.freeze([]) as unknown as ConsumerRecordHeader[];
const textDecoder = new TextDecoder();

export interface DecodeOptions {
  /** Check each batch's CRC-32C (costs a pass over the bytes). */
  checkCrc?: boolean;
  /**
   * read_committed: the aborted transactions the fetch response listed. A producer's
   * transactional records are dropped from its aborted transaction's first offset until its next
   * control batch (the ABORT marker), as Kafka's clients do.
   */
  abortedTransactions?: readonly { producerId: bigint; firstOffset: number }[];
  /**
   * Stop after the whole batch that brings the records decoded to at least this many (a batch is
   * never split); `bytesRead` then says where to go on. Ignored with `abortedTransactions`, whose
   * state (the producers being dropped) spans the whole response.
   */
  maxRecords?: number;
}

/** Result of decoding: the records at or after `fromOffset`, and where the next fetch starts. */
export interface DecodedRecords {
  records: ConsumerRecord[];
  /** Offset after the last whole batch seen (fromOffset when none). */
  nextOffset: number;
  /** Bytes of `bytes` gone through: all of it, or less when `maxRecords` stopped early. */
  bytesRead: number;
}

/**
 * Offset after the last whole batch in `bytes` (fromOffset when there is none), reading only
 * batch headers: the consumer uses it to send the next fetch before decoding this one.
 */
export function nextFetchOffset(bytes: Uint8Array, fromOffset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let nextOffset = fromOffset;
  let at = 0;
  while (bytes.length - at >= HEADER_BYTES) {
    const batchLength = view.getInt32(at + 8);
    if (batchLength < HEADER_BYTES - 12 || at + 12 + batchLength > bytes.length) break;
    const baseOffset = view.getInt32(at) * 0x1_0000_0000 + view.getUint32(at + 4);
    nextOffset = Math.max(nextOffset, baseOffset + view.getInt32(at + 23) + 1);
    at += 12 + batchLength;
  }
  return nextOffset;
}

/** Decode every record at or after `fromOffset` in the batches of one partition response. */
export function decodeRecords(
  topic: string,
  partition: number,
  bytes: Uint8Array,
  fromOffset: number,
  options: DecodeOptions = {},
): DecodedRecords {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // read_committed: aborted transactions not reached yet (by first offset), producers being dropped.
  const pendingAborts = options.abortedTransactions && options.abortedTransactions.length > 0
    ? [...options.abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset)
    : null;
  const maxRecords = pendingAborts === null ? Math.max(1, options.maxRecords ?? Infinity) : Infinity;
  // Size the array once from the batch headers (growing it by push showed in profiles); the
  // counts are untrusted, so the estimate is capped.
  const sink: Sink = {
    records: new Array(Math.min(estimateCount(bytes, view, maxRecords), MAX_PREALLOCATED_RECORDS)),
    length: 0,
  };
  let nextOffset = fromOffset;
  let at = 0;
  const dropping = new Set<bigint>();
  while (bytes.length - at >= HEADER_BYTES && sink.length < maxRecords) {
    const batchLength = view.getInt32(at + 8);
    const batchEnd = at + 12 + batchLength;
    if (batchLength < HEADER_BYTES - 12) {
      throw new WireError(`${topic}-${partition}: invalid batch length ${batchLength} at byte ${at}`);
    }
    if (batchEnd > bytes.length) break; // partial batch at the end of the response
    const baseOffset = view.getInt32(at) * 0x1_0000_0000 + view.getUint32(at + 4);
    const magic = view.getInt8(at + 16);
    if (magic !== 2) throw new WireError(`${topic}-${partition}: unsupported record batch magic ${magic}`);
    if (options.checkCrc && crc32c(bytes, at + 21, batchEnd) !== view.getUint32(at + 17)) {
      throw new WireError(`${topic}-${partition}: CRC mismatch in the batch at offset ${baseOffset}`);
    }
    const leaderEpoch = view.getInt32(at + 12);
    const attributes = view.getInt16(at + 21);
    const lastOffsetDelta = view.getInt32(at + 23);
    const baseTimestamp = view.getInt32(at + 27) * 0x1_0000_0000 + view.getUint32(at + 31);
    const maxTimestamp = view.getInt32(at + 35) * 0x1_0000_0000 + view.getUint32(at + 39);
    const count = view.getInt32(at + 57);
    const batchNext = baseOffset + lastOffsetDelta + 1;
    const isControl = (attributes & 0x20) !== 0;
    let aborted = false;
    if (pendingAborts !== null) {
      while (pendingAborts.length > 0 && pendingAborts[0].firstOffset <= baseOffset) {
        dropping.add(pendingAborts.shift()!.producerId);
      }
      const producerId = view.getBigInt64(at + 43);
      if (isControl) dropping.delete(producerId);
      else aborted = (attributes & 0x10) !== 0 && dropping.has(producerId);
    }
    if (!isControl && !aborted && batchNext > fromOffset && count > 0) {
      const codec = attributes & 0x07;
      let data = bytes;
      let start = at + HEADER_BYTES;
      let end = batchEnd;
      if (codec !== 0) {
        data = decompressRecords(codec, bytes.subarray(start, end));
        start = 0;
        end = data.length;
      }
      const logAppendTime = (attributes & 0x08) !== 0 ? maxTimestamp : -1;
      decodeBatchRecords(
        topic,
        partition,
        data,
        start,
        end,
        count,
        baseOffset,
        baseTimestamp,
        logAppendTime,
        leaderEpoch,
        fromOffset,
        sink,
      );
    }
    nextOffset = Math.max(nextOffset, batchNext);
    at = batchEnd;
  }
  sink.records.length = sink.length;
  return { records: sink.records, nextOffset, bytesRead: sink.length < maxRecords ? bytes.length : at };
}

const MAX_PREALLOCATED_RECORDS = 1 << 20;

/** Records decoded so far into a preallocated array. */
interface Sink {
  records: ConsumerRecord[];
  length: number;
}

/**
 * Sum of the whole batches' record counts (an estimate: nothing is validated yet), up to the
 * batch that reaches `maxRecords`.
 */
function estimateCount(bytes: Uint8Array, view: DataView, maxRecords: number): number {
  let total = 0;
  let at = 0;
  while (bytes.length - at >= HEADER_BYTES && total < maxRecords) {
    const batchLength = view.getInt32(at + 8);
    if (batchLength < HEADER_BYTES - 12 || at + 12 + batchLength > bytes.length) break;
    total += Math.max(0, view.getInt32(at + 57));
    at += 12 + batchLength;
  }
  return total;
}

function decodeBatchRecords(
  topic: string,
  partition: number,
  data: Uint8Array,
  start: number,
  end: number,
  count: number,
  baseOffset: number,
  baseTimestamp: number,
  logAppendTime: number,
  leaderEpoch: number,
  fromOffset: number,
  out: Sink,
): void {
  const cursor = { at: start, end, data };
  const fail = (what: string) => {
    throw new WireError(
      `${topic}-${partition}: malformed record in the batch at offset ${baseOffset}: ${what}`,
    );
  };
  if (count < 0 || count > end - start) fail(`record count ${count}`);
  for (let i = 0; i < count; i++) {
    const length = readVarint(cursor);
    const recordEnd = cursor.at + length;
    if (length < 0 || recordEnd > end) fail("record length outside the batch");
    cursor.end = recordEnd;
    cursor.at++; // attributes
    const timestampDelta = readVarlong(cursor);
    const offsetDelta = readVarint(cursor);
    const key = readBytes(cursor);
    const value = readBytes(cursor);
    const headerCount = readVarint(cursor);
    let headers = NO_HEADERS;
    if (headerCount > 0) {
      if (headerCount > recordEnd - cursor.at) fail(`header count ${headerCount}`);
      headers = new Array(headerCount);
      for (let h = 0; h < headerCount; h++) {
        const headerKey = readBytes(cursor);
        if (headerKey === null) fail("null header key");
        headers[h] = { key: textDecoder.decode(headerKey!), value: readBytes(cursor) };
      }
    } else if (headerCount < 0) fail(`header count ${headerCount}`);
    if (cursor.at > recordEnd) fail("fields run past the record length");
    cursor.at = recordEnd;
    cursor.end = end;
    const offset = baseOffset + offsetDelta;
    if (offset < fromOffset) continue;
    out.records[out.length++] = {
      topic,
      partition,
      offset,
      timestamp: logAppendTime >= 0 ? logAppendTime : baseTimestamp + timestampDelta,
      key,
      value,
      headers,
      leaderEpoch,
    };
  }
}

interface Cursor {
  at: number;
  end: number;
  data: Uint8Array;
}

function readVarint(cursor: Cursor): number {
  const data = cursor.data;
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (cursor.at >= cursor.end) throw new WireError("Truncated varint in a record");
    const byte = data[cursor.at++];
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return (result >>> 1) ^ -(result & 1);
  }
  throw new WireError("Malformed varint in a record: more than 5 bytes");
}

function readVarlong(cursor: Cursor): number {
  const data = cursor.data;
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 10; i++) {
    if (cursor.at >= cursor.end) throw new WireError("Truncated varlong in a record");
    const byte = data[cursor.at++];
    result += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      // Zigzag decode with arithmetic that stays exact below 2^53.
      return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
    multiplier *= 128;
  }
  throw new WireError("Malformed varlong in a record: more than 10 bytes");
}

function readBytes(cursor: Cursor): Uint8Array | null {
  const length = readVarint(cursor);
  if (length === -1) return null;
  if (length < 0 || cursor.at + length > cursor.end) {
    throw new WireError(`Invalid length ${length} in a record`);
  }
  const value = cursor.data.subarray(cursor.at, cursor.at + length);
  cursor.at += length;
  return value;
}
