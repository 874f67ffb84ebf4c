/**
 * The machinery the two security caches (SCRAM credentials, ACLs) share: updates applied one
 * at a time in arrival order, at most one armed watch per znode, and a repair path.
 *
 * Coordinator watches are one-shot and re-armed by the handler that reads the node again. A
 * full reload arms them anew, so without care every reload would add a second chain of
 * watches; here each key holds one token, and a callback from a superseded watch still runs
 * its handler (harmless: handlers re-read) but does not re-arm, so extra chains die out. A
 * read that finds no node registers no data watch, so the caller releases the key. A failed
 * update (the connection dropped under a read, losing its watch) schedules one full reload,
 * which starts with every key released.
 *
 * @example
 * ```ts
 * const updates = new WatchFedUpdates("credential cache", log, () => store.reload());
 * updates.enqueue(async () => {
 *   const data = await coordination.getData(path, updates.watcher(path, () => changed(path)));
 *   if (data === null) updates.release(path);
 * });
 * ```
 */

/** Pause before the full reload that repairs a failed update. */
const REPAIR_DELAY_MS = 1000;

export class WatchFedUpdates {
  readonly #name: string;
  readonly #log: (line: string) => void;
  readonly #reload: () => Promise<void>;
  readonly #armed = new Map<string, object>();
  #queue: Promise<void> = Promise.resolve();
  #repairTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(name: string, log: (line: string) => void, reload: () => Promise<void>) {
    this.#name = name;
    this.#log = log;
    this.#reload = reload;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * A watch callback for `key`, or undefined when one is already armed (pass it straight to
   * getData / getChildren). The handler runs when the watch fires.
   */
  watcher(key: string, handler: () => void): (() => void) | undefined {
    if (this.#armed.has(key)) return undefined;
    const token = {};
    this.#armed.set(key, token);
    return () => {
      if (this.#armed.get(key) === token) this.#armed.delete(key);
      if (!this.#closed) handler();
    };
  }

  /** The read found no node (so no watch was set): let the next read arm one. */
  release(key: string): void {
    this.#armed.delete(key);
  }

  /** Forget every armed watch (before a full reload: after a new session none are left). */
  releaseAll(): void {
    this.#armed.clear();
  }

  /** Run `work` after everything queued before it; a failure schedules a repair reload. */
  enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#closed) return;
      try {
        await work();
      } catch (error) {
        this.#log(`${this.#name}: ${(error as Error).message}; reloading in ${REPAIR_DELAY_MS} ms`);
        this.#scheduleRepair();
        throw error;
      }
    });
    this.#queue = run.catch(() => {/* reported above; the repair reload follows */});
    return run;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#repairTimer);
  }

  #scheduleRepair(): void {
    if (this.#repairTimer !== undefined || this.#closed) return;
    this.#repairTimer = setTimeout(() => {
      this.#repairTimer = undefined;
      this.#reload().catch(() => {/* reported by enqueue, which schedules the next try */});
    }, REPAIR_DELAY_MS);
  }
}
