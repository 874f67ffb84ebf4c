/**
 * The queue under leader election and the lock: every participant creates an ephemeral sequential
 * child `<prefix><uuid>-<seq>` of one parent; the smallest sequence number is first. Each one waits
 * only for its immediate predecessor to go (an exists watch on that one node), so when the head
 * leaves exactly one participant is woken: no herd.
 *
 * The uuid in the name makes the create safe to retry: if the connection drops before the reply,
 * the node may or may not exist; listing the parent for our uuid tells which (Curator's "protected"
 * mode does the same).
 */
import { ErrorCode, KeeperError } from "../protocol/mod.ts";
import type { NodeData, ZooKeeperClient } from "../client/client.ts";
import { joinPath } from "../client/paths.ts";
import type { Watcher } from "../client/watch-registry.ts";

/** Creating our node gives up after this many connection losses in a row. */
const MAX_CREATE_ATTEMPTS = 10;

/** The 10-digit counter the server appended; names without one sort last. */
export function sequenceOf(name: string): number {
  const match = /(\d{10})$/.exec(name);
  return match ? Number(match[1]) : Number.MAX_SAFE_INTEGER;
}

/** Children sorted by sequence number (then name, for stability). */
export function sortBySequence(names: readonly string[]): string[] {
  return [...names].sort((a, b) => sequenceOf(a) - sequenceOf(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Where a participant stands in the queue. */
export type QueuePosition =
  | { kind: "first"; children: string[] }
  | { kind: "waiting"; predecessor: string; children: string[] }
  | { kind: "gone" };

/** One participant's node in a sequential queue. */
export class SequentialQueueNode {
  readonly client: ZooKeeperClient;
  readonly parent: string;
  readonly prefix: string;
  readonly uuid = crypto.randomUUID();
  /** Our node's name (without the parent), once created. */
  name: string | undefined;

  constructor(client: ZooKeeperClient, parent: string, prefix: string) {
    this.client = client;
    this.parent = parent;
    this.prefix = prefix;
  }

  get path(): string | undefined {
    return this.name === undefined ? undefined : joinPath(this.parent, this.name);
  }

  /** Create our ephemeral sequential node (and the parent if missing); safe across connection loss. */
  async create(data?: NodeData): Promise<string> {
    await this.client.mkdirp(this.parent);
    for (let attempt = 1;; attempt++) {
      try {
        const path = await this.client.create(joinPath(this.parent, `${this.prefix}${this.uuid}-`), data, {
          ephemeral: true,
          sequential: true,
        });
        this.name = path.slice(path.lastIndexOf("/") + 1);
        return path;
      } catch (error) {
        if (!isConnectionLoss(error) || attempt >= MAX_CREATE_ATTEMPTS) throw error;
        const existing = await this.#findOurs().catch(() => undefined);
        if (existing) {
          this.name = existing;
          return joinPath(this.parent, existing);
        }
      }
    }
  }

  async #findOurs(): Promise<string | undefined> {
    const children = await this.client.getChildren(this.parent);
    return children.find((child) => child.includes(this.uuid));
  }

  /**
   * Where we stand. When waiting, `watcher` is set on the predecessor with exists(); if the
   * predecessor vanished between the listing and the exists, we look again (bounded by the queue).
   */
  async position(watcher: Watcher): Promise<QueuePosition> {
    for (;;) {
      const children = sortBySequence(
        (await this.client.getChildren(this.parent)).filter((child) => child.startsWith(this.prefix)),
      );
      const index = this.name === undefined ? -1 : children.indexOf(this.name);
      if (index < 0) return { kind: "gone" };
      if (index === 0) return { kind: "first", children };
      const predecessor = children[index - 1];
      const stat = await this.client.exists(joinPath(this.parent, predecessor), watcher);
      if (stat !== null) return { kind: "waiting", predecessor, children };
    }
  }

  /** Delete our node (already gone is fine). */
  async remove(): Promise<void> {
    const path = this.path;
    this.name = undefined;
    if (path === undefined) return;
    try {
      await this.client.delete(path);
    } catch (error) {
      if (!(error instanceof KeeperError && error.code === ErrorCode.noNode)) throw error;
    }
  }
}

export function isConnectionLoss(error: unknown): boolean {
  return error instanceof KeeperError && error.code === ErrorCode.connectionLoss;
}
