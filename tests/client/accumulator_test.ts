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
    assert.equal(accumulator.append("t", 0, null, value, 0), 0);
    const a = { batch: accumulator.lastBatch! };
    assert.equal(accumulator.append("t", 1, null, value, 0), 0);
    const b = { batch: accumulator.lastBatch! };
    assert.notEqual(a.batch, b.batch);
    assert.equal(accumulator.append("t", 0, null, value, 0), 1);
    assert.equal(accumulator.lastBatch, a.batch);
    assert.deepEqual(accumulator.drain(false), []); // lingering
    let offsetDelta = 1;
    while (accumulator.lastBatch === a.batch) offsetDelta = accumulator.append("t", 0, null, value, 0);
    assert.equal(offsetDelta, 0);
    assert.equal(a.batch.closed, true);
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

Deno.test("holdBack: a lingering batch whose partition cannot send stays open and keeps filling", async () => {
  let now = 1_000;
  let readyCalls = 0;
  let held = true;
  const accumulator = new RecordAccumulator({
    batchBytes: 1 << 20,
    lingerMs: 20,
    // As the producer does: every onReady drains, holding back while the partition is busy.
    onReady: () => {
      readyCalls++;
      accumulator.drain(false, () => held);
    },
    now: () => now,
  });
  try {
    accumulator.append("t", 0, null, value, 0);
    const batch = accumulator.lastBatch!;
    now += 20;
    assert.deepEqual(accumulator.drain(false, () => held), [], "linger is up, but the partition is busy");
    assert.equal(accumulator.append("t", 0, null, value, 0), 1, "the held batch takes the next record");
    assert.equal(accumulator.lastBatch, batch);
    // No timer for a held batch: the caller drains again when the partition can send. A timer
    // re-armed for an overdue batch would call onReady over and over.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(readyCalls <= 1, `onReady called ${readyCalls} times`);
    held = false;
    assert.deepEqual(accumulator.drain(false, () => held), [batch]);
    assert.equal(batch.recordCount, 2);
    // A flush (all) closes held batches too.
    accumulator.append("t", 0, null, value, 0);
    held = true;
    assert.equal(accumulator.drain(true, () => held).length, 1);
    assert.ok(!accumulator.hasPending);
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
