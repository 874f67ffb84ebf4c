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
 * A watcher is a standing interest in a key that outlives requests: a fetch session's partition
 * (../fetch-sessions.ts), which must hear of every change to it between its fetcher's requests.
 * wake(key) calls each watcher of the key synchronously, before it returns; watchers are bounded
 * by the fetch sessions that hold them (sessions × partitions), not by this class.
 *
 * @example
 * ```ts
 * const purgatory = new Purgatory(10_000);
 * const woken = await purgatory.wait(["orders:0"], 500); // "woken" | "timeout" | "full" | "closed"
 * purgatory.wake("orders:0");
 * ```
 */

import { DeadlineQueue } from "../deadline-queue.ts";
import { LinkedList, type ListNode } from "../linked-list.ts";

/** Why wait() returned. */
export type WaitOutcome = "woken" | "timeout" | "full" | "closed";

/** A standing interest in keys (see watch). */
export interface KeyWatcher {
  /** wake(key) was called: something changed for this key. Synchronous; must not throw. */
  keyWoken(key: string): void;
}

interface Waiter {
  /** Distinct keys. */
  keys: readonly string[];
  /** Its entry in each key's list, in the order of keys. */
  nodes: ListNode<Waiter>[];
  /** performance.now() time of its timeout. */
  deadline: number;
  /** Its place in the deadline queue (the queue's). */
  deadlineSlot: number;
  /** Released (woken, timed out, closed). */
  settled: boolean;
  resolve: (outcome: WaitOutcome) => void;
}

/** Emptied key lists kept before they are dropped (and while they are at most half the keys). */
const EMPTY_LISTS_KEPT = 1024;

export class Purgatory {
  readonly maxWaiters: number;
  /**
   * Each key's waiters. Lists, not Sets, and a list that empties stays until empty ones are many:
   * a busy partition's waiters come and go hundreds of times a second (../linked-list.ts says
   * why that churn must not go through a long-lived Set or Map).
   */
  readonly #byKey = new Map<string, LinkedList<Waiter>>();
  #emptyLists = 0;
  /** Most keys have one or two watchers (a partition's followers): arrays, not sets. */
  readonly #watchers = new Map<string, KeyWatcher[]>();
  #count = 0;
  #closed = false;
  /** Every waiter's timeout, on one timer rather than one each (deadline-queue.ts says why). */
  readonly #deadlines = new DeadlineQueue<Waiter>((waiter) => waiter.resolve("timeout"));

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
    for (const list of this.#byKey.values()) {
      for (const waiter of list) {
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
      const distinct = keys.length > 1 ? [...new Set(keys)] : keys;
      const waiter: Waiter = {
        keys: distinct,
        nodes: [],
        deadline: performance.now() + timeoutMs,
        deadlineSlot: -1,
        settled: false,
        resolve: (outcome) => {
          if (waiter.settled) return;
          this.#remove(waiter);
          resolve(outcome);
        },
      };
      this.#deadlines.add(waiter);
      for (const key of distinct) {
        let list = this.#byKey.get(key);
        if (list === undefined) this.#byKey.set(key, list = new LinkedList());
        else if (list.size === 0) this.#emptyLists--;
        waiter.nodes.push(list.push(waiter));
      }
      this.#count++;
    });
  }

  /** Release every waiter on key and tell its watchers. */
  wake(key: string): void {
    const watchers = this.#watchers.get(key);
    if (watchers !== undefined) {
      // A watcher may wake other keys, never unwatch this one (keyWoken's contract), so the array
      // is not copied.
      for (const watcher of watchers) watcher.keyWoken(key);
    }
    const list = this.#byKey.get(key);
    if (list === undefined) return;
    // Each release removes its waiter from this list, which the list's iteration allows; none is
    // added meanwhile (a waiter's continuation runs later, as a microtask).
    for (const waiter of list) waiter.resolve("woken");
  }

  /** Call watcher.keyWoken at every wake(key) until unwatch (watching twice calls it twice). */
  watch(key: string, watcher: KeyWatcher): void {
    const watchers = this.#watchers.get(key);
    if (watchers === undefined) this.#watchers.set(key, [watcher]);
    else watchers.push(watcher);
  }

  unwatch(key: string, watcher: KeyWatcher): void {
    const watchers = this.#watchers.get(key);
    const index = watchers?.indexOf(watcher) ?? -1;
    if (index < 0) return;
    if (watchers!.length === 1) this.#watchers.delete(key);
    else watchers!.splice(index, 1);
  }

  /** Watchers of key right now (for tests and checks). */
  watcherCount(key: string): number {
    return this.#watchers.get(key)?.length ?? 0;
  }

  /** Release everyone (shutdown); later waits return "closed" at once. */
  close(): void {
    this.#closed = true;
    for (const list of [...this.#byKey.values()]) {
      for (const waiter of list) waiter.resolve("closed");
    }
    this.#deadlines.close();
  }

  #remove(waiter: Waiter): void {
    waiter.settled = true;
    this.#deadlines.remove(waiter);
    const { keys, nodes } = waiter;
    for (let k = 0; k < keys.length; k++) {
      const list = this.#byKey.get(keys[k])!;
      list.remove(nodes[k]);
      if (list.size === 0) this.#emptyLists++;
    }
    this.#count--;
    if (this.#emptyLists > EMPTY_LISTS_KEPT && this.#emptyLists > this.#byKey.size / 2) {
      this.#dropEmptyLists();
    }
  }

  /** Forget keys nobody waits on (they are mostly partitions and fetch sessions: few, and long-lived). */
  #dropEmptyLists(): void {
    for (const [key, list] of this.#byKey) if (list.size === 0) this.#byKey.delete(key);
    this.#emptyLists = 0;
  }

  /** Keys with a list, waited on or not (for tests). */
  get keyCount(): number {
    return this.#byKey.size;
  }
}
