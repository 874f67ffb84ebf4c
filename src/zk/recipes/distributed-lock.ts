/**
 * A distributed lock: the same queue as leader election (ephemeral sequential nodes, each waiter
 * watching only its predecessor). The holder is the smallest node; release deletes it, which wakes
 * exactly the next waiter. A lock held by a session that ends is released by the server (the node
 * is ephemeral). Not reentrant across instances; one instance holds at most one node.
 *
 * @example
 * ```ts
 * const lock = new DistributedLock(zk, "/locks/topic-create");
 * if (await lock.acquire(5_000)) {
 *   try { … } finally { await lock.release(); }
 * }
 * ```
 */
import { ErrorCode, KeeperError } from "../protocol/mod.ts";
import type { NodeData, ZooKeeperClient } from "../client/client.ts";
import { isConnectionLoss, SequentialQueueNode } from "./sequential-queue.ts";
import { waitConnected } from "./session-waits.ts";

/** Options of {@linkcode DistributedLock}. */
export interface LockOptions {
  /** Data of the lock node (e.g. who holds it). */
  data?: NodeData;
  /** Node name prefix. Default "lock-". */
  prefix?: string;
}

/** One would-be holder of a lock. */
export class DistributedLock {
  /** The parent node under which waiters queue. */
  readonly path: string;
  #client: ZooKeeperClient;
  #node: SequentialQueueNode;
  #data: NodeData | undefined;
  #held = false;
  #acquiring = false;

  /** A lock on `path` for this client's session (nothing happens until acquire()). */
  constructor(client: ZooKeeperClient, path: string, options: LockOptions = {}) {
    this.#client = client;
    this.path = path;
    this.#data = options.data;
    this.#node = new SequentialQueueNode(client, path, options.prefix ?? "lock-");
    client.sessionEvents.subscribe((event) => {
      // The server deletes an ephemeral node when the session ends: the lock is gone with it.
      if (event.type === "expired" || event.type === "closed") this.#held = false;
    });
  }

  /** Does this instance hold the lock (as far as it knows: a lost session releases it)? */
  get held(): boolean {
    return this.#held && this.#client.state !== "expired" && this.#client.state !== "closed";
  }

  /**
   * Wait for the lock: true once held, false when timeoutMs passed first (our node is then removed,
   * so the queue does not wait for a quitter). Without timeoutMs it waits as long as the session lives.
   */
  async acquire(timeoutMs = Infinity): Promise<boolean> {
    if (this.#held) return true;
    if (this.#acquiring) throw new Error(`Lock ${this.path}: acquire() already in progress on this instance`);
    this.#acquiring = true;
    const deadlineMs = Date.now() + timeoutMs;
    try {
      if (await this.#waitTurn(deadlineMs)) {
        this.#held = true;
        return true;
      }
      // Ephemeral: a node we fail to remove goes with the session (and the timeout stands).
      await this.#node.remove().catch(() => {});
      return false;
    } catch (error) {
      await this.#node.remove().catch(() => {}); // as above; the original error is what matters
      throw error;
    } finally {
      this.#acquiring = false;
    }
  }

  /** Release the lock (no-op when not held). */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    await this.#node.remove();
  }

  async #waitTurn(deadlineMs: number): Promise<boolean> {
    await this.#node.create(this.#data);
    for (;;) {
      if (Date.now() >= deadlineMs) return false;
      let wake: () => void = () => {};
      const woken = new Promise<void>((resolve) => wake = resolve);
      let position;
      try {
        position = await this.#node.position(() => wake());
      } catch (error) {
        if (!isConnectionLoss(error)) throw error;
        await waitConnected(this.#client, deadlineMs).catch((waitError) => {
          if (!(waitError instanceof KeeperError && waitError.code === ErrorCode.operationTimeout)) {
            throw waitError;
          }
        });
        continue;
      }
      if (position.kind === "first") return true;
      if (position.kind === "gone") {
        // Our node vanished while the session lives (deleted by someone): queue again.
        await this.#node.create(this.#data);
        continue;
      }
      if (!(await raceDeadline(woken, deadlineMs, this.#client))) return false;
    }
  }
}

/** true when `woken` (or a re-attach, after which we must look again) came before the deadline. */
function raceDeadline(woken: Promise<void>, deadlineMs: number, client: ZooKeeperClient): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = deadlineMs === Infinity
      ? undefined
      : setTimeout(() => finish(false), Math.max(0, deadlineMs - Date.now()));
    const unsubscribe = client.sessionEvents.subscribe((event) => {
      if (event.type !== "disconnected") finish(true);
    });
    woken.then(() => finish(true));
    function finish(value: boolean) {
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    }
  });
}
