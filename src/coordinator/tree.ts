/**
 * The znode tree: nodes by full path, each with its data, ACL, stat fields and child names.
 * Mutations are primitives that assume the caller validated them (see ops.ts); each returns an
 * undo function so a failing multi can roll back what its earlier ops did.
 *
 * cversion: a node keeps `childCreates`, which rises by one on each child create only and
 * names sequential children (%010d). Clients see cversion = 2×childCreates − numChildren,
 * which equals creates + deletes; the root starts at −1 and /zookeeper at −2.
 */
import { CONTAINER_EPHEMERAL_OWNER } from "../zk/protocol/codes.ts";
import { type ACL, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, type Stat } from "../zk/protocol/records.ts";
import { baseName, joinPath, parentPath } from "../zk/protocol/paths.ts";

export interface ZNode {
  data: Uint8Array | null;
  acl: readonly ACL[];
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: number;
  /** Successful child creates (int32, wraps); names sequential children. */
  childCreates: number;
  children: Set<string>;
}

export type Undo = () => void;

function newNode(
  data: Uint8Array | null,
  acl: readonly ACL[],
  ephemeralOwner: bigint,
  zxid: number,
  timeMs: number,
): ZNode {
  return {
    data,
    acl,
    czxid: zxid,
    mzxid: zxid,
    ctime: timeMs,
    mtime: timeMs,
    version: 0,
    aversion: 0,
    ephemeralOwner,
    pzxid: zxid,
    childCreates: 0,
    children: new Set(),
  };
}

/** The stat a client sees. */
export function statOf(node: ZNode): Stat {
  return {
    czxid: node.czxid,
    mzxid: node.mzxid,
    ctime: node.ctime,
    mtime: node.mtime,
    version: node.version,
    cversion: (2 * node.childCreates - node.children.size) | 0,
    aversion: node.aversion,
    // Clients see 0 for containers, as from the real server (the marker is internal).
    ephemeralOwner: node.ephemeralOwner === CONTAINER_EPHEMERAL_OWNER ? 0n : node.ephemeralOwner,
    dataLength: node.data === null ? 0 : node.data.length,
    numChildren: node.children.size,
    pzxid: node.pzxid,
  };
}

export class DataTree {
  readonly nodes = new Map<string, ZNode>();
  /** Ephemeral paths by owning session. */
  readonly ephemerals = new Map<bigint, Set<string>>();
  /** Paths of container nodes (deleted by the container sweep once emptied). */
  readonly containers = new Set<string>();

  constructor() {
    const root = newNode(null, OPEN_ACL_UNSAFE, 0n, 0, 0);
    this.nodes.set("/", root);
    this.#insertSystem("/zookeeper", null, OPEN_ACL_UNSAFE);
    this.#insertSystem("/zookeeper/config", new Uint8Array(0), READ_ACL_UNSAFE);
    this.#insertSystem("/zookeeper/quota", null, OPEN_ACL_UNSAFE);
  }

  /** System nodes exist from zxid 0 and do not count as child creates. */
  #insertSystem(path: string, data: Uint8Array | null, acl: readonly ACL[]): void {
    this.nodes.get(parentPath(path))!.children.add(baseName(path));
    this.nodes.set(path, newNode(data, acl, 0n, 0, 0));
  }

  get(path: string): ZNode | undefined {
    return this.nodes.get(path);
  }

  get size(): number {
    return this.nodes.size;
  }

  ephemeralCount(): number {
    let count = 0;
    for (const paths of this.ephemerals.values()) count += paths.size;
    return count;
  }

  /** Create `path` under an existing parent. */
  create(
    path: string,
    data: Uint8Array | null,
    acl: readonly ACL[],
    ephemeralOwner: bigint,
    zxid: number,
    timeMs: number,
  ): Undo {
    const parent = this.nodes.get(parentPath(path));
    if (parent === undefined) throw new Error(`Tree invariant: parent of ${path} missing`);
    const previous = { childCreates: parent.childCreates, pzxid: parent.pzxid };
    const name = baseName(path);
    parent.children.add(name);
    parent.childCreates = (parent.childCreates + 1) | 0;
    parent.pzxid = zxid;
    this.nodes.set(path, newNode(data, acl, ephemeralOwner, zxid, timeMs));
    this.#register(path, ephemeralOwner);
    return () => {
      this.nodes.delete(path);
      parent.children.delete(name);
      parent.childCreates = previous.childCreates;
      parent.pzxid = previous.pzxid;
      this.#unregister(path, ephemeralOwner);
    };
  }

  /** Delete a leaf node. */
  remove(path: string, zxid: number): Undo {
    const node = this.nodes.get(path);
    const parent = this.nodes.get(parentPath(path));
    if (node === undefined || parent === undefined) throw new Error(`Tree invariant: ${path} missing`);
    const previousPzxid = parent.pzxid;
    const name = baseName(path);
    this.nodes.delete(path);
    parent.children.delete(name);
    parent.pzxid = zxid;
    this.#unregister(path, node.ephemeralOwner);
    return () => {
      this.nodes.set(path, node);
      parent.children.add(name);
      parent.pzxid = previousPzxid;
      this.#register(path, node.ephemeralOwner);
    };
  }

  setData(path: string, data: Uint8Array | null, zxid: number, timeMs: number): Undo {
    const node = this.nodes.get(path);
    if (node === undefined) throw new Error(`Tree invariant: ${path} missing`);
    const previous = { data: node.data, version: node.version, mzxid: node.mzxid, mtime: node.mtime };
    node.data = data;
    node.version = (node.version + 1) | 0;
    node.mzxid = zxid;
    node.mtime = timeMs;
    return () => Object.assign(node, previous);
  }

  setAcl(path: string, acl: readonly ACL[]): Undo {
    const node = this.nodes.get(path);
    if (node === undefined) throw new Error(`Tree invariant: ${path} missing`);
    const previous = { acl: node.acl, aversion: node.aversion };
    node.acl = acl;
    node.aversion = (node.aversion + 1) | 0;
    return () => Object.assign(node, previous);
  }

  /** Number of nodes below `path` (not counting it). */
  descendantCount(path: string): number {
    const node = this.nodes.get(path);
    if (node === undefined) return 0;
    let count = 0;
    const stack = [path];
    while (stack.length > 0) {
      const current = stack.pop()!;
      for (const name of this.nodes.get(current)!.children) {
        count++;
        stack.push(joinPath(current, name));
      }
    }
    return count;
  }

  /** Forget every node (before restoring a snapshot). */
  clear(): void {
    this.nodes.clear();
    this.ephemerals.clear();
    this.containers.clear();
  }

  /** Restore a node exactly as a snapshot recorded it, parents first (its children set starts empty). */
  restore(path: string, node: ZNode): void {
    if (path !== "/") {
      const parent = this.nodes.get(parentPath(path));
      if (parent === undefined) throw new Error(`Snapshot: parent of ${path} missing`);
      parent.children.add(baseName(path));
    }
    this.nodes.set(path, node);
    this.#register(path, node.ephemeralOwner);
  }

  /** Every path, parents before children. */
  *paths(): Generator<string> {
    const stack = ["/"];
    while (stack.length > 0) {
      const path = stack.pop()!;
      yield path;
      for (const name of this.nodes.get(path)!.children) stack.push(joinPath(path, name));
    }
  }

  #register(path: string, owner: bigint): void {
    if (owner === 0n) return;
    if (owner === CONTAINER_EPHEMERAL_OWNER) {
      this.containers.add(path);
      return;
    }
    let paths = this.ephemerals.get(owner);
    if (paths === undefined) this.ephemerals.set(owner, paths = new Set());
    paths.add(path);
  }

  #unregister(path: string, owner: bigint): void {
    if (owner === 0n) return;
    if (owner === CONTAINER_EPHEMERAL_OWNER) {
      this.containers.delete(path);
      return;
    }
    const paths = this.ephemerals.get(owner);
    if (paths === undefined) return;
    paths.delete(path);
    if (paths.size === 0) this.ephemerals.delete(owner);
  }
}
