/**
 * Session: the connection and session state machine under the ZooKeeper client.
 *
 * ```
 *              start()
 *   connecting ───────► connected ◄──────────────┐
 *       │                │    │ socket lost /     │ re-attached (same id + password,
 *       │ connectTimeout │    │ read timeout      │ lastZxid) → setWatches, auths, queued
 *       ▼                │    ▼                   │ requests flushed
 *    closed ◄── close() ─┴─ disconnected ─────────┘ next host, backoff 50 ms … 1 s
 *       ▲                       │ server answers timeOut ≤ 0
 *       └──── close() ──────── expired  (terminal: ephemerals are gone, watches dropped)
 * ```
 *
 * - Requests are pipelined: each gets the next xid and joins the in-flight FIFO; the server answers
 *   in order, so a reply whose xid is not the FIFO head is a protocol error and drops the connection.
 *   Special xids: −1 notification, −2 ping, −4 auth (matched in their own FIFO).
 * - While disconnected, new requests wait (bounded by maxPendingRequests, each by requestTimeoutMs)
 *   and go out after the re-attach; requests in flight when the socket died fail with CONNECTIONLOSS,
 *   because whether the server applied them is unknown.
 * - Pings go out after a third of the negotiated timeout without sending; no bytes from the server
 *   for two thirds of it means the connection is dead (as the Java client does).
 * - Watches live in the WatchRegistry; after a re-attach they are re-sent with setWatches (or
 *   setWatches2 when persistent watches exist), relative to the last zxid seen.
 */
import { Reader } from "../../wire/reader.ts";
import { Writer } from "../../wire/writer.ts";
import {
  encodeConnectRequest,
  encodeRequest,
  ErrorCode,
  EventType,
  KeeperError,
  OpCode,
  PASSWORD_BYTES,
  readConnectResponse,
  readReplyHeader,
  readResponseBody,
  readWatcherEvent,
  type RequestOp,
  type ResponseBodies,
  Xid,
  type ZkRequest,
} from "../protocol/mod.ts";
import { EventStream } from "./event-stream.ts";
import { FramedSocket } from "./framed-socket.ts";
import type { HostPort } from "./connect-string.ts";
import type { ResolvedClientOptions } from "./options.ts";
import { stripChroot } from "./paths.ts";
import { type WatchEvent, type WatchEventType, WatchRegistry } from "./watch-registry.ts";

/** Where the session is in its life. */
export type SessionState = "connecting" | "connected" | "disconnected" | "expired" | "closed";

/** Session lifecycle events. */
export type SessionEvent =
  | { type: "connected"; server: string; sessionId: bigint; timeoutMs: number; reattached: boolean }
  | {
    type: "disconnected";
    server: string;
    reason: string;
    /** Date.now() when the last bytes came from the server: the session expires a timeout after about then. */
    lastHeardMs: number;
  }
  | { type: "expired" }
  | { type: "closed" };

/** Called with the reply code before the request's promise settles (watch registration). */
export type ReplyHook = (err: number) => void;

interface Pending {
  xid: number;
  request: ZkRequest;
  /** Client path for error messages. */
  path: string | undefined;
  onReply: ReplyHook | undefined;
  resolve(body: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  settled: boolean;
}

interface AuthWaiter {
  resolve(): void;
  reject(error: Error): void;
}

const EVENT_NAMES: Record<number, WatchEventType> = {
  [EventType.nodeCreated]: "NodeCreated",
  [EventType.nodeDeleted]: "NodeDeleted",
  [EventType.nodeDataChanged]: "NodeDataChanged",
  [EventType.nodeChildrenChanged]: "NodeChildrenChanged",
};

/** setWatches requests are split so that none exceeds this many bytes of paths (as the Java client). */
const SET_WATCHES_MAX_BYTES = 128 * 1024;
const MAX_XID = 0x7fff_ffff;
const CLOSE_TIMEOUT_MS = 5_000;

/** The connection and session state machine; the client's operations go through submit(). */
export class Session {
  readonly events: EventStream<SessionEvent>;
  readonly watches: WatchRegistry = new WatchRegistry();
  readonly chroot: string;
  #hosts: HostPort[];
  #options: ResolvedClientOptions;
  #state: SessionState = "connecting";
  #closing = false;
  #sessionId = 0n;
  #password: Uint8Array = new Uint8Array(PASSWORD_BYTES);
  #timeoutMs = 0;
  #lastZxid = 0;
  #hostIndex = 0;
  #socket: FramedSocket | undefined;
  #nextXid = 1;
  #inFlight: Pending[] = [];
  #waiting: Pending[] = [];
  #authWaiters: AuthWaiter[] = [];
  #auths: { scheme: string; auth: Uint8Array }[] = [];
  #tickTimer: ReturnType<typeof setInterval> | undefined;
  #wakeReconnect: (() => void) | undefined;
  #writer = new Writer(1024);

  constructor(
    hosts: HostPort[],
    chroot: string,
    options: ResolvedClientOptions,
    existing?: { sessionId: bigint; password: Uint8Array },
  ) {
    this.#hosts = hosts;
    this.chroot = chroot;
    this.#options = options;
    this.events = new EventStream(options.maxQueuedEvents);
    if (existing) {
      this.#sessionId = existing.sessionId;
      this.#password = existing.password.slice();
    }
  }

  get state(): SessionState {
    return this.#state;
  }
  get sessionId(): bigint {
    return this.#sessionId;
  }
  get password(): Uint8Array {
    return this.#password.slice();
  }
  /** The negotiated session timeout (0 before the first connect). */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }
  /** The last zxid seen in a reply. */
  get lastZxid(): number {
    return this.#lastZxid;
  }
  /** "host:port" of the current connection, or "" when disconnected. */
  get server(): string {
    return this.#socket && !this.#socket.closed ? `${this.#socket.host}:${this.#socket.port}` : "";
  }

  /** Connect the first time; rejects (and closes) when no host answered within connectTimeoutMs. */
  async start(): Promise<void> {
    const connected = new Promise<void>((resolve, reject) => {
      const unsubscribe = this.events.subscribe((event) => {
        if (event.type === "connected") resolve();
        else if (event.type === "expired") reject(new KeeperError(ErrorCode.sessionExpired));
        else return;
        unsubscribe();
      });
      const timer = setTimeout(() => {
        unsubscribe();
        reject(
          new KeeperError(
            ErrorCode.connectionLoss,
            undefined,
            `Could not connect to ${
              this.#hosts.map((h) => `${h.host}:${h.port}`).join(",")
            } within ${this.#options.connectTimeoutMs} ms${
              this.#lastConnectError ? ` (${this.#lastConnectError})` : ""
            }`,
          ),
        );
      }, this.#options.connectTimeoutMs);
      const stop = this.events.subscribe((event) => {
        if (event.type !== "disconnected") {
          clearTimeout(timer);
          stop();
        }
      });
    });
    this.#connectLoop();
    try {
      await connected;
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  #lastConnectError = "";

  async #connectLoop(): Promise<void> {
    let delayMs = this.#options.reconnectDelayMs;
    let attempts = 0;
    // A reconnect waits a little first (as the Java client does) so that a server that just dropped
    // every client is not hit by all of them in the same millisecond.
    if (this.#state === "disconnected") await this.#sleep(this.#options.reconnectDelayMs);
    while (this.#state === "connecting" || this.#state === "disconnected") {
      if (this.#closing) return;
      const host = this.#hosts[this.#hostIndex % this.#hosts.length];
      this.#hostIndex++;
      try {
        await this.#attach(host);
        return;
      } catch (error) {
        this.#lastConnectError = (error as Error).message;
      }
      if (this.#state !== "connecting" && this.#state !== "disconnected") return;
      attempts++;
      // After every host failed once, back off (bounded) so a dead ensemble is not hammered.
      if (attempts % this.#hosts.length === 0) {
        await this.#sleep(delayMs);
        delayMs = Math.min(delayMs * 2, this.#options.maxReconnectDelayMs);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeReconnect = done;
    });
  }

  /** One connect attempt: TCP, ConnectRequest, ConnectResponse, then the session is live. */
  async #attach(host: HostPort): Promise<void> {
    const timeoutMs = Math.max(
      1000,
      Math.min(this.#options.connectTimeoutMs, this.#options.sessionTimeoutMs),
    );
    let handshake: { resolve(payload: Uint8Array): void; reject(error: Error): void } | undefined;
    const response = new Promise<Uint8Array>((resolve, reject) => handshake = { resolve, reject });
    // The handlers run only after connect() returned, but they need the socket: hold it in a box.
    const box: { socket?: FramedSocket } = {};
    const socket = box.socket = await FramedSocket.connect(host.host, host.port, {
      timeoutMs,
      maxFrameBytes: this.#options.maxFrameBytes,
    }, {
      onFrame: (payload) => {
        if (handshake) {
          const waiter = handshake;
          handshake = undefined;
          waiter.resolve(payload);
        } else if (box.socket) this.#onFrame(box.socket, payload);
      },
      onClose: (error) => {
        if (handshake) {
          handshake.reject(error ?? new Error("Connection closed during handshake"));
          handshake = undefined;
        } else if (box.socket) this.#onSocketClosed(box.socket, error);
      },
    });
    const timer = setTimeout(
      () => socket.fail(new Error(`No ConnectResponse from ${host.host}:${host.port} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      socket.send(
        encodeConnectRequest({
          protocolVersion: 0,
          lastZxidSeen: this.#lastZxid,
          timeOutMs: this.#options.sessionTimeoutMs,
          sessionId: this.#sessionId,
          passwd: this.#password,
          readOnly: false,
        }).subarray(4),
      );
      const payload = await response;
      const reply = readConnectResponse(new Reader(payload));
      if (socket.closed) {
        throw new Error(`${host.host}:${host.port} closed the connection after the handshake`);
      }
      if (this.#closing) {
        socket.close();
        return;
      }
      if (reply.timeOutMs <= 0) {
        socket.close();
        this.#expire();
        return;
      }
      const reattached = this.#sessionId !== 0n && this.#sessionId === reply.sessionId;
      this.#sessionId = reply.sessionId;
      this.#password = reply.passwd.slice();
      this.#timeoutMs = reply.timeOutMs;
      this.#socket = socket;
      this.#state = "connected";
      this.#afterConnect(socket);
      this.events.emit({
        type: "connected",
        server: `${host.host}:${host.port}`,
        sessionId: reply.sessionId,
        timeoutMs: reply.timeOutMs,
        reattached,
      });
    } catch (error) {
      socket.fail(error as Error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Auths, then watches, then whatever waited for the connection; then the ping timer. */
  #afterConnect(socket: FramedSocket): void {
    for (const { scheme, auth } of this.#auths) {
      this.#authWaiters.push({ resolve() {}, reject() {} });
      socket.send(this.#encode(Xid.auth, { op: OpCode.auth, type: 0, scheme, auth }));
    }
    this.#sendSetWatches();
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const pending of waiting) if (!pending.settled) this.#send(socket, pending);
    const tickMs = Math.max(50, Math.floor(this.#timeoutMs / 6));
    this.#tickTimer = setInterval(() => this.#tick(socket), tickMs);
  }

  #sendSetWatches(): void {
    if (this.watches.empty) return;
    const map = (kind: Parameters<WatchRegistry["paths"]>[0]) =>
      this.watches.paths(kind).map((path) => this.#serverPath(path));
    const lists = {
      dataWatches: map("data"),
      existWatches: map("exist"),
      childWatches: map("child"),
      persistentWatches: map("persistent"),
      persistentRecursiveWatches: map("persistentRecursive"),
    };
    const persistent = lists.persistentWatches.length + lists.persistentRecursiveWatches.length > 0;
    for (const batch of batchWatches(lists)) {
      const request: ZkRequest = persistent
        ? { op: OpCode.setWatches2, relativeZxid: this.#lastZxid, ...batch }
        : {
          op: OpCode.setWatches,
          relativeZxid: this.#lastZxid,
          dataWatches: batch.dataWatches,
          existWatches: batch.existWatches,
          childWatches: batch.childWatches,
        };
      // Errors are ignored: the watches fire or are lost either way, as in the Java client.
      this.submit(request, undefined).catch(() => {});
    }
  }

  #serverPath(path: string): string {
    if (this.chroot === "") return path;
    return path === "/" ? this.chroot : this.chroot + path;
  }

  #tick(socket: FramedSocket): void {
    if (socket !== this.#socket || socket.closed) return;
    const now = Date.now();
    const readTimeoutMs = Math.floor((this.#timeoutMs * 2) / 3);
    if (now - socket.lastReceivedMs > readTimeoutMs) {
      socket.fail(new Error(`No reply from ${socket.host}:${socket.port} for ${readTimeoutMs} ms`));
      return;
    }
    if (now - socket.lastSentMs >= Math.floor(this.#timeoutMs / 3)) {
      socket.send(this.#encode(Xid.ping, { op: OpCode.ping }));
    }
  }

  #encode(xid: number, request: ZkRequest): Uint8Array {
    // encodeRequest frames the message; FramedSocket adds its own length prefix.
    return encodeRequest(xid, request, this.#writer).subarray(4).slice();
  }

  /**
   * Send a request (or queue it until connected). onReply runs with the reply code before the
   * promise settles, so watch registrations happen in reply order, before any later notification.
   */
  submit<K extends RequestOp>(
    request: ZkRequest & { op: K },
    path: string | undefined,
    onReply?: ReplyHook,
  ): Promise<ResponseBodies[K]> {
    if (this.#state === "expired") return Promise.reject(new KeeperError(ErrorCode.sessionExpired, path));
    if (this.#state === "closed" || this.#closing) {
      return Promise.reject(new KeeperError(ErrorCode.connectionLoss, path, "Client is closed"));
    }
    if (this.#inFlight.length + this.#waiting.length >= this.#options.maxPendingRequests) {
      return Promise.reject(
        new RangeError(
          `Too many pending requests: ${this.#options.maxPendingRequests} (raise maxPendingRequests)`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        xid: 0,
        request,
        path,
        onReply,
        resolve: resolve as (body: unknown) => void,
        reject,
        timer: undefined,
        settled: false,
      };
      pending.timer = setTimeout(() => {
        this.#waiting = this.#waiting.filter((other) => other !== pending);
        this.#settle(
          pending,
          new KeeperError(
            ErrorCode.operationTimeout,
            path,
            `No reply within ${this.#options.requestTimeoutMs} ms`,
          ),
        );
      }, this.#options.requestTimeoutMs);
      const socket = this.#socket;
      if (this.#state === "connected" && socket) this.#send(socket, pending);
      else this.#waiting.push(pending);
    });
  }

  #send(socket: FramedSocket, pending: Pending): void {
    pending.xid = this.#nextXid;
    this.#nextXid = this.#nextXid >= MAX_XID ? 1 : this.#nextXid + 1;
    this.#inFlight.push(pending);
    socket.send(this.#encode(pending.xid, pending.request));
  }

  #settle(pending: Pending, error: Error | undefined, body?: unknown): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(body);
  }

  /** Add authentication (replayed after every reconnect once it succeeded). */
  auth(scheme: string, auth: Uint8Array): Promise<void> {
    if (this.#state !== "connected" || !this.#socket) {
      return Promise.reject(new KeeperError(ErrorCode.connectionLoss, undefined, "Not connected"));
    }
    const socket = this.#socket;
    return new Promise<void>((resolve, reject) => {
      this.#authWaiters.push({
        resolve: () => {
          this.#auths.push({ scheme, auth: auth.slice() });
          resolve();
        },
        reject,
      });
      socket.send(this.#encode(Xid.auth, { op: OpCode.auth, type: 0, scheme, auth }));
    });
  }

  #onFrame(socket: FramedSocket, payload: Uint8Array): void {
    if (socket !== this.#socket) return;
    const reader = new Reader(payload);
    const header = readReplyHeader(reader);
    if (header.xid === Xid.ping) return;
    if (header.xid === Xid.notification) return this.#onNotification(reader);
    if (header.xid === Xid.auth) {
      const waiter = this.#authWaiters.shift();
      if (header.err === 0) waiter?.resolve();
      else waiter?.reject(new KeeperError(header.err));
      return;
    }
    // Peek, check and decode before taking: on a mismatch or a malformed body the request must stay
    // queued, so that closing the connection fails it with CONNECTIONLOSS.
    const pending = this.#inFlight[0];
    if (!pending || pending.xid !== header.xid) {
      throw new Error(
        `Reply xid ${header.xid} does not match the oldest request (${pending?.xid ?? "none"})`,
      );
    }
    const body = header.err === 0 ? readResponseBody(reader, pending.request.op) : undefined;
    this.#inFlight.shift();
    if (header.zxid > 0) this.#lastZxid = header.zxid;
    if (header.err !== 0) {
      pending.onReply?.(header.err);
      return this.#settle(pending, new KeeperError(header.err, pending.path));
    }
    pending.onReply?.(0);
    this.#settle(pending, undefined, body);
  }

  #onNotification(reader: Reader): void {
    const event = readWatcherEvent(reader);
    const type = EVENT_NAMES[event.type];
    if (type === undefined) return; // only node events carry a path; the server sends nothing else
    const watchEvent: WatchEvent = { type, path: stripChroot(this.chroot, event.path) };
    for (const watcher of this.watches.materialize(watchEvent)) {
      try {
        watcher(watchEvent);
      } catch (error) {
        console.error("zk: watcher threw:", error);
      }
    }
  }

  #onSocketClosed(socket: FramedSocket, error: Error | undefined): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    clearInterval(this.#tickTimer);
    const lost = this.#inFlight;
    this.#inFlight = [];
    const reason = error?.message ?? "connection closed";
    for (const pending of lost) {
      this.#settle(pending, new KeeperError(ErrorCode.connectionLoss, pending.path, reason));
    }
    for (const waiter of this.#authWaiters.splice(0)) {
      waiter.reject(new KeeperError(ErrorCode.connectionLoss, undefined, reason));
    }
    if (this.#closing || this.#state !== "connected") return;
    this.#state = "disconnected";
    this.events.emit({
      type: "disconnected",
      server: `${socket.host}:${socket.port}`,
      reason,
      lastHeardMs: socket.lastReceivedMs,
    });
    this.#connectLoop();
  }

  #expire(): void {
    this.#state = "expired";
    this.#failWaiting(new KeeperError(ErrorCode.sessionExpired));
    this.watches.clear();
    this.events.emit({ type: "expired" });
    this.events.end();
  }

  #failWaiting(error: KeeperError): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const pending of waiting) {
      this.#settle(pending, new KeeperError(error.code, pending.path, error.message));
    }
  }

  /** Drop the current connection and re-attach (to the next host); for rebalancing and tests. */
  reconnect(): void {
    this.#socket?.fail(new Error("Reconnect requested"));
  }

  /** Close the session: closeSession when connected (ephemerals go at once), then the socket. */
  async close(): Promise<void> {
    if (this.#closing || this.#state === "closed") return;
    const socket = this.#socket;
    if (this.#state === "connected" && socket) {
      // A close the server never confirms still ends the session on its side at expiry.
      const done = this.submit({ op: OpCode.closeSession }, undefined).catch(() => {});
      this.#closing = true;
      const timer = new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS));
      await Promise.race([done, timer]);
    }
    this.#closing = true;
    this.#wakeReconnect?.();
    clearInterval(this.#tickTimer);
    const expired = this.#state === "expired";
    this.#state = "closed";
    this.#socket?.close();
    this.#socket = undefined;
    this.#failWaiting(new KeeperError(ErrorCode.connectionLoss, undefined, "Client is closed"));
    for (const pending of this.#inFlight.splice(0)) {
      this.#settle(pending, new KeeperError(ErrorCode.connectionLoss, pending.path, "Client is closed"));
    }
    this.watches.clear();
    if (!expired) this.events.emit({ type: "closed" });
    this.events.end();
  }
}

type WatchLists = {
  dataWatches: string[];
  existWatches: string[];
  childWatches: string[];
  persistentWatches: string[];
  persistentRecursiveWatches: string[];
};

function batchWatches(lists: WatchLists): WatchLists[] {
  const batches: WatchLists[] = [];
  let current = emptyLists();
  let bytes = 0;
  for (const key of Object.keys(lists) as (keyof WatchLists)[]) {
    for (const path of lists[key]) {
      if (bytes + path.length + 4 > SET_WATCHES_MAX_BYTES && bytes > 0) {
        batches.push(current);
        current = emptyLists();
        bytes = 0;
      }
      current[key].push(path);
      bytes += path.length + 4;
    }
  }
  if (bytes > 0) batches.push(current);
  return batches;
}

function emptyLists(): WatchLists {
  return {
    dataWatches: [],
    existWatches: [],
    childWatches: [],
    persistentWatches: [],
    persistentRecursiveWatches: [],
  };
}
