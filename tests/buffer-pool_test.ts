/**
 * The producer's pool of batch buffers (src/buffer-pool.ts) and BatchBuilder's use of it:
 * buffers are reused by exact size, the pool never holds more than its bound, a buffer given back
 * twice is refused, and a builder hands its buffers back as it grows and once when recycled,
 * after which it refuses any use. A batch built in a reused buffer that held other bytes decodes
 * to its own records only (the builder writes every byte it later reads).
 */
import assert from "node:assert/strict";
import { BufferPool } from "../src/buffer-pool.ts";
import { BatchBuilder } from "../src/client/batch-builder.ts";
import { decodeRecordBatch } from "../src/kafka/record-batch.ts";
import { InvariantError, setInvariantMode } from "../src/assert.ts";

setInvariantMode("throw");

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null) => b === null ? null : new TextDecoder().decode(b);

Deno.test("a buffer given back is taken again for the same size, and only for it", () => {
  const pool = new BufferPool(1 << 20);
  const first = pool.take(4096);
  assert.equal(first.byteLength, 4096);
  pool.give(first);
  assert.equal(pool.idleBytes, 4096);
  assert.notEqual(pool.take(8192), first, "another size gets a new buffer");
  assert.equal(pool.take(4096), first);
  assert.equal(pool.idleBytes, 0);
  assert.notEqual(pool.take(4096), first, "taken: not handed out twice");
});

Deno.test("the pool holds at most its bound; buffers beyond it are left to the collector", () => {
  const pool = new BufferPool(10_000);
  const buffers = [pool.take(4096), pool.take(4096), pool.take(4096)];
  for (const buffer of buffers) pool.give(buffer);
  assert.equal(pool.idleBytes, 8192);
  assert.equal(pool.take(4096), buffers[1]);
  assert.equal(pool.take(4096), buffers[0]);
  assert.notEqual(pool.take(4096), buffers[2], "the third was not kept");
});

Deno.test("buffers idle longer than the age go to the collector; those given back since stay", () => {
  let now = 0;
  const pool = new BufferPool(1 << 20, () => now);
  const [a, b, c] = [pool.take(4096), pool.take(4096), pool.take(8192)];
  pool.give(a);
  pool.give(c);
  now = 50_000;
  pool.give(b);
  now = 70_000;
  assert.equal(pool.dropIdleOlderThan(60_000), 4096 + 8192, "a and c, idle 70 s");
  assert.equal(pool.idleBytes, 4096);
  assert.equal(pool.take(4096), b, "b, idle 20 s, is still reused");
  assert.notEqual(pool.take(4096), a);
  assert.notEqual(pool.take(8192), c);
  pool.give(a); // dropped buffers are forgotten: one of them given back again is taken in
  assert.equal(pool.idleBytes, 4096);
  assert.equal(pool.dropIdleOlderThan(60_000), 0);
});

Deno.test("a buffer given back twice, or a view of one, is refused", () => {
  const pool = new BufferPool(1 << 20);
  const buffer = pool.take(4096);
  pool.give(buffer);
  assert.throws(() => pool.give(buffer), InvariantError);
  assert.equal(pool.idleBytes, 4096, "still held once");
  assert.throws(() => pool.give(new Uint8Array(8192).subarray(0, 4096)), InvariantError);
  assert.throws(() => pool.give(new Uint8Array(8192).subarray(16)), InvariantError);
});

Deno.test("a growing builder gives each outgrown buffer back and takes its next from the pool", () => {
  const pool = new BufferPool(1 << 20);
  const builder = new BatchBuilder(1 << 20, 4096, pool);
  const value = new Uint8Array(1000).fill(7);
  for (let i = 0; i < 20; i++) builder.append(null, value, 1_000 + i); // past 4 KiB, 8 KiB and 16 KiB
  assert.equal(pool.idleBytes, 4096 + 8192 + 16384);
  const batch = builder.finish();
  assert.equal(decodeRecordBatch(batch, 0, {}).recordsCount, 20);
  builder.recycle();
  assert.equal(pool.idleBytes, 4096 + 8192 + 16384 + 32768);
  builder.recycle(); // a second call does nothing
  assert.equal(pool.idleBytes, 4096 + 8192 + 16384 + 32768);
});

Deno.test("a recycled builder refuses appends, finish and split", () => {
  const pool = new BufferPool(1 << 20);
  const builder = new BatchBuilder(1 << 20, 4096, pool);
  builder.append(null, bytes("a"), 1);
  builder.append(null, bytes("b"), 2);
  builder.finish();
  builder.recycle();
  assert.throws(() => builder.append(null, bytes("c"), 3), InvariantError);
  assert.throws(() => builder.finish(), InvariantError);
  assert.throws(() => builder.split(100), InvariantError);
});

Deno.test("a finished builder does not grow: the bytes finish() returned must not move", () => {
  const builder = new BatchBuilder(1 << 20, 4096, new BufferPool(1 << 20));
  builder.append(null, bytes("a"), 1);
  builder.finish();
  assert.throws(() => builder.append(null, new Uint8Array(10_000), 2), InvariantError);
});

Deno.test("a batch built in a reused buffer decodes to its own records, nothing of the last use", () => {
  const pool = new BufferPool(1 << 20);
  const old = new BatchBuilder(1 << 20, 4096, pool);
  const big = new Uint8Array(300).fill(0xee);
  for (let i = 0; i < 12; i++) old.append(bytes(`old-${i}`), big, 5_000 + i, [{ key: "h", value: "old" }]);
  old.finish(0, undefined, { producerId: 77n, producerEpoch: 3, baseSequence: 40, transactional: true });
  old.recycle();
  const fresh = new BatchBuilder(1 << 20, 4096, pool);
  fresh.append(null, bytes("new-0"), 9_000);
  fresh.append(bytes("k"), bytes("new-1"), 9_001);
  const decoded = decodeRecordBatch(fresh.finish(), 0, {});
  assert.equal(decoded.recordsCount, 2);
  assert.equal(decoded.producerId, -1n);
  assert.equal(decoded.baseSequence, -1);
  assert.equal(decoded.transactional, false);
  assert.deepEqual(
    decoded.records.map((r) => [r.timestamp, text(r.key), text(r.value), r.headers.length]),
    [[9_000, null, "new-0", 0], [9_001, "k", "new-1", 0]],
  );
});
