import assert from "node:assert/strict";
import { MAX_NODE_ID, parseSnowflake, Snowflake, SNOWFLAKE_EPOCH_MS } from "../../src/ids/snowflake.ts";

function manualClock(startMs: number) {
  const clock = { nowMs: startMs, read: () => clock.nowMs };
  return clock;
}

Deno.test("ids from different node ids never collide, even at the same instant", () => {
  const clock = manualClock(SNOWFLAKE_EPOCH_MS + 1_000);
  const generators = [0, 1, 2, MAX_NODE_ID].map((node) => new Snowflake(node, { clock: clock.read }));
  const seen = new Set<bigint>();
  for (let i = 0; i < 5000; i++) {
    if (i % 1000 === 0) clock.nowMs++;
    for (const generator of generators) seen.add(generator.next());
  }
  assert.equal(seen.size, 5000 * generators.length);
});

Deno.test("ids are positive, fit in 63 bits and carry their parts", () => {
  const clock = manualClock(SNOWFLAKE_EPOCH_MS + 123_456);
  const id = new Snowflake(77, { clock: clock.read }).next();
  assert.ok(id > 0n && id < 2n ** 63n);
  assert.deepEqual(parseSnowflake(id), { timestampMs: 123_456, nodeId: 77, sequence: 0 });
});

Deno.test("ids are strictly monotonic with the real clock", () => {
  const generator = new Snowflake(5);
  let previous = -1n;
  for (let i = 0; i < 20_000; i++) {
    const id = generator.next();
    assert.ok(id > previous);
    previous = id;
  }
});

Deno.test("a clock stepping back borrows the last timestamp and stays monotonic", () => {
  const clock = manualClock(SNOWFLAKE_EPOCH_MS + 10_000);
  const generator = new Snowflake(1, { clock: clock.read });
  const before = generator.next();
  clock.nowMs -= 5_000;
  const after = [generator.next(), generator.next()];
  assert.ok(after[0] > before && after[1] > after[0]);
  assert.equal(parseSnowflake(after[1]).timestampMs, 10_000);
  clock.nowMs += 10_000;
  const later = generator.next();
  assert.ok(later > after[1]);
  assert.equal(parseSnowflake(later).timestampMs, 15_000);
});

Deno.test("sequence overflow within one ms moves to the next ms without repeating", () => {
  const clock = manualClock(SNOWFLAKE_EPOCH_MS + 50);
  const generator = new Snowflake(2, { clock: clock.read });
  const ids: bigint[] = [];
  for (let i = 0; i < 4096 * 2 + 3; i++) ids.push(generator.next());
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1]);
  assert.deepEqual(parseSnowflake(ids[4095]), { timestampMs: 50, nodeId: 2, sequence: 4095 });
  assert.deepEqual(parseSnowflake(ids[4096]), { timestampMs: 51, nodeId: 2, sequence: 0 });
});

Deno.test("running too far ahead of a stuck clock throws instead of drifting", () => {
  const clock = manualClock(SNOWFLAKE_EPOCH_MS + 50);
  const generator = new Snowflake(2, { clock: clock.read, maxLeadMs: 2 });
  for (let i = 0; i < 4096 * 3; i++) generator.next();
  assert.throws(() => generator.next(), RangeError);
});

Deno.test("node ids outside 0..1023 are refused", () => {
  assert.throws(() => new Snowflake(1024), RangeError);
  assert.throws(() => new Snowflake(-1), RangeError);
});
