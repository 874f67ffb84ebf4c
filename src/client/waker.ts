/**
 * Waits that end when someone wakes them or their time is up, on one timer however many waits
 * come and go. A consumer waits for records about once per fetch answer (hundreds of times a
 * second) and is woken long before its timeout. A timer per wait, set and cleared, left objects
 * that V8 promoted into its old space: its sampling heap profiler, counting only what
 * mark-compacts freed, put those timers first, and with them gone the latency bench's client ran
 * a third as many mark-compacts, during which its slowest records had been sent (issue 14; why
 * the runtime keeps a cleared timer's objects that long was not looked into). Here the one timer is
 * set for the earliest deadline of the waits in progress and only moved earlier, never cleared
 * per wait; when it fires it ends the waits that are due and is set again for the next.
 *
 * @example
 * ```ts
 * const waker = new Waker();
 * await waker.wait(5_000); // until waker.wake() or 5 s
 * waker.close();           // ends the waits in progress and the timer
 * ```
 */
interface Wait {
  resolve: () => void;
  deadline: number;
}

export class Waker {
  #waits: Wait[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When #timer fires (Infinity: not set). */
  #timerAt = Infinity;

  /** Resolves on the next wake() or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const deadline = performance.now() + ms;
      this.#waits.push({ resolve, deadline });
      if (deadline < this.#timerAt) this.#setTimer(deadline);
    });
  }

  /** End every wait in progress now. */
  wake(): void {
    if (this.#waits.length === 0) return;
    const waits = this.#waits;
    this.#waits = [];
    for (const wait of waits) wait.resolve();
  }

  /** wake(), and let go of the timer (nothing keeps the process alive for it). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.wake();
  }

  #setTimer(at: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - performance.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    const pending: Wait[] = [];
    for (const wait of this.#waits) {
      if (wait.deadline <= now) wait.resolve();
      else {
        pending.push(wait);
        if (wait.deadline < next) next = wait.deadline;
      }
    }
    this.#waits = pending;
    if (next !== Infinity) this.#setTimer(next);
  }
}
