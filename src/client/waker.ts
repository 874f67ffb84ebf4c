/**
 * Waits that end when someone wakes them or their time is up, on one timer however many waits
 * come and go. A consumer waits for records about once per fetch answer (hundreds of times a
 * second) and is woken long before its timeout. A timer per wait, set and cleared, left objects
 * that V8 promoted into its old space: its sampling heap profiler, counting only what
 * mark-compacts freed, put those timers first, and with them gone the latency bench's client ran
 * a third as many mark-compacts, during which its slowest records had been sent (issue 14; why
 * the runtime keeps a cleared timer's objects that long was not looked into). Here the one timer is
 * set for the earliest deadline of the waits in progress and only moved earlier, never cleared
 * per wait: the deadlines are a DeadlineQueue's (../deadline-queue.ts, the purgatory's too).
 *
 * @example
 * ```ts
 * const waker = new Waker();
 * await waker.wait(5_000); // until waker.wake() or 5 s
 * waker.close();           // ends the waits in progress and the timer
 * ```
 */
import { DeadlineQueue } from "../deadline-queue.ts";
import { LinkedList, type ListNode } from "../linked-list.ts";

interface Wait {
  readonly deadline: number;
  deadlineSlot: number;
  resolve: () => void;
  /** Its place among the waits in progress. */
  node: ListNode<Wait> | null;
}

export class Waker {
  /**
   * The waits in progress (not yet woken nor timed out): a list, as each poll's wait joins and
   * leaves (../linked-list.ts says why not a Set).
   */
  readonly #waits = new LinkedList<Wait>();
  readonly #deadlines = new DeadlineQueue<Wait>((wait) => this.#end(wait));

  /** Resolves on the next wake() or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wait: Wait = { deadline: performance.now() + ms, deadlineSlot: -1, resolve, node: null };
      wait.node = this.#waits.push(wait);
      this.#deadlines.add(wait);
    });
  }

  /** End every wait in progress now. */
  wake(): void {
    for (const wait of this.#waits) this.#end(wait);
  }

  /** wake(), and let go of the timer (nothing keeps the process alive for it). */
  close(): void {
    this.wake();
    this.#deadlines.close();
  }

  #end(wait: Wait): void {
    if (wait.node === null) return;
    this.#waits.remove(wait.node);
    wait.node = null;
    this.#deadlines.remove(wait);
    wait.resolve();
  }
}
