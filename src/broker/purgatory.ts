/**
 * Purgatory: where requests wait for something to happen to a partition — a long-poll Fetch
 * for new bytes, later an acks=all Produce for the high watermark — without blocking anything.
 *
 * A waiter names the keys it cares about (e.g. "topic:3") and a timeout; wake(key) releases every
 * waiter on that key, the timeout releases it otherwise. The waiter then re-checks its own
 * condition and waits again if it still has time (so a wake is only a hint: spurious wakes are
 * harmless). The number of parked waiters is bounded by maxWaiters; when full, wait() returns
 * "full" at once and the caller falls back to re-checking on a short timer, which degrades
 * long-poll to polling under overload rather than growing the waiter sets without bound.
 *
 * @example
 * ```ts
 * const purgatory = new Purgatory(10_000);
 * const woken = await purgatory.wait(["orders:0"], 500); // "woken" | "timeout" | "full" | "closed"
 * purgatory.wake("orders:0");
 * ```
 */

/** Why wait() returned. */
export type WaitOutcome = "woken" | "timeout" | "full" | "closed";

interface Waiter {
  keys: readonly string[];
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve: (outcome: WaitOutcome) => void;
}

export class Purgatory {
  readonly maxWaiters: number;
  readonly #byKey = new Map<string, Set<Waiter>>();
  #count = 0;
  #closed = false;

  constructor(maxWaiters: number) {
    if (!(maxWaiters >= 0)) throw new RangeError(`maxWaiters must be >= 0: got ${maxWaiters}`);
    this.maxWaiters = maxWaiters;
  }

  /** Parked waiters right now. */
  get size(): number {
    return this.#count;
  }

  /**
   * Parked waiters by kind: the prefix of their first key before ":" (e.g. "log" for fetches
   * waiting for the log to grow, "hwm" for those waiting for the high watermark). For metrics;
   * walks the waiters, so it costs what is parked, only when asked.
   */
  sizeByKind(): Map<string, number> {
    const kinds = new Map<string, number>();
    const counted = new Set<Waiter>();
    for (const set of this.#byKey.values()) {
      for (const waiter of set) {
        if (counted.has(waiter)) continue;
        counted.add(waiter);
        const first = waiter.keys[0] ?? "";
        const kind = first.includes(":") ? first.slice(0, first.indexOf(":")) : "other";
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
    }
    return kinds;
  }

  /** Park until one of keys is woken or timeoutMs passes. */
  wait(keys: readonly string[], timeoutMs: number): Promise<WaitOutcome> {
    if (this.#closed) return Promise.resolve("closed");
    if (timeoutMs <= 0) return Promise.resolve("timeout");
    if (this.#count >= this.maxWaiters) return Promise.resolve("full");
    return new Promise((resolve) => {
      const waiter: Waiter = {
        keys,
        timer: undefined,
        resolve: (outcome) => {
          this.#remove(waiter);
          resolve(outcome);
        },
      };
      waiter.timer = setTimeout(() => waiter.resolve("timeout"), timeoutMs);
      for (const key of keys) {
        let set = this.#byKey.get(key);
        if (set === undefined) this.#byKey.set(key, set = new Set());
        set.add(waiter);
      }
      this.#count++;
    });
  }

  /** Release every waiter on key. */
  wake(key: string): void {
    const set = this.#byKey.get(key);
    if (set === undefined) return;
    for (const waiter of [...set]) waiter.resolve("woken");
  }

  /** Release everyone (shutdown); later waits return "closed" at once. */
  close(): void {
    this.#closed = true;
    for (const set of [...this.#byKey.values()]) {
      for (const waiter of [...set]) waiter.resolve("closed");
    }
  }

  #remove(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    let removed = false;
    for (const key of waiter.keys) {
      const set = this.#byKey.get(key);
      if (set?.delete(waiter)) removed = true;
      if (set?.size === 0) this.#byKey.delete(key);
    }
    if (removed) this.#count--;
  }
}
