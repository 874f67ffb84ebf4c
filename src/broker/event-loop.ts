/**
 * Yielding to the event loop: work proportional to a request's size (thousands of partitions)
 * runs in slices with a real macrotask yield between them, so coordinator heartbeats, client
 * I/O and timers get their turn. An `await` on an already-resolved promise only runs the
 * microtask queue and would let nothing else in.
 *
 * @example
 * ```ts
 * const slice = new SliceClock();
 * for (const item of items) { await slice.maybeYield(); work(item); }
 * ```
 */

/** Let timers and I/O run before continuing (an await of a resolved promise would not). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Longest stretch of synchronous work between two yields, by default. */
export const SLICE_MS = 10;

/**
 * Yields when the current slice has run for sliceMs (checked every call: cheap, one clock read).
 * Time, not a count, bounds a slice, so a slow item (an fsync, a cold open) cannot make a count
 * of them stretch into seconds.
 */
export class SliceClock {
  readonly #sliceMs: number;
  #start = performance.now();

  constructor(sliceMs = SLICE_MS) {
    this.#sliceMs = sliceMs;
  }

  /** Resolves at once while the slice lasts; otherwise after a macrotask yield, starting a new slice. */
  async maybeYield(): Promise<void> {
    if (performance.now() - this.#start < this.#sliceMs) return;
    await yieldToEventLoop();
    this.#start = performance.now();
  }
}
