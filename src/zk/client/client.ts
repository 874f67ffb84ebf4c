/**
 * ZooKeeperClient: async/await operations on any server that speaks the ZooKeeper client protocol
 * (Apache ZooKeeper, Vltava's coordinator). Paths are relative to the connect string's chroot; errors
 * are KeeperError with the wire code; watches are callbacks (one-shot) or async iterators
 * (persistent watches, session events). The connection and session machinery is in session.ts.
 *
 * @example
 * ```ts
 * await using zk = await ZooKeeperClient.connect("127.0.0.1:2181/app", { sessionTimeoutMs: 10_000 });
 * await zk.mkdirp("/config");
 * const name = await zk.create("/config/item-", "v1", { sequential: true, ephemeral: true });
 * const { data } = await zk.getData(name, (event) => console.log(event.type, event.path));
 * ```
 */
import {
  type ACL,
  AddWatchMode,
  type ClientInfo,
  CreateMode,
  ErrorCode,
  KeeperError,
  OpCode,
  OPEN_ACL_UNSAFE,
  type Stat,
  WatcherType,
} from "../protocol/mod.ts";
import { parseConnectString } from "./connect-string.ts";
import { EventStream } from "./event-stream.ts";
import { type ClientOptions, resolveOptions } from "./options.ts";
import { joinPath, prependChroot, stripChroot, validatePath } from "./paths.ts";
import { Session, type SessionEvent, type SessionState } from "./session.ts";
import { Transaction } from "./transaction.ts";
import type { Watcher, WatchEvent, WatchKind } from "./watch-registry.ts";

/** Node data as callers may pass it: bytes, UTF-8 text, or null (no data at all). */
export type NodeData = Uint8Array | string | null;

/** How to create a node. */
export interface CreateOptions {
  /** Deleted when the creating session ends. */
  ephemeral?: boolean;
  /** The server appends a 10-digit counter to the name. */
  sequential?: boolean;
  /** Deleted by the server once its last child is gone (not with ephemeral/sequential). */
  container?: boolean;
  /** Default: the client's defaultAcl option, else OPEN_ACL_UNSAFE (everyone may do everything). */
  acl?: readonly ACL[];
}

/** What removeWatches removes. */
export type WatchType = "children" | "data" | "any";

/** A persistent (optionally recursive) watch: an async iterator of events until removed. */
export interface PersistentWatch extends AsyncIterable<WatchEvent>, AsyncDisposable {
  /** The watched path. */
  readonly path: string;
  /** Whether descendants are watched too. */
  readonly recursive: boolean;
  /** Remove the watch (locally, and on the server when nothing else watches the path); iteration ends. */
  remove(): Promise<void>;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Encode NodeData for the wire. */
export function toBytes(data: NodeData | undefined): Uint8Array | null {
  if (data === undefined) return EMPTY;
  if (data === null) return null;
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** The flags of CreateOptions; throws TypeError on combinations the protocol has no mode for. */
export function createFlags(options: CreateOptions): number {
  if (options.container) {
    if (options.ephemeral || options.sequential) {
      throw new TypeError("A container node cannot be ephemeral or sequential");
    }
    return CreateMode.container;
  }
  if (options.ephemeral) return options.sequential ? CreateMode.ephemeralSequential : CreateMode.ephemeral;
  return options.sequential ? CreateMode.persistentSequential : CreateMode.persistent;
}

/** A ZooKeeper session with its operations. Create one with {@linkcode ZooKeeperClient.connect}. */
export class ZooKeeperClient implements AsyncDisposable {
  #session: Session;
  readonly #defaultAcl: (path: string) => readonly ACL[];

  private constructor(session: Session, defaultAcl: ((path: string) => readonly ACL[]) | undefined) {
    this.#session = session;
    this.#defaultAcl = defaultAcl ?? (() => OPEN_ACL_UNSAFE);
  }

  /**
   * Connect to `host:port[,host:port…][/chroot]` and resolve once a session is established.
   * Rejects with KeeperError CONNECTIONLOSS when no host answers within connectTimeoutMs.
   */
  static async connect(connectString: string, options: ClientOptions = {}): Promise<ZooKeeperClient> {
    const { hosts, chroot } = parseConnectString(connectString);
    const resolved = resolveOptions(options);
    const existing = options.sessionId === undefined ? undefined : {
      sessionId: options.sessionId,
      password: options.sessionPassword ?? new Uint8Array(16),
    };
    const session = new Session(hosts, chroot, resolved, existing);
    await session.start();
    return new ZooKeeperClient(session, options.defaultAcl);
  }

  /** connecting, connected, disconnected (re-attaching), expired or closed. */
  get state(): SessionState {
    return this.#session.state;
  }
  /** The session id the server assigned (0 before the first connect). */
  get sessionId(): bigint {
    return this.#session.sessionId;
  }
  /** The session password (16 bytes), e.g. to attach a second client to the same session. */
  get sessionPassword(): Uint8Array {
    return this.#session.password;
  }
  /** The timeout the server granted. */
  get sessionTimeoutMs(): number {
    return this.#session.timeoutMs;
  }
  /** "host:port" currently connected to, "" when not connected. */
  get server(): string {
    return this.#session.server;
  }
  /** The chroot of the connect string ("" when none). */
  get chroot(): string {
    return this.#session.chroot;
  }
  /** The last zxid seen in a reply. */
  get lastZxid(): number {
    return this.#session.lastZxid;
  }
  /** Session events (connected, disconnected, expired, closed): subscribe() or `for await`. */
  get sessionEvents(): EventStream<SessionEvent> {
    return this.#session.events;
  }

  #path(path: string, sequential = false): string {
    validatePath(path, sequential);
    return prependChroot(this.#session.chroot, path);
  }

  #strip(path: string): string {
    return stripChroot(this.#session.chroot, path);
  }

  /** Register `watcher` for `kind` on `path` when the reply code is one of `codes`. */
  #watchOn(kind: WatchKind, path: string, watcher: Watcher | undefined, codes: readonly number[] = [0]) {
    if (!watcher) return undefined;
    return (err: number) => {
      if (codes.includes(err)) this.#session.watches.add(kind, path, watcher);
    };
  }

  /** Create a node; returns its actual path (with the sequence suffix when sequential). */
  async create(path: string, data?: NodeData, options: CreateOptions = {}): Promise<string> {
    if (options.container) return (await this.create2(path, data, options)).path;
    const reply = await this.#session.submit({
      op: OpCode.create,
      path: this.#path(path, options.sequential),
      data: toBytes(data),
      acl: options.acl ?? this.#defaultAcl(path),
      flags: createFlags(options),
    }, path);
    return this.#strip(reply.path);
  }

  /** Create a node and return its path and Stat. */
  async create2(
    path: string,
    data?: NodeData,
    options: CreateOptions = {},
  ): Promise<{ path: string; stat: Stat }> {
    const flags = createFlags(options);
    const reply = await this.#session.submit({
      op: options.container ? OpCode.createContainer : OpCode.create2,
      path: this.#path(path, options.sequential),
      data: toBytes(data),
      acl: options.acl ?? this.#defaultAcl(path),
      flags,
    }, path);
    return { path: this.#strip(reply.path), stat: reply.stat };
  }

  /** Delete a node; version −1 (the default) matches any version. */
  async delete(path: string, version = -1): Promise<void> {
    await this.#session.submit({ op: OpCode.delete, path: this.#path(path), version }, path);
  }

  /**
   * The node's Stat, or null when it does not exist. A watcher fires once on the next create,
   * delete or data change of the path (registered whether or not the node exists).
   */
  async exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    const serverPath = this.#path(path);
    const onReply = watcher
      ? (err: number) => {
        if (err === 0) this.#session.watches.add("data", path, watcher);
        else if (err === ErrorCode.noNode) this.#session.watches.add("exist", path, watcher);
      }
      : undefined;
    try {
      const reply = await this.#session.submit(
        { op: OpCode.exists, path: serverPath, watch: !!watcher },
        path,
        onReply,
      );
      return reply.stat;
    } catch (error) {
      if (error instanceof KeeperError && error.code === ErrorCode.noNode) return null;
      throw error;
    }
  }

  /** Data and Stat; the watcher fires once on the next data change or delete. */
  async getData(path: string, watcher?: Watcher): Promise<{ data: Uint8Array | null; stat: Stat }> {
    const reply = await this.#session.submit(
      { op: OpCode.getData, path: this.#path(path), watch: !!watcher },
      path,
      this.#watchOn("data", path, watcher),
    );
    return { data: reply.data, stat: reply.stat };
  }

  /** Replace the data; version −1 matches any version. Returns the new Stat. */
  async setData(path: string, data: NodeData, version = -1): Promise<Stat> {
    const reply = await this.#session.submit(
      { op: OpCode.setData, path: this.#path(path), data: toBytes(data), version },
      path,
    );
    return reply.stat;
  }

  /** Child names (unsorted, as the server returns them); the watcher fires once on a child change or delete. */
  async getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    const reply = await this.#session.submit(
      { op: OpCode.getChildren, path: this.#path(path), watch: !!watcher },
      path,
      this.#watchOn("child", path, watcher),
    );
    return reply.children;
  }

  /** Child names and the parent's Stat. */
  async getChildren2(path: string, watcher?: Watcher): Promise<{ children: string[]; stat: Stat }> {
    const reply = await this.#session.submit(
      { op: OpCode.getChildren2, path: this.#path(path), watch: !!watcher },
      path,
      this.#watchOn("child", path, watcher),
    );
    return { children: reply.children, stat: reply.stat };
  }

  /** Start a transaction: chain create/delete/setData/check, then commit() applies all or nothing. */
  transaction(): Transaction {
    return new Transaction(
      this.#session,
      (path, sequential) => this.#path(path, sequential),
      (path) => this.#strip(path),
      this.#defaultAcl,
    );
  }

  /** Wait until the server this client talks to has caught up with the leader (for reads after writes elsewhere). */
  async sync(path = "/"): Promise<string> {
    const reply = await this.#session.submit({ op: OpCode.sync, path: this.#path(path) }, path);
    return this.#strip(reply.path);
  }

  /** The node's ACL and Stat. */
  async getACL(path: string): Promise<{ acl: ACL[]; stat: Stat }> {
    const reply = await this.#session.submit({ op: OpCode.getACL, path: this.#path(path) }, path);
    return { acl: reply.acl, stat: reply.stat };
  }

  /** Replace the node's ACL; version −1 matches any ACL version. Returns the new Stat. */
  async setACL(path: string, acl: readonly ACL[], version = -1): Promise<Stat> {
    const reply = await this.#session.submit(
      { op: OpCode.setACL, path: this.#path(path), acl, version },
      path,
    );
    return reply.stat;
  }

  /** Authenticate, e.g. addAuth("digest", "user:password"); replayed after reconnects. */
  async addAuth(scheme: string, auth: NodeData): Promise<void> {
    await this.#session.auth(scheme, toBytes(auth) ?? EMPTY);
  }

  /**
   * A persistent watch on path (and, with recursive, on every descendant): events until removed.
   * Consume it with `for await`, or pass a callback.
   */
  async addWatch(
    path: string,
    options: { recursive?: boolean; watcher?: Watcher } = {},
  ): Promise<PersistentWatch> {
    const recursive = options.recursive ?? false;
    const kind: WatchKind = recursive ? "persistentRecursive" : "persistent";
    const stream = new EventStream<WatchEvent>(1000);
    const watcher: Watcher = (event) => {
      options.watcher?.(event);
      stream.emit(event);
    };
    await this.#session.submit(
      {
        op: OpCode.addWatch,
        path: this.#path(path),
        mode: recursive ? AddWatchMode.persistentRecursive : AddWatchMode.persistent,
      },
      path,
      this.#watchOn(kind, path, watcher),
    );
    const unsubscribe = this.#session.events.subscribe((event) => {
      if (event.type === "expired" || event.type === "closed") stream.end();
    });
    const remove = async () => {
      unsubscribe();
      stream.end();
      if (!this.#session.watches.remove([kind], path, watcher)) return;
      const kinds: WatchKind[] = ["data", "exist", "child", "persistent", "persistentRecursive"];
      if (this.#session.watches.has(kinds, path) || this.state !== "connected") return;
      await this.#session.submit(
        { op: OpCode.removeWatches, path: this.#path(path), type: WatcherType.any },
        path,
      )
        // The local watch is gone either way; a server that keeps it only sends an event we drop.
        .catch(() => {});
    };
    // One queue from the start, so events that arrive before the caller starts iterating are kept;
    // leaving a `for await` loop does not remove the watch (remove() does).
    const queue = stream[Symbol.asyncIterator]();
    const iterator: AsyncIterator<WatchEvent> = {
      next: () => queue.next(),
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
    return {
      path,
      recursive,
      remove,
      [Symbol.asyncIterator]: () => iterator,
      [Symbol.asyncDispose]: remove,
    };
  }

  /**
   * Remove watches of a type on path: one watcher, or all when none is given. Throws NOWATCHER
   * when nothing matches locally; asks the server to drop its side when no local watcher remains.
   */
  async removeWatches(path: string, type: WatchType, watcher?: Watcher): Promise<void> {
    const kinds: WatchKind[] = type === "children"
      ? ["child"]
      : type === "data"
      ? ["data", "exist"]
      : ["data", "exist", "child", "persistent", "persistentRecursive"];
    if (!this.#session.watches.remove(kinds, path, watcher)) throw new KeeperError(ErrorCode.noWatcher, path);
    if (this.#session.watches.has(kinds, path)) return;
    const wireType = type === "children"
      ? WatcherType.children
      : type === "data"
      ? WatcherType.data
      : WatcherType.any;
    await this.#session.submit({ op: OpCode.removeWatches, path: this.#path(path), type: wireType }, path)
      .catch((error) => {
        if (!(error instanceof KeeperError && error.code === ErrorCode.noWatcher)) throw error;
      });
  }

  /** Paths of this session's ephemeral nodes under prefix. */
  async getEphemerals(prefix = "/"): Promise<string[]> {
    const reply = await this.#session.submit({ op: OpCode.getEphemerals, path: this.#path(prefix) }, prefix);
    return reply.paths.map((path) => this.#strip(path));
  }

  /** Number of all descendants of path. */
  async getAllChildrenNumber(path: string): Promise<number> {
    const reply = await this.#session.submit(
      { op: OpCode.getAllChildrenNumber, path: this.#path(path) },
      path,
    );
    return reply.count;
  }

  /** The identities the server associates with this session, e.g. [{authScheme: "ip", user: "127.0.0.1"}]. */
  async whoAmI(): Promise<ClientInfo[]> {
    const reply = await this.#session.submit({ op: OpCode.whoAmI }, undefined);
    return reply.clientInfo;
  }

  /**
   * Create path and every missing ancestor (persistent, empty data; existing ones are fine).
   * `acl` gives each created node its ACL (default: the client's defaultAcl).
   */
  async mkdirp(path: string, data?: NodeData, acl?: (path: string) => readonly ACL[]): Promise<void> {
    validatePath(path);
    if (path === "/" || (await this.exists(path))) return;
    const components = path.slice(1).split("/");
    let current = "";
    for (let i = 0; i < components.length; i++) {
      current += `/${components[i]}`;
      try {
        await this.create(current, i === components.length - 1 ? data : undefined, { acl: acl?.(current) });
      } catch (error) {
        if (!(error instanceof KeeperError && error.code === ErrorCode.nodeExists)) throw error;
      }
    }
  }

  /**
   * Delete path and everything under it (deepest first). Nodes that vanish meanwhile are fine;
   * children created meanwhile are retried a bounded number of times, then NOTEMPTY is thrown.
   */
  async deleteRecursive(path: string, maxAttempts = 10): Promise<void> {
    validatePath(path);
    for (let attempt = 1;; attempt++) {
      const nodes = await this.#subtree(path);
      try {
        for (const node of nodes.reverse()) await this.#deleteIfPresent(node);
        return;
      } catch (error) {
        if (!(error instanceof KeeperError && error.code === ErrorCode.notEmpty) || attempt >= maxAttempts) {
          throw error;
        }
      }
    }
  }

  /** Breadth-first list of path and its descendants. */
  async #subtree(path: string): Promise<string[]> {
    const nodes = [path];
    for (let i = 0; i < nodes.length; i++) {
      try {
        const children = await this.getChildren(nodes[i]);
        for (const child of children.sort()) nodes.push(joinPath(nodes[i], child));
      } catch (error) {
        if (!(error instanceof KeeperError && error.code === ErrorCode.noNode)) throw error;
      }
    }
    return nodes;
  }

  async #deleteIfPresent(path: string): Promise<void> {
    try {
      await this.delete(path);
    } catch (error) {
      if (!(error instanceof KeeperError && error.code === ErrorCode.noNode)) throw error;
    }
  }

  /** Drop the connection and re-attach the session on the next host (rebalancing, tests). */
  reconnect(): void {
    this.#session.reconnect();
  }

  /** End the session: the server deletes its ephemerals now. Idempotent. */
  async close(): Promise<void> {
    await this.#session.close();
  }

  /** Close the session (see close()). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * A one-shot watcher whose event is also a promise, for code that prefers awaiting to callbacks.
 *
 * @example
 * ```ts
 * const watch = watchOnce();
 * await zk.getData("/config", watch.watcher);
 * const event = await watch.event; // NodeDataChanged /config
 * ```
 */
export function watchOnce(): { watcher: Watcher; event: Promise<WatchEvent> } {
  let watcher: Watcher = () => {};
  const event = new Promise<WatchEvent>((resolve) => watcher = resolve);
  return { watcher, event };
}
