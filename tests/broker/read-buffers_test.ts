/**
 * ReadBuffers (src/broker/read-buffers.ts): a fetch response's reads are views of exactly the
 * size asked, of pooled buffers of their size class, all given back together, once: reading
 * through a lease that was given back, or giving it back twice, is a bug and throws.
 */
import assert from "node:assert/strict";
import { BufferPool } from "../../src/buffer-pool.ts";
import { fetchBufferPool, ReadBuffers } from "../../src/broker/read-buffers.ts";
import { InvariantError, setInvariantMode } from "../../src/assert.ts";

setInvariantMode("throw");

Deno.test("read buffers: views of pooled size classes, given back together and only once", () => {
  const pool = new BufferPool(64 * 1024 * 1024);
  const first = new ReadBuffers(pool);
  const a = first.allocate(5_000_000);
  const b = first.allocate(100);
  assert.equal(a.length, 5_000_000);
  assert.equal(a.buffer.byteLength, 8 * 1024 * 1024);
  assert.equal(b.length, 100);
  assert.equal(b.buffer.byteLength, 4096, "small reads share the smallest class");
  assert.equal(pool.idleBytes, 0);
  first.giveBack();
  assert.equal(pool.idleBytes, 8 * 1024 * 1024 + 4096);
  assert.throws(() => first.giveBack(), InvariantError);
  assert.throws(() => first.allocate(10), InvariantError);

  const second = new ReadBuffers(pool);
  assert.equal(second.allocate(6_000_000).buffer, a.buffer, "the next read of the class reuses it");
  assert.equal(pool.idleBytes, 4096);
});

Deno.test("buffer pool: size classes are powers of two from 4 KiB", () => {
  assert.deepEqual(
    [0, 1, 4096, 4097, 65_536, 300_000, 8 * 1024 * 1024].map((size) => BufferPool.sizeClass(size)),
    [4096, 4096, 4096, 8192, 65_536, 524_288, 8 * 1024 * 1024],
  );
});

Deno.test("the broker's pool keeps a buffer for the largest response its fetch bound allows, beside the usual ones", () => {
  const MiB = 1024 * 1024;
  const fetchMaxBytes = 57_671_680; // Kafka's default 55 MiB: read into the 64 MiB class
  const pool = fetchBufferPool(fetchMaxBytes);
  const usual = new ReadBuffers(pool);
  for (let i = 0; i < 4; i++) usual.allocate(8 * MiB);
  const largest = new ReadBuffers(pool);
  const whole = largest.allocate(fetchMaxBytes);
  usual.giveBack();
  largest.giveBack();
  assert.equal(pool.idleBytes, 4 * 8 * MiB + 64 * MiB, "all five kept");
  assert.equal(
    new ReadBuffers(pool).allocate(fetchMaxBytes).buffer,
    whole.buffer,
    "the next largest read reuses it",
  );
  // A smaller bound leaves room for its own largest buffer only.
  assert.equal(fetchBufferPool(1 * MiB).maxIdleBytes, 32 * MiB + 1 * MiB);
});
