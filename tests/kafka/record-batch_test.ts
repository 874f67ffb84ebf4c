import assert from "node:assert/strict";
import {
  BATCH_HEADER_BYTES,
  BatchOffset,
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
export const KAFKAJS_BATCH_HEX =
  "0000000000000000 0000003a 00000000 02 863650d5 0000 00000000 0000000000000000" +
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
