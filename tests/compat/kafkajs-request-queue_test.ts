/**
 * The correction tests/helpers/kafkajs.ts applies to kafkajs 2.2.4: a request queue never asks
 * for a negative timer (the TimeoutNegativeWarning of issue 14, and a 1 ms wake-up loop per
 * idle connection).
 */
import assert from "node:assert/strict";
import RequestQueue from "kafkajs/src/network/requestQueue/index.js";
import { pendingCheckDelay } from "../helpers/kafkajs.ts";

Deno.test("pendingCheckDelay: no timer while nothing waits, never a negative delay", () => {
  const now = 1_796_399_142_361;
  // The case kafkajs got wrong: never throttled (throttledUntil -1), empty queue.
  assert.deepEqual(pendingCheckDelay(-1, now, 0), undefined);
  assert.deepEqual(pendingCheckDelay(now + 500, now, 0), undefined);
  // Throttled: wait for the throttle to end.
  assert.deepEqual(pendingCheckDelay(now + 250, now, 3), 250);
  // Throttle over or never set, but held back by max-in-flight: kafkajs's 10 ms poll.
  assert.deepEqual(pendingCheckDelay(-1, now, 1), 10);
  assert.deepEqual(pendingCheckDelay(now - 5, now, 1), 10);
});

Deno.test("kafkajs RequestQueue (corrected) arms no timer after a response leaves the queue empty", () => {
  const delays: number[] = [];
  const original = globalThis.setTimeout;
  const timers: ReturnType<typeof setTimeout>[] = [];
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    const id = original(fn, ms);
    timers.push(id);
    return id;
  }) as typeof setTimeout;
  try {
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    // deno-lint-ignore no-explicit-any
    const queue = new (RequestQueue as any)({ maxInFlightRequests: 1, clientId: "t", broker: "b", logger });
    queue.checkPendingRequests(); // what kafkajs runs after every response
    assert.deepEqual(delays, []);
    // Held back by a full in-flight window: one positive poll timer.
    queue.inflight.set(1, {});
    queue.pending.push({});
    queue.scheduleCheckPendingRequests();
    assert.deepEqual(delays, [10]);
  } finally {
    globalThis.setTimeout = original;
    for (const id of timers) clearTimeout(id);
  }
});
