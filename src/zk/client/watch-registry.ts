/**
 * The client's side of watches: which callbacks wait for which event on which path (client paths,
 * chroot already stripped). Standard watches fire once and are removed when they fire; persistent
 * and persistent-recursive ones stay until removed. The server keeps watches per connection, so after
 * a reconnect the client re-sends everything registered here (setWatches / setWatches2).
 *
 * Which registrations an event consumes (the ZooKeeper programmer's guide):
 * - NodeCreated, NodeDataChanged: data and exist watches on the path.
 * - NodeChildrenChanged: child watches on the path.
 * - NodeDeleted: data, exist and child watches on the path.
 * - plus persistent watches on the path (any type), and persistent-recursive watches on the path or
 *   any ancestor (all types except NodeChildrenChanged).
 */

/** The node events a server sends. */
export type WatchEventType = "NodeCreated" | "NodeDeleted" | "NodeDataChanged" | "NodeChildrenChanged";

/** A watch notification, path relative to the client's chroot. */
export interface WatchEvent {
  /** What happened. */
  type: WatchEventType;
  /** Where, relative to the client's chroot. */
  path: string;
}

/** A callback that receives watch notifications. */
export type Watcher = (event: WatchEvent) => void;

/** The registration kinds, named after what registers them. */
export type WatchKind = "data" | "exist" | "child" | "persistent" | "persistentRecursive";

const KINDS: readonly WatchKind[] = ["data", "exist", "child", "persistent", "persistentRecursive"];

/** Watch registrations by kind and path. */
export class WatchRegistry {
  #byKind = new Map<WatchKind, Map<string, Set<Watcher>>>(KINDS.map((kind) => [kind, new Map()]));

  /** Register watcher for an event on path. */
  add(kind: WatchKind, path: string, watcher: Watcher): void {
    const paths = this.#byKind.get(kind)!;
    let watchers = paths.get(path);
    if (!watchers) paths.set(path, watchers = new Set());
    watchers.add(watcher);
  }

  /** Remove one watcher (or every watcher when none is given) of the given kinds on path. */
  remove(kinds: readonly WatchKind[], path: string, watcher?: Watcher): boolean {
    let removed = false;
    for (const kind of kinds) {
      const paths = this.#byKind.get(kind)!;
      const watchers = paths.get(path);
      if (!watchers) continue;
      if (watcher === undefined) {
        removed = true;
        paths.delete(path);
      } else if (watchers.delete(watcher)) {
        removed = true;
        if (watchers.size === 0) paths.delete(path);
      }
    }
    return removed;
  }

  /** Does any watcher of these kinds remain on path? */
  has(kinds: readonly WatchKind[], path: string): boolean {
    return kinds.some((kind) => (this.#byKind.get(kind)!.get(path)?.size ?? 0) > 0);
  }

  /** The watchers an event triggers; one-shot registrations are consumed. Each watcher appears once. */
  materialize(event: WatchEvent): Watcher[] {
    const triggered = new Set<Watcher>();
    const take = (kind: WatchKind) => {
      const paths = this.#byKind.get(kind)!;
      for (const watcher of paths.get(event.path) ?? []) triggered.add(watcher);
      paths.delete(event.path);
    };
    switch (event.type) {
      case "NodeCreated":
      case "NodeDataChanged":
        take("data");
        take("exist");
        break;
      case "NodeChildrenChanged":
        take("child");
        break;
      case "NodeDeleted":
        take("data");
        take("exist");
        take("child");
        break;
    }
    for (const watcher of this.#byKind.get("persistent")!.get(event.path) ?? []) triggered.add(watcher);
    if (event.type !== "NodeChildrenChanged") {
      const recursive = this.#byKind.get("persistentRecursive")!;
      for (let path = event.path;; path = parent(path)) {
        for (const watcher of recursive.get(path) ?? []) triggered.add(watcher);
        if (path === "/") break;
      }
    }
    return [...triggered];
  }

  /** Registered paths per kind, for setWatches after a reconnect. */
  paths(kind: WatchKind): string[] {
    return [...this.#byKind.get(kind)!.keys()];
  }

  /** Is anything registered at all? */
  get empty(): boolean {
    return KINDS.every((kind) => this.#byKind.get(kind)!.size === 0);
  }

  /** Forget everything (session expired or closed). */
  clear(): void {
    for (const paths of this.#byKind.values()) paths.clear();
  }
}

function parent(path: string): string {
  const index = path.lastIndexOf("/");
  return index <= 0 ? "/" : path.slice(0, index);
}
