import assert from "node:assert/strict";
import { Purgatory } from "../../src/broker/purgatory.ts";

Deno.test("a wake releases every waiter on that key and no other", async () => {
  const purgatory = new Purgatory(10);
  const a = purgatory.wait(["t:0"], 60_000);
  const b = purgatory.wait(["t:0", "t:1"], 60_000);
  const c = purgatory.wait(["t:2"], 60_000);
  assert.equal(purgatory.size, 3);
  purgatory.wake("t:0");
  assert.deepEqual(await Promise.all([a, b]), ["woken", "woken"]);
  assert.equal(purgatory.size, 1);
  purgatory.close();
  assert.equal(await c, "closed");
  assert.equal(purgatory.size, 0);
});

Deno.test("a waiter nobody wakes times out", async () => {
  const purgatory = new Purgatory(10);
  assert.equal(await purgatory.wait(["t:0"], 5), "timeout");
  assert.equal(await purgatory.wait(["t:0"], 0), "timeout");
  assert.equal(purgatory.size, 0);
});

Deno.test("the number of waiters is bounded", async () => {
  const purgatory = new Purgatory(2);
  const parked = [purgatory.wait(["k"], 60_000), purgatory.wait(["k"], 60_000)];
  assert.equal(await purgatory.wait(["k"], 60_000), "full");
  purgatory.wake("k");
  await Promise.all(parked);
  const again = purgatory.wait(["k"], 60_000);
  assert.equal(purgatory.size, 1);
  purgatory.close();
  assert.equal(await again, "closed");
  assert.equal(await purgatory.wait(["k"], 60_000), "closed");
});
