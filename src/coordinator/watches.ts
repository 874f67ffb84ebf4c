/**
 * Watches, registered per connection (watches belong to the connection, not the session).
 *
 * Two tables, as in the real server: data watches (getData, exists, and persistent and
 * persistent-recursive ones) and child watches (getChildren, and persistent ones). Firing:
 * - NodeCreated / NodeDataChanged: data table at the path.
 * - NodeDeleted: data table, then child table at the path (one event per connection).
 * - NodeChildrenChanged: child table at the parent.
 * Standard watches fire once and are removed; persistent ones stay; recursive ones (data table)
 * also fire for every descendant, never with NodeChildrenChanged.
 */
import { EventType, KeeperState } from "../zk/protocol/codes.ts";
import type { WatcherEvent } from "../zk/protocol/records.ts";
import { parentPath } from "../zk/protocol/paths.ts";

export const WatchMode = { standard: 0, persistent: 1, recursive: 2 } as const;
export type WatchMode = typeof WatchMode[keyof typeof WatchMode];

/** Whoever receives notifications (a client connection). */
export interface Watcher {
  notify(event: WatcherEvent, zxid: number): void;
}

export class WatchTable {
  readonly #byPath = new Map<string, Map<Watcher, WatchMode>>();
  readonly #byWatcher = new Map<Watcher, Set<string>>();
  #recursiveCount = 0;
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /** Could an event on `path` reach anyone? (A cheap test before collecting watchers.) */
  mayFire(path: string): boolean {
    return this.#recursiveCount > 0 || this.#byPath.has(path);
  }

  add(path: string, watcher: Watcher, mode: WatchMode): void {
    let watchers = this.#byPath.get(path);
    if (watchers === undefined) this.#byPath.set(path, watchers = new Map());
    const existing = watchers.get(watcher);
    // A standard watch never downgrades a persistent one on the same path.
    if (existing !== undefined && (existing !== WatchMode.standard && mode === WatchMode.standard)) return;
    if (existing === WatchMode.recursive) this.#recursiveCount--;
    if (existing === undefined) this.#count++;
    if (mode === WatchMode.recursive) this.#recursiveCount++;
    watchers.set(watcher, mode);
    let paths = this.#byWatcher.get(watcher);
    if (paths === undefined) this.#byWatcher.set(watcher, paths = new Set());
    paths.add(path);
  }

  /** The mode of `watcher`'s watch on `path`, if any. */
  modeOf(path: string, watcher: Watcher): WatchMode | undefined {
    return this.#byPath.get(path)?.get(watcher);
  }

  remove(path: string, watcher: Watcher): boolean {
    const watchers = this.#byPath.get(path);
    const mode = watchers?.get(watcher);
    if (watchers === undefined || mode === undefined) return false;
    watchers.delete(watcher);
    if (watchers.size === 0) this.#byPath.delete(path);
    if (mode === WatchMode.recursive) this.#recursiveCount--;
    this.#count--;
    const paths = this.#byWatcher.get(watcher);
    paths?.delete(path);
    if (paths?.size === 0) this.#byWatcher.delete(watcher);
    return true;
  }

  /** Forget every watch of a closed connection. */
  removeWatcher(watcher: Watcher): void {
    for (const path of [...(this.#byWatcher.get(watcher) ?? [])]) this.remove(path, watcher);
  }

  /** Collect the watchers an event on `path` reaches, removing the one-shot ones. */
  trigger(path: string, type: number, into: Set<Watcher>, suppress?: Set<Watcher>): void {
    const here = this.#byPath.get(path);
    if (here !== undefined) {
      for (const [watcher, mode] of here) {
        if (mode === WatchMode.recursive && type === EventType.nodeChildrenChanged) continue;
        if (suppress?.has(watcher)) continue;
        into.add(watcher);
      }
      for (const [watcher, mode] of [...here]) {
        if (mode === WatchMode.standard && !suppress?.has(watcher)) this.remove(path, watcher);
      }
    }
    if (this.#recursiveCount === 0 || type === EventType.nodeChildrenChanged || path === "/") return;
    let ancestor = path;
    do {
      ancestor = parentPath(ancestor);
      const watchers = this.#byPath.get(ancestor);
      if (watchers === undefined) continue;
      for (const [watcher, mode] of watchers) {
        if (mode === WatchMode.recursive && !suppress?.has(watcher)) into.add(watcher);
      }
    } while (ancestor !== "/");
  }
}

export class WatchManager {
  readonly data = new WatchTable();
  readonly child = new WatchTable();

  get count(): number {
    return this.data.count + this.child.count;
  }

  /** Deliver the events a txn caused; `zxid` holds them back until the txn is durable. */
  fire(type: number, path: string, zxid: number): void {
    if (!this.data.mayFire(path) && !this.child.mayFire(path)) return;
    const reached = new Set<Watcher>();
    if (type === EventType.nodeChildrenChanged) {
      this.child.trigger(path, type, reached);
    } else {
      this.data.trigger(path, type, reached);
      if (type === EventType.nodeDeleted) this.child.trigger(path, type, reached, new Set(reached));
    }
    if (reached.size === 0) return;
    const event = { type, state: KeeperState.syncConnected, path };
    for (const watcher of reached) watcher.notify(event, zxid);
  }

  addPersistent(path: string, watcher: Watcher, recursive: boolean): void {
    if (recursive) {
      this.data.add(path, watcher, WatchMode.recursive);
    } else {
      this.data.add(path, watcher, WatchMode.persistent);
      this.child.add(path, watcher, WatchMode.persistent);
    }
  }

  removeWatcher(watcher: Watcher): void {
    this.data.removeWatcher(watcher);
    this.child.removeWatcher(watcher);
  }
}
