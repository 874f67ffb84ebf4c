/**
 * A bare ZooKeeper-protocol connection built on the project's codec, for tests and the
 * coordinator benchmark: pipelined requests matched to replies in order, notifications
 * collected, and direct access to the socket for sending hostile bytes.
 */
import { FrameDecoder, Reader, Writer } from "../../src/wire/mod.ts";
import {
  type ConnectResponse,
  encodeConnectRequest,
  encodeRequest,
  readConnectResponse,
  readReplyHeader,
  readResponseBody,
  readWatcherEvent,
  type RequestOp,
  type WatcherEvent,
  type ZkRequest,
  type ZkResponse,
} from "../../src/zk/protocol/mod.ts";

export interface RawReply {
  xid: number;
  zxid: number;
  err: number;
  body?: ZkResponse;
}

export interface RawConnectOptions {
  timeoutMs?: number;
  sessionId?: bigint;
  passwd?: Uint8Array;
  lastZxidSeen?: number;
  /** undefined: omit the readOnly byte (44-byte request, like node-zookeeper-client). */
  readOnly?: boolean;
  host?: string;
}

interface Pending {
  xid: number;
  op: number;
  resolve: (reply: RawReply) => void;
  reject: (error: Error) => void;
}

export class RawZk {
  readonly conn: Deno.TcpConn;
  connectResponse: ConnectResponse | undefined;
  readonly events: WatcherEvent[] = [];
  /** Resolves when the server closes the connection (or it fails). */
  readonly closed: Promise<void>;
  lastZxid = 0;
  #pending: Pending[] = [];
  #xid = 1;
  #connectWaiter: ((response: ConnectResponse | undefined) => void) | undefined;
  #eventWaiters: (() => void)[] = [];
  #writer = new Writer();
  #outgoing: Uint8Array[] = [];
  #outgoingBytes = 0;
  #writing = false;
  #flushed: Promise<void> = Promise.resolve();
  isClosed = false;

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
    this.closed = this.#readLoop();
  }

  /** Open a TCP connection without sending anything. */
  static async open(port: number, host = "127.0.0.1"): Promise<RawZk> {
    const conn = await Deno.connect({ hostname: host, port });
    conn.setNoDelay(true);
    return new RawZk(conn);
  }

  /** Open and run the handshake; the response may say timeOut 0 (expired). */
  static async connect(port: number, options: RawConnectOptions = {}): Promise<RawZk> {
    const client = await RawZk.open(port, options.host);
    const response = await client.handshake(options);
    if (response === undefined) throw new Error("Connection closed during handshake");
    return client;
  }

  /** Send a ConnectRequest; resolves with the response, or undefined when the server closes instead. */
  handshake(options: RawConnectOptions = {}): Promise<ConnectResponse | undefined> {
    const promise = new Promise<ConnectResponse | undefined>((resolve) => this.#connectWaiter = resolve);
    const request = {
      protocolVersion: 0,
      lastZxidSeen: options.lastZxidSeen ?? 0,
      timeOutMs: options.timeoutMs ?? 30_000,
      sessionId: options.sessionId ?? 0n,
      passwd: options.passwd ?? new Uint8Array(16),
      ...(options.readOnly === undefined ? {} : { readOnly: options.readOnly }),
    };
    void this.write(encodeConnectRequest(request)).catch(() => {});
    return promise;
  }

  get sessionId(): bigint {
    return this.connectResponse?.sessionId ?? 0n;
  }

  /** Send a request and wait for its reply. */
  request(request: ZkRequest, xid = this.#xid++): Promise<RawReply> {
    const promise = new Promise<RawReply>((resolve, reject) =>
      this.#pending.push({ xid, op: request.op, resolve, reject })
    );
    void this.write(encodeRequest(xid, request, this.#writer)).catch(() => {});
    return promise;
  }

  /** Send a request with a hand-made body (header + given bytes) and wait for its reply. */
  requestRaw(xid: number, type: number, body: Uint8Array): Promise<RawReply> {
    const payload = new Writer().int32(xid).int32(type).raw(body).toBytes();
    const framed = new Writer().int32(payload.length).raw(payload).toBytes();
    const promise = new Promise<RawReply>((resolve, reject) =>
      this.#pending.push({ xid, op: -999, resolve, reject })
    );
    void this.write(framed).catch(() => {});
    return promise;
  }

  /**
   * Queue bytes for the socket. Writes go out in call order, coalesced: everything queued
   * while a write is in progress leaves in one syscall after it.
   */
  write(bytes: Uint8Array): Promise<void> {
    this.#outgoing.push(bytes);
    this.#outgoingBytes += bytes.length;
    if (!this.#writing) {
      this.#writing = true;
      this.#flushed = this.#writeLoop();
    }
    return this.#flushed;
  }

  async #writeLoop(): Promise<void> {
    try {
      await Promise.resolve(); // let the caller's synchronous burst join this write
      while (this.#outgoing.length > 0) {
        const parts = this.#outgoing;
        const size = this.#outgoingBytes;
        this.#outgoing = [];
        this.#outgoingBytes = 0;
        const bytes = parts.length === 1 ? parts[0] : new Uint8Array(size);
        if (parts.length > 1) {
          let offset = 0;
          for (const part of parts) {
            bytes.set(part, offset);
            offset += part.length;
          }
        }
        let offset = 0;
        while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
      }
    } finally {
      this.#writing = false;
    }
  }

  /** Wait until an event matching `predicate` has arrived (or the timeout passes). */
  async waitForEvent(predicate: (event: WatcherEvent) => boolean, timeoutMs = 20_000): Promise<WatcherEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (this.isClosed) throw new Error("Connection closed while waiting for an event");
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(`No matching event within ${timeoutMs} ms: ${JSON.stringify(this.events)}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#eventWaiters.push(resolve);
        timer = setTimeout(resolve, Math.min(remaining, 200));
      });
      clearTimeout(timer);
    }
  }

  async #readLoop(): Promise<void> {
    const decoder = new FrameDecoder(64 * 1024 * 1024);
    const buffer = new Uint8Array(256 * 1024);
    try {
      for (;;) {
        const count = await this.conn.read(buffer);
        if (count === null) break;
        for (const frame of decoder.push(buffer.slice(0, count))) this.#onFrame(frame);
      }
    } catch { /* closed */ }
    this.isClosed = true;
    this.#connectWaiter?.(undefined);
    this.#connectWaiter = undefined;
    for (const pending of this.#pending) pending.reject(new Error("Connection closed"));
    this.#pending = [];
    for (const wake of this.#eventWaiters) wake();
  }

  #onFrame(frame: Uint8Array): void {
    const reader = new Reader(frame);
    if (this.#connectWaiter) {
      this.connectResponse = readConnectResponse(reader);
      const waiter = this.#connectWaiter;
      this.#connectWaiter = undefined;
      waiter(this.connectResponse);
      return;
    }
    const header = readReplyHeader(reader);
    if (header.xid === -1) {
      this.events.push(readWatcherEvent(reader));
      const waiters = this.#eventWaiters;
      this.#eventWaiters = [];
      for (const wake of waiters) wake();
      return;
    }
    if (header.zxid > this.lastZxid) this.lastZxid = header.zxid;
    const pending = this.#pending.shift();
    if (pending === undefined) throw new Error(`Unexpected reply xid ${header.xid}`);
    if (pending.xid !== header.xid) {
      pending.reject(new Error(`Reply xid ${header.xid} does not match request xid ${pending.xid}`));
      return;
    }
    let body: ZkResponse | undefined;
    if (header.err === 0 && pending.op !== -999 && reader.remaining > 0) {
      body = readResponseBody(reader, pending.op as RequestOp) as ZkResponse;
    }
    pending.resolve({ ...header, body });
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
