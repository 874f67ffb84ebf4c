/**
 * Waker: many waits on one timer (the consumer's poll and fetch loop). A wait ends on wake() or
 * at its own deadline, whatever other waits are in progress; close() ends them and lets go of
 * the timer (the test's resource sanitizer fails on a timer left behind).
 */
import assert from "node:assert/strict";
import { Waker } from "../../src/client/waker.ts";

Deno.test("wake() ends every wait in progress at once, and only those", async () => {
  const waker = new Waker();
  const ended: string[] = [];
  const a = waker.wait(60_000).then(() => ended.push("a"));
  const b = waker.wait(60_000).then(() => ended.push("b"));
  waker.wake();
  await Promise.all([a, b]);
  assert.deepEqual(ended, ["a", "b"]);
  let late = false;
  const c = waker.wait(50).then(() => late = true);
  waker.wake(); // ends c too: it is in progress
  await c;
  assert.equal(late, true);
  waker.close();
});

Deno.test("each wait ends at its own deadline: a short one behind a long one is not held up", async () => {
  const waker = new Waker();
  const started = performance.now();
  let longEnded = false;
  const long = waker.wait(60_000).then(() => longEnded = true);
  await waker.wait(30);
  await waker.wait(20); // the timer moves earlier for it, and again after
  assert.equal(longEnded, false);
  assert.ok(performance.now() - started < 30_000, "the short waits ended at their deadlines");
  waker.close(); // ends the long wait and lets go of the timer
  await long;
  assert.equal(longEnded, true);
});

Deno.test("many waits woken early cost no timer each, and the last deadline still ends its wait", async () => {
  const waker = new Waker();
  for (let i = 0; i < 1_000; i++) {
    const wait = waker.wait(5_000);
    waker.wake();
    await wait;
  }
  const started = performance.now();
  await waker.wait(10);
  assert.ok(performance.now() - started >= 9, "ended by its deadline, not early");
  waker.close();
});
