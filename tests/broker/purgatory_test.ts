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

Deno.test("a wake releases its waiters oldest first; a waiter on several keys leaves all their lists", async () => {
  const purgatory = new Purgatory(10);
  const order: string[] = [];
  const waits = ["first", "second", "third"].map((name) =>
    purgatory.wait(name === "second" ? ["t:0", "t:1", "t:0"] : ["t:0"], 60_000).then(() => order.push(name))
  );
  purgatory.wake("t:0");
  await Promise.all(waits);
  assert.deepEqual(order, ["first", "second", "third"]);
  assert.equal(purgatory.size, 0);
  // "second" also waited on t:1 (and named t:0 twice): no trace of it is left to wake.
  const later = purgatory.wait(["t:1"], 60_000);
  assert.equal(purgatory.size, 1);
  purgatory.wake("t:1");
  assert.equal(await later, "woken");
  assert.equal(purgatory.size, 0);
  purgatory.close();
});

Deno.test("the lists of keys nobody waits on any more are dropped once they are many", async () => {
  // Every fetch session has a key of its own: sessions come and go, their lists must not stay.
  const purgatory = new Purgatory(10);
  for (let i = 0; i < 5_000; i++) {
    const waiting = purgatory.wait([`session:${i}`], 60_000);
    purgatory.wake(`session:${i}`);
    await waiting;
    assert.ok(purgatory.keyCount <= 1_025, `${purgatory.keyCount} key lists kept for nothing waiting`);
  }
  const held = purgatory.wait(["log:t:0"], 60_000);
  for (let i = 0; i < 3_000; i++) purgatory.wake(`session:${i}`); // waking a dropped key: nothing
  assert.equal(purgatory.size, 1);
  purgatory.wake("log:t:0");
  assert.equal(await held, "woken");
  purgatory.close();
});
