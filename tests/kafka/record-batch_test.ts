import assert from "node:assert/strict";
import snappy from "snappyjs";
import lz4 from "lz4js";
import { codecFromName, compress, CompressionError, decompress } from "../../src/kafka/compression.ts";
import { crc32c, Reader, Writer } from "../../src/wire/mod.ts";
import {
  BATCH_HEADER_BYTES,
  BatchOffset,
  controlRecordType,
  type DecodedBatch,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  iterateBatches,
  nextOffsetOf,
  readBatchHeader,
  RecordBatchError,
  setBaseOffset,
  setPartitionLeaderEpoch,
  validateBatch,
} from "../../src/kafka/record-batch.ts";

const fromHex = (text: string) => {
  const clean = text.replace(/\s+/g, "");
  return Uint8Array.from(clean.match(/../g)!, (pair) => parseInt(pair, 16));
};
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** The reference's kafkajs batch: key "k", value "v", timestamps 0. */
const KAFKAJS_BATCH_HEX = "0000000000000000 0000003a 00000000 02 863650d5 0000 00000000 0000000000000000" +
  " 0000000000000000 ffffffffffffffff 0000 00000000 00000001 10 00 00 00 02 6b 02 76 00";

function rejects(fn: () => unknown, kind: string) {
  assert.throws(fn, (error: unknown) => error instanceof RecordBatchError && error.kind === kind);
}

Deno.test("header layout: 61 bytes, fields at the documented offsets", () => {
  assert.equal(BATCH_HEADER_BYTES, 61);
  assert.deepEqual(Object.values(BatchOffset), [0, 8, 12, 16, 17, 21, 23, 27, 35, 43, 51, 53, 57, 61]);
});

Deno.test("readBatchHeader and validateBatch read the reference kafkajs batch", () => {
  const bytes = fromHex(KAFKAJS_BATCH_HEX);
  assert.equal(bytes.length, 70);
  const expected = {
    baseOffset: 0,
    batchLength: 58,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0x863650d5,
    attributes: 0,
    lastOffsetDelta: 0,
    baseTimestamp: 0,
    maxTimestamp: 0,
    producerId: -1n,
    producerEpoch: 0,
    baseSequence: 0,
    recordsCount: 1,
  };
  assert.deepEqual(readBatchHeader(bytes), expected);
  assert.deepEqual(validateBatch(bytes), expected);
  assert.equal(nextOffsetOf(expected), 1);
});

Deno.test("setBaseOffset and setPartitionLeaderEpoch rewrite in place and keep the CRC valid", () => {
  const bytes = fromHex(KAFKAJS_BATCH_HEX);
  setBaseOffset(bytes, 0, 2 ** 40 + 7);
  setPartitionLeaderEpoch(bytes, 0, 12);
  const header = validateBatch(bytes);
  assert.equal(header.baseOffset, 2 ** 40 + 7);
  assert.equal(header.partitionLeaderEpoch, 12);
  assert.equal(hex(bytes.subarray(0, 8)), "0000010000000007");
  assert.throws(() => setBaseOffset(bytes, 0, -1), RangeError);
});

Deno.test("validateBatch: a flipped bit in the CRC range is corrupt", () => {
  for (const at of [21, 30, 61, 69]) {
    const bytes = fromHex(KAFKAJS_BATCH_HEX);
    bytes[at] ^= 0x01;
    rejects(() => validateBatch(bytes), "corrupt");
  }
  const badMagic = fromHex(KAFKAJS_BATCH_HEX);
  badMagic[16] = 1;
  rejects(() => validateBatch(badMagic), "corrupt");
  const shortLength = fromHex(KAFKAJS_BATCH_HEX);
  shortLength[11] = 10;
  rejects(() => validateBatch(shortLength), "corrupt");
});

Deno.test("validateBatch: truncated and too-large are told apart", () => {
  const bytes = fromHex(KAFKAJS_BATCH_HEX);
  for (const cut of [0, 5, 16, 60, 69]) rejects(() => validateBatch(bytes.subarray(0, cut)), "truncated");
  rejects(() => validateBatch(bytes, 0, { maxBatchBytes: 69 }), "too-large");
  assert.equal(validateBatch(bytes, 0, { maxBatchBytes: 70 }).recordsCount, 1);
  rejects(() => readBatchHeader(bytes.subarray(0, 60)), "truncated");
});

Deno.test("iterateBatches walks consecutive batches and stops at a partial tail", () => {
  const one = fromHex(KAFKAJS_BATCH_HEX);
  const buffer = new Uint8Array(70 * 3 + 30);
  for (let i = 0; i < 3; i++) {
    buffer.set(one, i * 70);
    setBaseOffset(buffer, i * 70, i);
  }
  buffer.set(one.subarray(0, 30), 210);
  const slots = [...iterateBatches(buffer)];
  assert.deepEqual(slots.map((s) => [s.position, s.sizeBytes, s.header.baseOffset]), [
    [0, 70, 0],
    [70, 70, 1],
    [
      140,
      70,
      2,
    ],
  ]);
  assert.equal([...iterateBatches(buffer, { start: 70, end: 140 })].length, 1);
  assert.equal([...iterateBatches(buffer.subarray(0, 215))].length, 3); // 5 bytes: not even a length
  buffer[140 + 65] ^= 0xff;
  assert.throws(
    () => [...iterateBatches(buffer)],
    (error: unknown) =>
      error instanceof RecordBatchError && error.kind === "corrupt" && error.position === 140,
  );
  assert.equal([...iterateBatches(buffer, { validate: false })].length, 3);
});

// --- full encode / decode ---------------------------------------------------------------------

const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);

Deno.test("encodeRecordBatch produces the reference kafkajs batch byte for byte, and decodes it", () => {
  const bytes = encodeRecordBatch({
    records: [{ key: "k", value: "v", timestamp: 0 }],
    partitionLeaderEpoch: 0,
    producerEpoch: 0,
    baseSequence: 0,
  });
  assert.equal(hex(bytes), KAFKAJS_BATCH_HEX.replace(/\s+/g, ""));
  const batch = decodeRecordBatch(fromHex(KAFKAJS_BATCH_HEX));
  assert.equal(batch.records.length, 1);
  const [record] = batch.records;
  assert.deepEqual([record.offset, record.timestamp, text(record.key), text(record.value)], [0, 0, "k", "v"]);
  assert.deepEqual(record.headers, []);
  assert.deepEqual([batch.control, batch.transactional, batch.compression, batch.sizeBytes], [
    false,
    false,
    0,
    70,
  ]);
});

function sampleRecords(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    key: i % 3 === 0 ? null : `key-${i}`,
    value: i % 7 === 6 ? null : `value ${i} `.repeat(1 + (i % 5)),
    headers: i % 2 === 0 ? [{ key: "h", value: `${i}` }, { key: "empty", value: null }] : [],
    timestamp: 1_700_000_000_000 + (i % 4) * 1000 - 1500, // deltas go negative too
  }));
}

function checkDecoded(batch: DecodedBatch, input: ReturnType<typeof sampleRecords>, baseOffset: number) {
  assert.equal(batch.records.length, input.length);
  assert.equal(batch.maxTimestamp, Math.max(...input.map((r) => r.timestamp)));
  batch.records.forEach((record, i) => {
    assert.equal(record.offset, baseOffset + i);
    assert.equal(record.timestamp, input[i].timestamp);
    assert.equal(text(record.key), input[i].key);
    assert.equal(text(record.value), input[i].value);
    assert.deepEqual(
      record.headers.map((h) => [h.key, text(h.value)]),
      input[i].headers.map((h) => [h.key, h.value]),
    );
  });
}

Deno.test("records round-trip through every codec, with keys, null values, headers and timestamps", () => {
  const input = sampleRecords(500);
  for (const compression of ["none", "gzip", "snappy", "lz4", "zstd"] as const) {
    const bytes = encodeRecordBatch({
      records: input,
      baseOffset: 1000,
      compression,
      producerId: 2n ** 62n + 5n,
      producerEpoch: 3,
      baseSequence: 17,
    });
    const batch = decodeRecordBatch(bytes);
    assert.equal(batch.compression, codecFromName(compression), compression);
    assert.equal(batch.producerId, 2n ** 62n + 5n);
    assert.deepEqual([batch.producerEpoch, batch.baseSequence, batch.lastOffsetDelta], [3, 17, 499]);
    if (compression !== "none") assert.ok(bytes.length < encodeRecordBatch({ records: input }).length / 2);
    checkDecoded(batch, input, 1000);
  }
});

Deno.test("decodeRecordBatch reports control and transactional bits and LogAppendTime", () => {
  const marker = encodeRecordBatch({
    records: [{ key: Uint8Array.of(0, 0, 0, 1), value: Uint8Array.of(0, 0, 0, 0, 0, 0), timestamp: 5 }],
    transactional: true,
    control: true,
    producerId: 9n,
  });
  const batch = decodeRecordBatch(marker);
  assert.deepEqual([batch.control, batch.transactional], [true, true]);
  assert.equal(controlRecordType(batch.records[0].key), 1);
  const appended = encodeRecordBatch({
    records: [{ value: "a", timestamp: 10 }, { value: "b", timestamp: 30 }],
    logAppendTime: true,
  });
  assert.deepEqual(decodeRecordBatch(appended).records.map((r) => r.timestamp), [30, 30]);
});

Deno.test("decodeRecordBatches reads consecutive batches and ignores a partial tail", () => {
  const first = encodeRecordBatch({ records: [{ value: "a" }, { value: "b" }], baseOffset: 0 });
  const second = encodeRecordBatch({ records: [{ value: "c" }], baseOffset: 2, compression: "gzip" });
  const buffer = new Uint8Array([...first, ...second, ...first.subarray(0, 40)]);
  const batches = decodeRecordBatches(buffer);
  assert.deepEqual(batches.flatMap((b) => b.records.map((r) => [r.offset, text(r.value)])), [[0, "a"], [
    1,
    "b",
  ], [
    2,
    "c",
  ]]);
});

Deno.test("decodeRecordBatch rejects a corrupted CRC and a truncated batch", () => {
  const bytes = encodeRecordBatch({ records: sampleRecords(20), compression: "lz4" });
  const flipped = bytes.slice();
  flipped[bytes.length - 3] ^= 0x40;
  rejects(() => decodeRecordBatch(flipped), "corrupt");
  rejects(() => decodeRecordBatch(bytes.subarray(0, bytes.length - 1)), "truncated");
});

/** A batch whose records section is `section` under `codec`, with a correct CRC. */
function batchAround(section: Uint8Array, codec: number, recordsCount = 1): Uint8Array {
  const bytes = encodeRecordBatch({ records: [{ value: "x", timestamp: 0 }] });
  const out = new Uint8Array(BATCH_HEADER_BYTES + section.length);
  out.set(bytes.subarray(0, BATCH_HEADER_BYTES));
  out.set(section, BATCH_HEADER_BYTES);
  const view = new DataView(out.buffer);
  view.setInt32(8, out.length - 12);
  view.setInt16(21, codec);
  view.setInt32(57, recordsCount);
  view.setUint32(17, crc32c(out, 21));
  return out;
}

Deno.test("malformed records inside a valid CRC are corrupt, not a crash", () => {
  const cases = [
    Uint8Array.of(0x7e, 0, 0, 0), // record length far past the end
    Uint8Array.of(0x0a, 0, 0, 0, 0x05, 0, 0, 0, 0, 0, 0), // key length -3
    Uint8Array.of(0x08, 0, 0, 0, 1, 1, 0x10, 0, 0), // header count 8 in a 4-byte record
    Uint8Array.of(0x08, 0, 0, 0, 1, 1, 0, 0, 0), // fields shorter than the record length
  ];
  for (const section of cases) rejects(() => decodeRecordBatch(batchAround(section, 0)), "corrupt");
  rejects(() => decodeRecordBatch(batchAround(Uint8Array.of(1, 2, 3), 1)), "corrupt"); // not gzip
  rejects(() => decodeRecordBatch(batchAround(Uint8Array.of(1, 2, 3), 3)), "corrupt"); // not lz4
  rejects(() => decodeRecordBatch(batchAround(Uint8Array.of(1, 2, 3), 6)), "unsupported");
  const oneRecord = encodeRecordBatch({ records: [{ value: "x", timestamp: 0 }] }).subarray(
    BATCH_HEADER_BYTES,
  );
  rejects(() => decodeRecordBatch(batchAround(oneRecord, 0, 2)), "corrupt"); // count says 2
});

Deno.test("decompression is bounded: a zip bomb is too-large, not an allocation", () => {
  const zeros = new Uint8Array(64 << 20); // 64 MiB of zeros packs into a few KiB or less
  for (const codec of [1, 2, 3, 4]) {
    const bomb = compress(codec, zeros);
    assert.ok(bomb.length < (4 << 20), `codec ${codec} packs zeros`);
    assert.throws(
      () => decompress(codec, bomb, 1 << 20),
      (error: unknown) => error instanceof CompressionError && error.kind === "too-large",
      `codec ${codec}`,
    );
    rejects(
      () => decodeRecordBatch(batchAround(bomb, codec), 0, { maxDecompressedBytes: 1 << 20 }),
      "too-large",
    );
    assert.equal(decompress(codec, compress(codec, zeros.subarray(0, 1 << 20)), 1 << 20).length, 1 << 20);
  }
});

Deno.test("snappy: xerial framing on encode, raw blocks accepted on decode", () => {
  const data = new TextEncoder().encode("hello snappy ".repeat(10_000));
  const framed = compress(2, data);
  assert.equal(hex(framed.subarray(0, 16)), "82534e415050590000000001" + "00000001");
  assert.deepEqual(decompress(2, framed), data);
  const raw = snappy.compress(data) as Uint8Array;
  assert.deepEqual(decompress(2, raw), data);
});

Deno.test("lz4: frames from lz4js's own frame writer decode, and ours are a valid frame", () => {
  const data = new TextEncoder().encode("lz4 frame ".repeat(50_000));
  assert.deepEqual(decompress(3, lz4.compress(data) as Uint8Array), data);
  const ours = compress(3, data);
  assert.equal(hex(ours.subarray(0, 4)), "04224d18");
  assert.deepEqual(new Uint8Array(lz4.decompress(ours) as Uint8Array), data);
  assert.deepEqual(decompress(3, compress(3, new Uint8Array(0))), new Uint8Array(0));
});

Deno.test("CRC-32C check value and varint vectors used by records", () => {
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  const cases: [number, string][] = [[0, "00"], [-1, "01"], [1, "02"], [300, "d804"], [-300, "d704"]];
  for (const [value, expected] of cases) {
    assert.equal(hex(new Writer().varint(value).toBytes()), expected);
    assert.equal(new Reader(fromHex(expected)).varint(), value);
  }
  assert.equal(hex(new Writer().varlong(-(2 ** 40)).toBytes()), "ffffffffff3f");
});
