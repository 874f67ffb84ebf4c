/**
 * Time for the group coordinator, injected so tests drive session and rebalance timeouts by
 * hand instead of waiting for real time.
 */

/** Opaque handle of a scheduled timer. */
export type TimerId = number;

/** A clock that can also schedule callbacks. */
export interface Clock {
  nowMs(): number;
  setTimer(callback: () => void, delayMs: number): TimerId;
  clearTimer(id: TimerId): void;
}

/** Wall-clock time and the runtime's timers. */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  // Deno's timers are numbers; the cast only quiets the Node typings pulled in by npm packages.
  setTimer: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)) as unknown as number,
  clearTimer: (id) => clearTimeout(id),
};

/**
 * A clock that moves only when told: `advance(ms)` fires every timer due by then, in due order
 * (timers scheduled by a firing timer fire too when they fall inside the step).
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * clock.setTimer(() => console.log("fired"), 1000);
 * clock.advance(1000); // prints "fired"
 * ```
 */
export class ManualClock implements Clock {
  #nowMs: number;
  #nextId = 1;
  readonly #timers = new Map<TimerId, { dueMs: number; callback: () => void }>();

  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  setTimer(callback: () => void, delayMs: number): TimerId {
    const id = this.#nextId++;
    this.#timers.set(id, { dueMs: this.#nowMs + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimer(id: TimerId): void {
    this.#timers.delete(id);
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Move time forward by deltaMs, firing due timers in order. */
  advance(deltaMs: number): void {
    const targetMs = this.#nowMs + deltaMs;
    for (;;) {
      let nextId: TimerId | undefined;
      let nextDueMs = Infinity;
      for (const [id, timer] of this.#timers) {
        if (timer.dueMs < nextDueMs || (timer.dueMs === nextDueMs && id < nextId!)) {
          nextId = id;
          nextDueMs = timer.dueMs;
        }
      }
      if (nextId === undefined || nextDueMs > targetMs) break;
      const timer = this.#timers.get(nextId)!;
      this.#timers.delete(nextId);
      this.#nowMs = Math.max(this.#nowMs, timer.dueMs);
      timer.callback();
    }
    this.#nowMs = targetMs;
  }
}
