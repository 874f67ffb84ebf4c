/** Writer.rawShared: large arrays by reference, the same bytes as copying them, patches guarded. */
import assert from "node:assert/strict";
import { Writer } from "../../src/wire/writer.ts";

Deno.test("rawShared keeps a large array by reference and yields the same bytes as raw", () => {
  const big = new Uint8Array(100_000).map((_, i) => i % 251);
  const shared = new Writer(16).int32(7).rawShared(big).int16(3).rawShared(new Uint8Array([1, 2]));
  const copied = new Writer(16).int32(7).raw(big).int16(3).raw(new Uint8Array([1, 2]));
  assert.equal(shared.length, copied.length);
  assert.deepEqual(shared.toBytes(), copied.toBytes());
  assert.deepEqual(shared.view(), copied.view());
  const chunks = shared.toChunks();
  assert.equal(chunks.length, 3);
  assert.ok(chunks[1] === big, "the large array is a chunk by reference, not a copy");
  assert.equal(chunks.reduce((sum, chunk) => sum + chunk.length, 0), copied.length);
  // Bytes written after the shared array do not touch what was written before it.
  assert.deepEqual([...chunks[0]], [0, 0, 0, 7]);
});

Deno.test("rawShared: patching after it works, patching before it is refused", () => {
  const writer = new Writer().int32(0).rawShared(new Uint8Array(70_000));
  const at = writer.length;
  writer.int32(0);
  writer.setInt32At(at, 42);
  assert.deepEqual([...writer.toChunks()[2]], [0, 0, 0, 42]);
  assert.throws(() => writer.setInt32At(0, 1), RangeError);
  writer.reset();
  assert.equal(writer.length, 0);
  assert.deepEqual(writer.int8(5).toBytes(), new Uint8Array([5]));
});

Deno.test("toChunksCopied: the writer can be reused while its chunks are pending", () => {
  const big = new Uint8Array(80_000).fill(9);
  const writer = new Writer().int32(1).rawShared(big).int32(2);
  const chunks = writer.toChunksCopied();
  assert.ok(chunks[1] === big);
  writer.reset().int32(-1).int32(-1).int32(-1);
  assert.deepEqual([...chunks[0]], [0, 0, 0, 1]);
  assert.deepEqual([...chunks[2]], [0, 0, 0, 2]);
  assert.deepEqual(new Writer().int8(3).toChunksCopied(), [new Uint8Array([3])]);
});
