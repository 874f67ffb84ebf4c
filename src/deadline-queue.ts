/**
 * Deadlines of many waits on one timer: a min-heap by deadline and a single timer set for the
 * earliest. Used by the broker's purgatory and the client's Waker. The purgatory parks thousands of waits a second on a busy leader (every follower's
 * long poll, every caught-up consumer's, every acks=all produce), nearly all ended early by a
 * wake. With a timer per wait, set then cleared, a cycle of three waits and their wakes took
 * 5-10 µs; with this queue 2.6 µs (issue 14; V8's sampling heap profiler had also put the timer
 * objects among what the leader promoted to its old space).
 *
 * An entry ended early is not searched for: it is marked settled and dropped when it reaches the
 * top, or when settled entries outnumber live ones and the heap is rebuilt (so the heap holds at
 * most about twice the live entries). The timer is never cleared per wait: it fires at the
 * earliest deadline it was set for, ends what is due and is set again for the next live entry.
 * While no entry is live it is unref'd, so it keeps no process (or test) alive on its own.
 *
 * @example
 * ```ts
 * const queue = new DeadlineQueue<Entry>((entry) => entry.resolve("timeout"));
 * queue.add(entry);       // entry.deadline: a performance.now() time
 * entry.settled = true;   // woken early: the queue forgets it in time
 * queue.settled();        // …and is told one fewer is live
 * queue.close();
 * ```
 */

/** What the queue orders: a deadline (performance.now() ms) and whether the wait already ended. */
export interface Deadline {
  readonly deadline: number;
  settled: boolean;
}

/** Settled entries tolerated beyond the live ones before the heap is rebuilt. */
const REBUILD_SLACK = 1024;

export class DeadlineQueue<T extends Deadline> {
  readonly #expire: (entry: T) => void;
  #heap: T[] = [];
  #live = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When #timer fires (Infinity: not set). */
  #timerAt = Infinity;
  #timerHeld = false;

  /** expire(entry) ends an entry whose deadline passed; it must mark the entry settled. */
  constructor(expire: (entry: T) => void) {
    this.#expire = expire;
  }

  /** Entries added and not yet settled (as counted through settled()). */
  get live(): number {
    return this.#live;
  }

  /** Entries the heap holds, settled ones not yet dropped included (for tests). */
  get held(): number {
    return this.#heap.length;
  }

  add(entry: T): void {
    this.#heap.push(entry);
    this.#siftUp(this.#heap.length - 1);
    this.#live++;
    if (entry.deadline < this.#timerAt) this.#setTimer(entry.deadline);
    this.#hold(true);
  }

  /** One entry was settled (marked by its owner, or by expire): one fewer live. */
  settled(): void {
    this.#live--;
    if (this.#live === 0) {
      this.#hold(false);
      this.#heap.length = 0; // every entry is settled: none needs its deadline any more
    } else if (this.#heap.length > 2 * this.#live + REBUILD_SLACK) this.#rebuild();
  }

  /** Let go of the timer; entries are not expired (the owner ends them). */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#timerHeld = false;
    this.#heap.length = 0;
    this.#live = 0;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#timerHeld = false;
    const now = performance.now();
    for (let top = this.#heap[0]; top !== undefined; top = this.#heap[0]) {
      if (!top.settled && top.deadline > now) {
        this.#setTimer(top.deadline);
        this.#hold(true);
        return;
      }
      this.#pop();
      if (!top.settled) this.#expire(top); // settles it: settled() counts it
    }
  }

  #setTimer(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - performance.now()));
    this.#timerHeld = true;
  }

  /** Keep the process alive for the timer only while a wait depends on it. */
  #hold(held: boolean): void {
    if (this.#timer === undefined || held === this.#timerHeld) return;
    if (held) this.#timer.ref();
    else this.#timer.unref();
    this.#timerHeld = held;
  }

  #rebuild(): void {
    this.#heap = this.#heap.filter((entry) => !entry.settled);
    for (let i = (this.#heap.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  #pop(): void {
    const last = this.#heap.pop()!;
    if (this.#heap.length === 0) return;
    this.#heap[0] = last;
    this.#siftDown(0);
  }

  #siftUp(index: number): void {
    const heap = this.#heap;
    const entry = heap[index];
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent].deadline <= entry.deadline) break;
      heap[index] = heap[parent];
      index = parent;
    }
    heap[index] = entry;
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    const entry = heap[index];
    for (;;) {
      let child = 2 * index + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && heap[child + 1].deadline < heap[child].deadline) child++;
      if (heap[child].deadline >= entry.deadline) break;
      heap[index] = heap[child];
      index = child;
    }
    heap[index] = entry;
  }
}
