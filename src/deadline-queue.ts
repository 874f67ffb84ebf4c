/**
 * Deadlines of many waits on one timer: a min-heap by deadline and a single timer set for the
 * earliest. Used by the broker's purgatory, the client's Waker and its connections' request
 * timeouts. The purgatory parks thousands of waits a second on a busy leader (every follower's
 * long poll, every caught-up consumer's, every acks=all produce), nearly all ended early by a
 * wake. With a timer per wait, set then cleared, a cycle of three waits and their wakes took
 * 5-10 µs; with this queue 2.6 µs (issue 14; V8's sampling heap profiler had also put the timer
 * objects among what the leader promoted to its old space).
 *
 * An entry ended early leaves the heap at once: it knows its place there (deadlineSlot), so
 * remove() is O(log n) and keeps nothing of it. (Left in the heap until its deadline, as a first
 * version did, an ended wait and all it held lived long enough to be moved to V8's old space.)
 * The timer is never cleared per wait: it fires at the earliest deadline it was set for, ends
 * what is due and is set again for the next entry. While the heap is empty it is unref'd, so it
 * keeps no process (or test) alive on its own.
 *
 * @example
 * ```ts
 * const queue = new DeadlineQueue<Entry>((entry) => entry.resolve("timeout"));
 * queue.add(entry);       // entry.deadline: a performance.now() time; entry.deadlineSlot: -1
 * queue.remove(entry);    // woken early: gone from the queue now
 * queue.close();
 * ```
 */

import { invariant } from "./assert.ts";

/** What the queue orders: a deadline (performance.now() ms) and the entry's place in the heap. */
export interface Deadline {
  readonly deadline: number;
  /** The queue's field: the entry's index in its heap, -1 while it is not there. Start at -1. */
  deadlineSlot: number;
}

export class DeadlineQueue<T extends Deadline> {
  readonly #expire: (entry: T) => void;
  readonly #heap: T[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When #timer fires (Infinity: not set). */
  #timerAt = Infinity;
  #timerHeld = false;

  /** expire(entry) ends an entry whose deadline passed; it has left the queue by then. */
  constructor(expire: (entry: T) => void) {
    this.#expire = expire;
  }

  /** Entries waiting for their deadline. */
  get size(): number {
    return this.#heap.length;
  }

  add(entry: T): void {
    invariant(
      entry.deadlineSlot === -1,
      () => `DeadlineQueue.add: queued already (slot ${entry.deadlineSlot})`,
    );
    this.#heap.push(entry);
    this.#siftUp(this.#heap.length - 1);
    if (entry.deadline < this.#timerAt) this.#setTimer(entry.deadline);
    this.#hold(true);
  }

  /** Take out an entry that ended early (nothing when it is not queued). */
  remove(entry: T): void {
    const slot = entry.deadlineSlot;
    if (slot < 0) return;
    const heap = this.#heap;
    invariant(heap[slot] === entry, () => `DeadlineQueue.remove: slot ${slot} holds another entry`);
    entry.deadlineSlot = -1;
    const last = heap.pop()!;
    if (last !== entry) {
      heap[slot] = last;
      last.deadlineSlot = slot;
      this.#siftDown(slot);
      this.#siftUp(last.deadlineSlot);
    }
    if (heap.length === 0) this.#hold(false);
  }

  /** Let go of the timer and of every entry; none is expired (the owner ends them). */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#timerHeld = false;
    for (const entry of this.#heap) entry.deadlineSlot = -1;
    this.#heap.length = 0;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#timerHeld = false;
    const now = performance.now();
    for (let top = this.#heap[0]; top !== undefined; top = this.#heap[0]) {
      if (top.deadline > now) {
        this.#setTimer(top.deadline);
        this.#hold(true);
        return;
      }
      this.remove(top);
      this.#expire(top);
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

  #siftUp(index: number): void {
    const heap = this.#heap;
    const entry = heap[index];
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent].deadline <= entry.deadline) break;
      heap[index] = heap[parent];
      heap[index].deadlineSlot = index;
      index = parent;
    }
    heap[index] = entry;
    entry.deadlineSlot = index;
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
      heap[index].deadlineSlot = index;
      index = child;
    }
    heap[index] = entry;
    entry.deadlineSlot = index;
  }
}
