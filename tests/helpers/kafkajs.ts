/**
 * kafkajs 2.2.4, the peer client, with one bug of its own corrected, for the benchmarks: their
 * output stays free of the peer's warning and an idle peer connection does not spin. The
 * compatibility and integration tests import "kafkajs" itself: they prove that the client as
 * users install it works against Vltava, bug included.
 *
 * The bug: RequestQueue.scheduleCheckPendingRequests arms a timer for `throttledUntil - now`
 * even when no request is waiting. `throttledUntil` starts at -1, so after every response the
 * queue asked for a timer of about -1.8e12 ms: Deno (like Node) prints `TimeoutNegativeWarning`
 * once, clamps the delay to 1 ms, and the callback re-arms the same negative timer — a 1 ms
 * wake-up loop per idle connection for as long as it stays open (the warning issue 14 saw in
 * `deno task bench broker`). The fix below arms no timer when nothing is pending: push()
 * re-schedules when a request is queued, and every response checks the queue anyway.
 * kafkajs has had no release since 2.2.4, so the correction lives here.
 */
import RequestQueue from "kafkajs/src/network/requestQueue/index.js";

export * from "kafkajs";

/** kafkajs's own poll interval for a queue held back by max-in-flight (not by throttling). */
const CHECK_PENDING_INTERVAL_MS = 10;

/**
 * When to look at a request queue again: undefined when nothing waits (no timer), else the
 * throttle time left, or kafkajs's poll interval when the queue waits for an in-flight slot.
 * Never negative.
 */
export function pendingCheckDelay(throttledUntil: number, now: number, pending: number): number | undefined {
  if (pending === 0) return undefined;
  const throttleLeft = throttledUntil - now;
  return throttleLeft > 0 ? throttleLeft : CHECK_PENDING_INTERVAL_MS;
}

interface QueueState {
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  throttledUntil: number;
  pending: unknown[];
  checkPendingRequests(): void;
}

(RequestQueue.prototype as QueueState & { scheduleCheckPendingRequests(): void })
  .scheduleCheckPendingRequests = function (this: QueueState): void {
    if (this.throttleCheckTimeoutId) return; // one timer is armed; it re-schedules when it fires
    const delay = pendingCheckDelay(this.throttledUntil, Date.now(), this.pending.length);
    if (delay === undefined) return;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
