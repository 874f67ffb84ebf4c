import assert from "node:assert/strict";
import { BatchBuilder } from "../../src/client/batch-builder.ts";
import { compressionCodec, compressor } from "../../src/client/compression.ts";
import { decodeRecords } from "../../src/client/record-decoder.ts";
import { decodeRecordBatch, encodeRecordBatch } from "../../src/kafka/record-batch.ts";

const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);
const fromHex = (hex: string) =>
  new Uint8Array(hex.replace(/\s+/g, "").match(/../g)!.map((h) => parseInt(h, 16)));

Deno.test("built batches decode with kafka-core's decoder: keys, nulls, headers, timestamps", () => {
  const builder = new BatchBuilder(1 << 20);
  const base = 1_700_000_000_000;
  assert.equal(builder.append(bytes("k1"), bytes("v1"), base), 0);
  assert.equal(
    builder.append(null, bytes("v2"), base + 5, [{ key: "h", value: "x" }, { key: "n", value: null }]),
    1,
  );
  assert.equal(builder.append(bytes("k3"), null, base - 3_000_000_000), 2); // delta needs a varlong
  const batch = builder.finish();
  const decoded = decodeRecordBatch(batch, 0, {});
  assert.equal(decoded.recordsCount, 3);
  assert.equal(decoded.lastOffsetDelta, 2);
  assert.equal(decoded.producerId, -1n);
  assert.equal(decoded.baseTimestamp, base);
  assert.equal(decoded.maxTimestamp, base + 5);
  assert.deepEqual(decoded.records.map((r) => [r.offset, r.timestamp, text(r.key), text(r.value)]), [
    [0, base, "k1", "v1"],
    [1, base + 5, null, "v2"],
    [2, base - 3_000_000_000, "k3", null],
  ]);
  assert.deepEqual(decoded.records[1].headers.map((h) => [h.key, text(h.value)]), [["h", "x"], ["n", null]]);
});

Deno.test("builder output matches kafka-core's encoder byte for byte", () => {
  const builder = new BatchBuilder(1 << 20);
  const records = [
    { key: "a", value: "1", timestamp: 1000 },
    { key: null, value: "two", timestamp: 1002, headers: [{ key: "h", value: "v" }] },
  ];
  for (const r of records) {
    builder.append(r.key === null ? null : bytes(r.key), bytes(r.value), r.timestamp, r.headers);
  }
  assert.deepEqual(builder.finish(), encodeRecordBatch({ records }));
});

Deno.test("every codec round-trips through the builder and the consumer's decoder", () => {
  for (const name of ["gzip", "snappy", "lz4", "zstd"] as const) {
    const builder = new BatchBuilder(1 << 20);
    for (let i = 0; i < 100; i++) builder.append(bytes(`key-${i}`), bytes(`value-${i}`.repeat(10)), 5000 + i);
    const batch = builder.finish(compressionCodec(name), compressor(name));
    assert.equal(decodeRecordBatch(batch).compression, compressionCodec(name), name);
    const { records, nextOffset } = decodeRecords("t", 0, batch, 0);
    assert.equal(records.length, 100, name);
    assert.equal(nextOffset, 100);
    assert.equal(text(records[42].value), "value-42".repeat(10));
    assert.equal(records[42].timestamp, 5042);
  }
});

Deno.test("the batch refuses a record past its limit, except the first", () => {
  const builder = new BatchBuilder(200);
  assert.equal(builder.append(null, new Uint8Array(500), 0), 0);
  assert.equal(builder.append(null, new Uint8Array(10), 0), -1);
  const small = new BatchBuilder(200);
  let accepted = 0;
  while (small.append(null, new Uint8Array(20), 0) >= 0) accepted++;
  assert.ok(accepted >= 4 && small.sizeBytes <= 200, `accepted ${accepted}, size ${small.sizeBytes}`);
});

Deno.test("decoder reads the reference kafkajs batch and skips records before the fetch offset", () => {
  const kafkajs = fromHex(
    "0000000000000000 0000003a 00000000 02 863650d5 0000 00000000 0000000000000000 0000000000000000 " +
      "ffffffffffffffff 0000 00000000 00000001 10 00 00 00 02 6b 02 76 00",
  );
  const { records } = decodeRecords("t", 3, kafkajs, 0, { checkCrc: true });
  assert.deepEqual(records.map((r) => [r.topic, r.partition, r.offset, text(r.key), text(r.value)]), [
    ["t", 3, 0, "k", "v"],
  ]);
  const builder = new BatchBuilder(1 << 20);
  for (let i = 0; i < 10; i++) builder.append(null, bytes(String(i)), 0);
  const batch = builder.finish();
  new DataView(batch.buffer, batch.byteOffset).setBigInt64(0, 100n);
  const later = decodeRecords("t", 0, batch, 105);
  assert.deepEqual(later.records.map((r) => r.offset), [105, 106, 107, 108, 109]);
  assert.equal(later.nextOffset, 110);
});

Deno.test("decoder ignores a batch cut off at the end and rejects lies about lengths", () => {
  const builder = new BatchBuilder(1 << 20);
  builder.append(null, bytes("x"), 0);
  const batch = builder.finish();
  const two = new Uint8Array(batch.length * 2);
  two.set(batch);
  two.set(batch, batch.length);
  new DataView(two.buffer).setBigInt64(batch.length, 1n);
  assert.equal(decodeRecords("t", 0, two.subarray(0, two.length - 3), 0).records.length, 1);
  const bad = batch.slice();
  bad[61] = 0x7e; // record length varint far past the batch
  assert.throws(() => decodeRecords("t", 0, bad, 0), /malformed record|Invalid length|outside/);
  assert.throws(() => decodeRecords("t", 0, bad, 0, { checkCrc: true }), /CRC mismatch/);
});

Deno.test("split: the same records in order, in batches within the limit, each as if built anew", () => {
  const base = 1_700_000_000_000;
  const records = Array.from({ length: 40 }, (_, i) => ({
    key: i % 3 === 0 ? null : `key-${i}`,
    value: i % 7 === 0 ? null : `value-${i}`.repeat(1 + (i % 5)),
    // Deltas that need a varlong (the 10th record is far in the past), then small ones.
    timestamp: i === 10 ? base - 3_000_000_000 : base + i,
    headers: i % 4 === 0 ? [{ key: "h", value: `${i}` }, { key: "n", value: null }] : undefined,
  }));
  const whole = new BatchBuilder(1 << 20);
  for (const r of records) {
    whole.append(
      r.key === null ? null : bytes(r.key),
      r.value === null ? null : bytes(r.value),
      r.timestamp,
      r.headers,
    );
  }
  const limitBytes = Math.ceil(whole.sizeBytes / 3);
  const pieces = whole.split(limitBytes);
  assert.ok(pieces.length >= 3, `${pieces.length} pieces`);
  let next = 0;
  for (const piece of pieces) {
    assert.ok(piece.sizeBytes <= limitBytes, `${piece.sizeBytes} <= ${limitBytes}`);
    const own = records.slice(next, next + piece.recordCount);
    assert.deepEqual(piece.finish(), encodeRecordBatch({ records: own }));
    next += piece.recordCount;
  }
  assert.equal(next, records.length);

  // A record over the limit gets a batch of its own.
  const big = new BatchBuilder(1 << 20);
  for (const size of [10, 500, 10]) big.append(null, new Uint8Array(size).fill(1), base);
  assert.deepEqual(big.split(200).map((piece) => piece.recordCount), [1, 1, 1]);
});

Deno.test("decoder stops after the whole batch that reaches maxRecords and says where to go on", () => {
  // Three batches of 4 records at offsets 0, 4 and 8.
  const batches = [0, 4, 8].map((base) => {
    const builder = new BatchBuilder(1 << 20);
    for (let i = 0; i < 4; i++) builder.append(null, bytes(String(base + i)), 0);
    const batch = builder.finish();
    new DataView(batch.buffer, batch.byteOffset).setBigInt64(0, BigInt(base));
    return batch;
  });
  const all = new Uint8Array(batches.reduce((sum, batch) => sum + batch.length, 0));
  let at = 0;
  for (const batch of batches) {
    all.set(batch, at);
    at += batch.length;
  }
  // 5 records asked: the second batch brings it to 8, and no batch is split.
  const first = decodeRecords("t", 0, all, 1, { maxRecords: 5, checkCrc: true });
  assert.deepEqual(first.records.map((r) => text(r.value)), ["1", "2", "3", "4", "5", "6", "7"]);
  assert.equal(first.nextOffset, 8);
  assert.equal(first.bytesRead, batches[0].length + batches[1].length);
  const rest = decodeRecords("t", 0, all.subarray(first.bytesRead), first.nextOffset, { maxRecords: 5 });
  assert.deepEqual(rest.records.map((r) => r.offset), [8, 9, 10, 11]);
  assert.equal(rest.bytesRead, all.length - first.bytesRead);
  // Without a bound, or with read_committed's aborted transactions (state over the whole
  // response), everything is decoded at once.
  assert.equal(decodeRecords("t", 0, all, 0).records.length, 12);
  const committed = decodeRecords("t", 0, all, 0, {
    maxRecords: 1,
    abortedTransactions: [{ producerId: 99n, firstOffset: 0 }],
  });
  assert.deepEqual([committed.records.length, committed.bytesRead], [12, all.length]);
});

Deno.test("a batch grows past its small starting buffer without losing a byte", () => {
  const builder = new BatchBuilder(1 << 20);
  const big = new Uint8Array(100 * 1024).map((_, i) => i % 251);
  assert.equal(builder.append(null, big, 1000), 0);
  for (let i = 1; i <= 300; i++) assert.equal(builder.append(bytes(`k${i}`), bytes(`v${i}`), 1000 + i), i);
  const { records } = decodeRecords("t", 0, builder.finish(), 0);
  assert.equal(records.length, 301);
  assert.deepEqual(records[0].value, big);
  assert.equal(text(records[300].value), "v300");
});
