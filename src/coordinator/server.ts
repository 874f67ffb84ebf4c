/**
 * The coordinator server: accepts connections, runs the session handshake, owns the shared
 * state (database, watches, session expiry) and the tick timer, and answers four-letter words.
 *
 * @example
 * ```ts
 * const coordinator = await startCoordinator({ port: 0, dataDir: "/tmp/coordinator" });
 * console.log(coordinator.port);
 * await coordinator.close();
 * ```
 */
import { VERSION } from "../version.ts";
import { DEFAULT_MAX_FRAME_BYTES, OpCode } from "../zk/protocol/codes.ts";
import { type ConnectRequest, PASSWORD_BYTES } from "../zk/protocol/connect.ts";
import { encodeConnectResponse } from "../zk/protocol/frames.ts";
import { digestId } from "./acl.ts";
import { Connection } from "./connection.ts";
import { Database, type Trigger } from "./database.ts";
import { fourLetterWordText, type ServerStats } from "./four-letter-words.ts";
import { Processor, type RequestContext } from "./ops.ts";
import { SessionTracker } from "./sessions.ts";
import { WatchManager } from "./watches.ts";

export interface CoordinatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  dataDir: string;
  tickMs?: number;
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
  maxFrameBytes?: number;
  snapshotEveryTxns?: number;
  maxConnections?: number;
  /** Unsent output per connection above which it is closed. */
  maxQueuedBytes?: number;
  /** Unsent output per connection above which its reading pauses. */
  highWaterBytes?: number;
  log?: (line: string) => void;
}

export type ResolvedOptions = Required<CoordinatorOptions>;

/** A running coordinator. */
export interface Coordinator {
  readonly host: string;
  readonly port: number;
  /** Stop accepting, close every connection, flush and close the journal. */
  close(): Promise<void>;
  /** Resolves when the server stopped (close() or a journal failure). */
  readonly closed: Promise<void>;
  /** Why the server stopped on its own (a journal write or fsync failed), if it did. */
  readonly failure: Error | undefined;
  /** Counts and latencies, as `mntr` reports them (also the source of /metrics). */
  stats(): ServerStats;
}

/** The version reported by four-letter words: the protocol level, then ours. */
export const SERVER_VERSION = `3.8.0-vltava-${VERSION}`;

export function resolveOptions(options: CoordinatorOptions): ResolvedOptions {
  const tickMs = options.tickMs ?? 2000;
  const resolved: ResolvedOptions = {
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 2181,
    dataDir: options.dataDir,
    tickMs,
    minSessionTimeoutMs: options.minSessionTimeoutMs ?? 2 * tickMs,
    maxSessionTimeoutMs: options.maxSessionTimeoutMs ?? 20 * tickMs,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    snapshotEveryTxns: options.snapshotEveryTxns ?? 100_000,
    maxConnections: options.maxConnections ?? 1024,
    maxQueuedBytes: options.maxQueuedBytes ?? 64 * 1024 * 1024,
    highWaterBytes: options.highWaterBytes ?? 4 * 1024 * 1024,
    log: options.log ?? ((line) => console.error(line)),
  };
  if (resolved.tickMs <= 0) throw new RangeError(`Tick must be positive, got ${resolved.tickMs} ms`);
  if (resolved.minSessionTimeoutMs > resolved.maxSessionTimeoutMs) {
    throw new RangeError(
      `Minimum session timeout ${resolved.minSessionTimeoutMs} ms exceeds maximum ${resolved.maxSessionTimeoutMs} ms`,
    );
  }
  return resolved;
}

/** Start a coordinator in this process; resolves once it accepts connections. */
export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const resolved = resolveOptions(options);
  const db = await Database.open(resolved.dataDir, {
    snapshotEveryTxns: resolved.snapshotEveryTxns,
    log: resolved.log,
  });
  const server = new CoordinatorServer(resolved, db);
  server.start();
  return server;
}

export class CoordinatorServer implements Coordinator {
  readonly options: ResolvedOptions;
  readonly db: Database;
  readonly watches = new WatchManager();
  readonly processor: Processor;
  readonly tracker: SessionTracker;
  readonly host: string;
  port = 0;
  readonly closed: Promise<void>;
  failure: Error | undefined;
  packetsReceived = 0;
  packetsSent = 0;
  #minLatencyMs = Infinity;
  #maxLatencyMs = 0;
  #totalLatencyMs = 0;
  #latencyCount = 0;
  readonly #connections = new Set<Connection>();
  readonly #bySession = new Map<bigint, Connection>();
  #listener: Deno.TcpListener | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #nextConnectionId = 1;
  #nextSessionId: bigint;
  #closing: Promise<void> | undefined;
  #resolveClosed!: () => void;

  constructor(options: ResolvedOptions, db: Database) {
    this.options = options;
    this.db = db;
    this.host = options.host;
    this.processor = new Processor(db, this.watches);
    this.tracker = new SessionTracker(options.tickMs);
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    // Server id 1 in the high byte keeps ids clear of the container (0x80…) and TTL (0xFF…) markers.
    let next = (1n << 56n) | ((BigInt(Date.now()) << 24n) & 0x00ff_ffff_ffff_ffffn);
    for (const [id, session] of db.sessions) {
      if (id >= next) next = id + 1n;
      // A restart does not count against a session: it gets a whole timeout to come back.
      this.tracker.touch(id, session.timeoutMs);
    }
    this.#nextSessionId = next;
    db.journal.onDurable = () => {
      for (const connection of this.#connections) if (connection.queuedCount > 0) connection.pump();
    };
    db.journal.onFailure = (error) => {
      this.log(`Journal write failed, stopping: ${error.message}`);
      this.failure = error;
      void this.close();
    };
  }

  log(line: string): void {
    this.options.log(line);
  }

  start(): void {
    this.#listener = Deno.listen({ hostname: this.options.host, port: this.options.port });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#timer = setInterval(() => this.#tick(), this.options.tickMs);
    void this.#acceptLoop(this.#listener);
  }

  async #acceptLoop(listener: Deno.TcpListener): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (this.#closing || error instanceof Deno.errors.BadResource) return;
        // Out of file descriptors and the like: keep serving the connections we have, retry soon.
        this.log(`Accept failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      {
        if (this.#connections.size >= this.options.maxConnections) {
          this.log(`Refusing connection: ${this.options.maxConnections} connections open`);
          conn.close();
          continue;
        }
        try {
          conn.setNoDelay(true);
        } catch { /* not a TCP socket */ }
        const connection = new Connection(this, conn, this.#nextConnectionId++);
        this.#connections.add(connection);
        void connection.serve();
      }
    }
  }

  // --- Sessions ------------------------------------------------------------------

  /** Handle a ConnectRequest: new session, re-attach, or the expired answer. */
  connect(connection: Connection, request: ConnectRequest): void {
    if (request.lastZxidSeen > this.db.lastZxid) {
      // The client has seen a newer state than ours; the real server refuses without a reply.
      this.log(
        `Refusing ${connection.remote}: it has seen zxid ${hex(request.lastZxidSeen)}, ours is ${
          hex(this.db.lastZxid)
        }`,
      );
      connection.close();
      return;
    }
    const timeoutMs = Math.min(
      Math.max(request.timeOutMs, this.options.minSessionTimeoutMs),
      this.options.maxSessionTimeoutMs,
    );
    const readOnly = request.readOnly === undefined ? undefined : false;
    if (request.sessionId === 0n) {
      const sessionId = this.#nextSessionId++;
      const passwd = crypto.getRandomValues(new Uint8Array(PASSWORD_BYTES));
      const zxid = this.db.applyAndCommit(
        { type: "createSession", sessionId, passwd, timeoutMs },
        Date.now(),
        [],
      );
      this.#attach(connection, sessionId, timeoutMs);
      connection.enqueue(
        encodeConnectResponse({ protocolVersion: 0, timeOutMs: timeoutMs, sessionId, passwd, readOnly }),
        zxid,
        performance.now(),
        false,
      );
      return;
    }
    const session = this.db.sessions.get(request.sessionId);
    if (session === undefined || !equalBytes(session.passwd, request.passwd)) {
      connection.enqueue(
        encodeConnectResponse({
          protocolVersion: 0,
          timeOutMs: 0,
          sessionId: 0n,
          passwd: new Uint8Array(PASSWORD_BYTES),
          readOnly,
        }),
        0,
        performance.now(),
        true,
      );
      return;
    }
    const previous = this.#bySession.get(request.sessionId);
    if (previous !== undefined && previous !== connection) previous.close();
    this.#attach(connection, request.sessionId, timeoutMs);
    connection.enqueue(
      encodeConnectResponse({
        protocolVersion: 0,
        timeOutMs: timeoutMs,
        sessionId: request.sessionId,
        passwd: session.passwd,
        readOnly,
      }),
      this.db.lastZxid,
      performance.now(),
      false,
    );
  }

  #attach(connection: Connection, sessionId: bigint, timeoutMs: number): void {
    connection.sessionId = sessionId;
    connection.timeoutMs = timeoutMs;
    this.#bySession.set(sessionId, connection);
    this.tracker.touch(sessionId, timeoutMs);
  }

  /** A request arrived: the session lives on. False when the session is gone. */
  touch(connection: Connection): boolean {
    if (!this.db.sessions.has(connection.sessionId)) return false;
    this.tracker.touch(connection.sessionId, connection.timeoutMs);
    return true;
  }

  contextOf(connection: Connection): RequestContext {
    return { sessionId: connection.sessionId, authIds: connection.authIds, watcher: connection };
  }

  /** closeSession: delete the ephemerals, fire their watches, reply, then close. */
  closeSession(connection: Connection, xid: number, receivedAt: number): void {
    const sessionId = connection.sessionId;
    const zxid = this.#endSession(sessionId);
    connection.sessionId = 0n;
    connection.reply(xid, zxid, 0, { op: OpCode.closeSession }, receivedAt, true);
    connection.pump();
  }

  #endSession(sessionId: bigint): number {
    this.tracker.remove(sessionId);
    this.#bySession.delete(sessionId);
    if (!this.db.sessions.has(sessionId)) return this.db.lastZxid;
    const triggers: Trigger[] = [];
    const zxid = this.db.applyAndCommit({ type: "closeSession", sessionId }, Date.now(), triggers);
    this.processor.fireAll(triggers, zxid);
    return zxid;
  }

  connectionClosed(connection: Connection): void {
    this.#connections.delete(connection);
    this.watches.removeWatcher(connection);
    if (this.#bySession.get(connection.sessionId) === connection) {
      this.#bySession.delete(connection.sessionId);
    }
  }

  #tick(): void {
    try {
      for (const sessionId of this.tracker.expire()) {
        const connection = this.#bySession.get(sessionId);
        this.#endSession(sessionId);
        connection?.close();
      }
      this.#sweepContainers();
    } catch (error) {
      this.log(`Tick failed: ${(error as Error).message}`);
    }
  }

  /** Containers that had children and are empty again go away (as the real ContainerManager does). */
  #sweepContainers(): void {
    for (const path of [...this.db.tree.containers]) {
      const node = this.db.tree.get(path);
      if (node === undefined || node.children.size > 0 || node.childCreates === 0) continue;
      const triggers: Trigger[] = [];
      const zxid = this.db.applyAndCommit({ type: "delete", path }, Date.now(), triggers);
      this.processor.fireAll(triggers, zxid);
    }
  }

  digestId(credentials: string): string {
    return digestId(credentials);
  }

  // --- Stats and four-letter words ---------------------------------------------------

  recordLatency(latencyMs: number): void {
    this.#minLatencyMs = Math.min(this.#minLatencyMs, latencyMs);
    this.#maxLatencyMs = Math.max(this.#maxLatencyMs, latencyMs);
    this.#totalLatencyMs += latencyMs;
    this.#latencyCount++;
  }

  stats(): ServerStats {
    let dataBytes = 0;
    for (const [path, node] of this.db.tree.nodes) dataBytes += path.length + (node.data?.length ?? 0);
    const connections = [...this.#connections];
    return {
      version: SERVER_VERSION,
      host: this.host,
      port: this.port,
      dataDir: this.options.dataDir,
      dataDirBytes: directoryBytes(this.options.dataDir),
      tickMs: this.options.tickMs,
      minSessionTimeoutMs: this.options.minSessionTimeoutMs,
      maxSessionTimeoutMs: this.options.maxSessionTimeoutMs,
      maxConnections: this.options.maxConnections,
      minLatencyMs: this.#minLatencyMs,
      maxLatencyMs: this.#maxLatencyMs,
      totalLatencyMs: this.#totalLatencyMs,
      latencyCount: this.#latencyCount,
      packetsReceived: this.packetsReceived,
      packetsSent: this.packetsSent,
      outstanding: connections.reduce((sum, c) => sum + c.queuedCount, 0),
      lastZxid: this.db.lastZxid,
      nodeCount: this.db.tree.size,
      watchCount: this.watches.count,
      ephemeralsCount: this.db.tree.ephemeralCount(),
      approximateDataBytes: dataBytes,
      sessionCount: this.db.sessions.size,
      fsyncCount: this.db.journal.fsyncCount,
      connections: connections.filter((c) => !c.closed).map((c) => ({
        remote: c.remote,
        sessionId: c.sessionId,
        timeoutMs: c.timeoutMs,
        queued: c.queuedCount,
        received: c.received,
        sent: c.sent,
        lastOp: c.lastOp,
        lastCxid: c.lastCxid,
        lastZxid: c.lastZxid,
        establishedMs: c.establishedMs,
        lastResponseMs: c.lastResponseMs,
        minLatencyMs: c.minLatencyMs,
        maxLatencyMs: c.maxLatencyMs,
        totalLatencyMs: c.totalLatencyMs,
        latencyCount: c.latencyCount,
      })),
    };
  }

  fourLetterWord(word: string, _connection: Connection): string {
    return fourLetterWordText(word, this.stats());
  }

  // --- Shutdown ----------------------------------------------------------------------

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearInterval(this.#timer);
    try {
      this.#listener?.close();
    } catch { /* already closed */ }
    for (const connection of [...this.#connections]) connection.close();
    await this.db.close();
    this.#resolveClosed();
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

function directoryBytes(dir: string): number {
  let total = 0;
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isFile) total += Deno.statSync(`${dir}/${entry.name}`).size;
    }
  } catch { /* removed under us: report what we saw */ }
  return total;
}

function hex(value: number): string {
  return `0x${value.toString(16)}`;
}
