import assert from "node:assert/strict";
import { RecordAccumulator } from "../../src/client/accumulator.ts";
import { decodeRecordBatch } from "../../src/kafka/record-batch.ts";

const value = new Uint8Array(100);

Deno.test("records fill per-partition batches; a full batch is ready at once", async () => {
  let readyCalls = 0;
  const closed: number[] = [];
  const accumulator = new RecordAccumulator({
    batchBytes: 1_000,
    lingerMs: 60_000,
    onReady: () => readyCalls++,
    onBatchClosed: (batch) => closed.push(batch.partition),
  });
  try {
    const a = accumulator.append("t", 0, null, value, 0);
    const b = accumulator.append("t", 1, null, value, 0);
    assert.notEqual(a.batch, b.batch);
    assert.equal(accumulator.append("t", 0, null, value, 0).batch, a.batch);
    assert.deepEqual(accumulator.drain(false), []); // lingering
    let last = a;
    while (last.batch === a.batch) last = accumulator.append("t", 0, null, value, 0);
    assert.equal(last.offsetDelta, 0);
    await Promise.resolve();
    assert.equal(readyCalls, 1);
    assert.deepEqual(closed, [0]);
    const ready = accumulator.drain(false);
    assert.deepEqual(ready, [a.batch]);
    assert.ok(a.batch.builder.sizeBytes <= 1_000);
    const all = accumulator.drain(true);
    assert.equal(all.length, 2);
    assert.ok(!accumulator.hasPending);
  } finally {
    accumulator.stop();
  }
});

Deno.test("linger: open batches become ready after lingerMs", async () => {
  let now = 1_000;
  let resolveReady: () => void;
  const readied = new Promise<void>((resolve) => resolveReady = resolve);
  const accumulator = new RecordAccumulator({
    batchBytes: 1 << 20,
    lingerMs: 20,
    onReady: () => resolveReady(),
    now: () => now,
  });
  try {
    accumulator.append("t", 0, null, value, 0);
    assert.deepEqual(accumulator.drain(false), []);
    now += 20;
    await readied;
    const [batch] = accumulator.drain(false);
    assert.equal(batch.recordCount, 1);
  } finally {
    accumulator.stop();
  }
});

Deno.test("buffered bytes count from append to release; batch results settle once", async () => {
  const accumulator = new RecordAccumulator({ batchBytes: 1 << 20, lingerMs: 0, onReady: () => {} });
  for (let i = 0; i < 10; i++) accumulator.append("t", 0, null, value, 0);
  assert.ok(accumulator.bufferedBytes >= 10 * 100);
  const [batch] = accumulator.drain(false);
  assert.equal(decodeRecordBatch(batch.builder.finish()).recordsCount, 10);
  assert.ok(accumulator.bufferedBytes > 0);
  accumulator.release(batch);
  assert.equal(accumulator.bufferedBytes, 0);
  batch.succeed(42);
  batch.fail(new Error("late"));
  assert.equal(await batch.result, 42);
  accumulator.stop();
});
