import assert from "node:assert/strict";
import { crc32c, crc32cUpdate, frame, FrameDecoder, Reader, WireError, Writer } from "../../src/wire/mod.ts";
import { crc32cNative, crc32cWasm, LARGE_INPUT_ENGINE } from "../../src/wire/crc32c.ts";

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("crc32c matches the Castagnoli check value and is incremental", () => {
  const bytes = new TextEncoder().encode("123456789");
  assert.equal(crc32c(bytes), 0xe3069283);
  assert.equal(crc32cUpdate(crc32c(bytes, 0, 4), bytes, 4), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  const long = new Uint8Array(1000).map((_, i) => (i * 31) & 0xff);
  let bytewise = 0;
  for (let i = 0; i < long.length; i++) bytewise = crc32cUpdate(bytewise, long, i, i + 1);
  assert.equal(crc32c(long), bytewise);
});

Deno.test("zigzag varints match Kafka's encoding", () => {
  const cases: [number, string][] = [[0, "00"], [-1, "01"], [1, "02"], [300, "d804"], [
    -2147483648,
    "ffffffff0f",
  ]];
  for (const [value, expected] of cases) {
    const bytes = new Writer().varint(value).toBytes();
    assert.equal(hex(bytes), expected, `varint ${value}`);
    assert.equal(new Reader(bytes).varint(), value);
  }
  for (const value of [0, 1, -1, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, 1_700_000_000_000]) {
    assert.equal(new Reader(new Writer().varlong(value).toBytes()).varlong(), value, `varlong ${value}`);
  }
});

Deno.test("writer and reader round-trip every primitive", () => {
  const bytes = new Writer(1)
    .int8(-5).int16(-300).int32(-70000).uint32(0xfffffffe).int64(-(2n ** 62n)).int64n(-(2 ** 52))
    .string("héllo").string(null).string32("jute").bytes(new Uint8Array([1, 2])).bytes(null)
    .compactString("k").compactString(null).compactBytes(new Uint8Array([9])).uvarint(16384)
    .array([1, 2, 3], (w, n) => w.int32(n)).compactArray(["a"], (w, s) => w.compactString(s)).emptyTags()
    .toBytes();
  const r = new Reader(bytes);
  assert.equal(r.int8(), -5);
  assert.equal(r.int16(), -300);
  assert.equal(r.int32(), -70000);
  assert.equal(r.uint32(), 0xfffffffe);
  assert.equal(r.int64(), -(2n ** 62n));
  assert.equal(r.int64n(), -(2 ** 52));
  assert.equal(r.string(), "héllo");
  assert.equal(r.string(), null);
  assert.equal(r.string32(), "jute");
  assert.deepEqual(Array.from(r.bytes()!), [1, 2]);
  assert.equal(r.bytes(), null);
  assert.equal(r.compactString(), "k");
  assert.equal(r.compactString(), null);
  assert.deepEqual(Array.from(r.compactBytes()!), [9]);
  assert.equal(r.uvarint(), 16384);
  assert.deepEqual(r.array((x) => x.int32()), [1, 2, 3]);
  assert.deepEqual(r.compactArray((x) => x.compactString()), ["a"]);
  r.skipTags();
  r.expectEnd("test");
});

Deno.test("reader rejects truncated input and hostile lengths without allocating", () => {
  assert.throws(() => new Reader(new Uint8Array([0, 0, 0])).int32(), WireError);
  assert.throws(() => new Reader(new Writer().int32(0x7fffffff).toBytes()).bytes(), WireError);
  assert.throws(() => new Reader(new Writer().int32(-7).toBytes()).string32(), WireError);
  assert.throws(
    () => new Reader(new Writer().int32(1_000_000_000).toBytes()).array((r) => r.int32()),
    WireError,
  );
  assert.throws(() => new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).uvarint(), WireError);
  assert.throws(() => new Reader(new Uint8Array([0, 2, 0xc3, 0x28])).string(), WireError);
});

Deno.test("frame decoder splits streams, keeps partial frames and refuses bad lengths", () => {
  const decoder = new FrameDecoder(100);
  const stream = new Uint8Array([...frame(new Uint8Array([1, 2, 3])), ...frame(new Uint8Array([4]))]);
  assert.deepEqual(decoder.push(stream.subarray(0, 5)), []);
  const frames = decoder.push(stream.subarray(5));
  assert.deepEqual(frames.map((f) => Array.from(f)), [[1, 2, 3], [4]]);
  assert.equal(decoder.bufferedBytes, 0);
  assert.throws(() => new FrameDecoder(100).push(new Writer().int32(101).toBytes()), WireError);
  assert.throws(() => new FrameDecoder(100).push(new Writer().int32(-1).toBytes()), WireError);
});

Deno.test("crc32c engines (JS, WebAssembly, native when loaded) agree at every size", () => {
  console.log(`large inputs use the ${LARGE_INPUT_ENGINE} CRC-32C engine`);
  for (const size of [0, 9, 2047, 2048, 4096, 100_000, 1_000_003]) {
    const data = new Uint8Array(size).map((_, i) => (i * 131 + 7) & 0xff);
    const expected = crc32cUpdate(0, data);
    assert.equal(crc32c(data), expected, `crc32c size ${size}`);
    assert.equal(crc32cWasm(data), expected, `wasm size ${size}`);
    if (crc32cNative) assert.equal(crc32cNative(data), expected, `native size ${size}`);
    const end = Math.max(3, size - 5);
    assert.equal(crc32c(data, 3, end), crc32cUpdate(0, data, 3, end), `crc32c slice size ${size}`);
  }
});
