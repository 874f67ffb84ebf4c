/**
 * One client connection: reads frames (or a four-letter word), hands requests to the server
 * in arrival order, and writes replies and notifications in that same order. Each output
 * carries the zxid whose durability it depends on and leaves only once the journal has made
 * that zxid durable, so nobody ever sees a write that a crash could take back.
 *
 * Bounds: frames above maxFrameBytes or with a negative length close the connection; reading
 * pauses while more than highWaterBytes of output wait; a connection whose unsent output
 * exceeds maxQueuedBytes (a client that does not read its notifications) is closed.
 */
import { FrameDecoder } from "../wire/frame-decoder.ts";
import { Reader } from "../wire/reader.ts";
import { WireError } from "../wire/wire-error.ts";
import { Writer } from "../wire/writer.ts";
import { socketReader } from "../wire/socket-read.ts";
import { OpCode, opName, Xid } from "../zk/protocol/codes.ts";
import { ErrorCode } from "../zk/protocol/errors.ts";
import type { Id, WatcherEvent } from "../zk/protocol/records.ts";
import { readConnectRequest } from "../zk/protocol/connect.ts";
import { isKnownRequestOp, readRequestBody } from "../zk/protocol/requests.ts";
import { encodeNotification, encodeReply } from "../zk/protocol/frames.ts";
import type { Watcher } from "./watches.ts";
import type { CoordinatorServer } from "./server.ts";
import { FOUR_LETTER_WORDS } from "./four-letter-words.ts";
import { concatBytes } from "../wire/concat-bytes.ts";

interface Output {
  bytes: Uint8Array;
  /** Released once the journal is durable up to this zxid. */
  zxid: number;
  /** performance.now() when the request arrived, for latency stats; 0 for notifications. */
  receivedAt: number;
  closeAfter: boolean;
}

const READ_BUFFER_BYTES = 64 * 1024;

export class Connection implements Watcher {
  readonly id: number;
  readonly remote: string;
  readonly remoteHost: string;
  readonly establishedMs = Date.now();
  sessionId = 0n;
  timeoutMs = 0;
  authIds: Id[];
  closed = false;
  /** Counters for four-letter words. */
  received = 0;
  sent = 0;
  lastOp = "NA";
  lastCxid = -1;
  lastZxid = -1;
  lastResponseMs = 0;
  minLatencyMs = Infinity;
  maxLatencyMs = 0;
  totalLatencyMs = 0;
  latencyCount = 0;

  readonly #server: CoordinatorServer;
  readonly #conn: Deno.Conn;
  readonly #writer = new Writer(512);
  #queue: Output[] = [];
  #head = 0;
  #queuedBytes = 0;
  #writing = false;
  #handshakeDone = false;
  #drainWaiters: (() => void)[] = [];
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(server: CoordinatorServer, conn: Deno.Conn, id: number) {
    this.#server = server;
    this.#conn = conn;
    this.id = id;
    const address = conn.remoteAddr as Deno.NetAddr;
    this.remoteHost = address.hostname;
    this.remote = `${address.hostname}:${address.port}`;
    this.authIds = [{ scheme: "ip", id: address.hostname }];
  }

  /** Outputs waiting (not yet written). */
  get queuedCount(): number {
    return this.#queue.length - this.#head;
  }

  /** Read and handle frames until the peer goes away or the connection is closed. */
  async serve(): Promise<void> {
    // A connection must start a session (or ask a four-letter word) within the longest session
    // timeout; otherwise it would hold a connection slot forever.
    this.#handshakeTimer = setTimeout(() => {
      if (!this.#handshakeDone) this.close();
    }, this.#server.options.maxSessionTimeoutMs);
    const decoder = new FrameDecoder(this.#server.options.maxFrameBytes);
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    const read = socketReader(this.#conn);
    let prefix: Uint8Array | undefined = new Uint8Array(0);
    try {
      while (!this.closed) {
        if (this.#queuedBytes > this.#server.options.highWaterBytes) await this.#drained();
        const count = await read(buffer);
        if (count === null || this.closed) break;
        let chunk: Uint8Array = buffer.subarray(0, count);
        if (prefix !== undefined) {
          // The first four bytes may be a four-letter word instead of a frame length.
          const joined: Uint8Array = new Uint8Array(prefix.length + chunk.length);
          joined.set(prefix);
          joined.set(chunk, prefix.length);
          if (joined.length < 4) {
            prefix = joined;
            continue;
          }
          prefix = undefined;
          const word = String.fromCharCode(joined[0], joined[1], joined[2], joined[3]);
          if (FOUR_LETTER_WORDS.has(word)) {
            await this.#answerFourLetterWord(word);
            break;
          }
          chunk = joined;
        }
        for (const frame of decoder.push(chunk)) {
          this.#handleFrame(frame);
          if (this.closed) break;
        }
        this.pump();
      }
    } catch (error) {
      if (!(error instanceof WireError) && !isConnectionError(error)) {
        this.#server.log(`Connection ${this.remote}: ${(error as Error).message}`);
      }
    } finally {
      this.close();
    }
  }

  async #answerFourLetterWord(word: string): Promise<void> {
    const text = this.#server.fourLetterWord(word, this);
    try {
      await writeAll(this.#conn, new TextEncoder().encode(text));
    } catch { /* the peer left */ }
  }

  #handleFrame(frame: Uint8Array): void {
    if (!this.#handshakeDone) {
      this.#handshakeDone = true;
      this.received++;
      this.#server.packetsReceived++;
      const request = readConnectRequest(new Reader(frame)); // WireError closes the connection
      this.#server.connect(this, { ...request, passwd: request.passwd.slice() });
      return;
    }
    if (this.sessionId === 0n) return; // handshake refused or session closed: ignore the rest
    if (frame.length < 8) throw new WireError(`Request of ${frame.length} bytes has no header`);
    const receivedAt = performance.now();
    const reader = new Reader(frame);
    const xid = reader.int32();
    const type = reader.int32();
    this.received++;
    this.#server.packetsReceived++;
    this.lastOp = opName(type);
    this.lastCxid = xid;
    if (!this.#server.touch(this)) {
      this.close();
      return;
    }
    switch (type) {
      case OpCode.ping:
        this.reply(xid, this.#server.db.lastZxid, 0, undefined, receivedAt);
        return;
      case OpCode.closeSession:
        this.#server.closeSession(this, xid, receivedAt);
        return;
      case OpCode.auth:
        this.#auth(xid, reader, receivedAt);
        return;
    }
    if (!isKnownRequestOp(type)) {
      this.reply(xid, this.#server.db.lastZxid, ErrorCode.unimplemented, undefined, receivedAt);
      return;
    }
    let request;
    try {
      request = readRequestBody(reader, type);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      this.reply(xid, this.#server.db.lastZxid, ErrorCode.marshallingError, undefined, receivedAt);
      return;
    }
    const result = this.#server.processor.execute(this.#server.contextOf(this), request);
    this.reply(xid, result.zxid, result.err, result.response, receivedAt);
  }

  #auth(xid: number, reader: Reader, receivedAt: number): void {
    let request;
    try {
      request = readRequestBody(reader, OpCode.auth);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      this.reply(xid, 0, ErrorCode.marshallingError, undefined, receivedAt);
      return;
    }
    if (request.op !== OpCode.auth || request.scheme !== "digest") {
      this.reply(xid, 0, ErrorCode.authFailed, undefined, receivedAt, true);
      return;
    }
    const id = this.#server.digestId(new TextDecoder().decode(request.auth));
    if (!this.authIds.some((held) => held.scheme === "digest" && held.id === id)) {
      this.authIds.push({ scheme: "digest", id });
    }
    this.reply(xid, 0, 0, undefined, receivedAt);
  }

  /** Queue a reply; it leaves once `zxid` is durable, after everything queued before it. */
  reply(
    xid: number,
    zxid: number,
    err: number,
    response: Parameters<typeof encodeReply>[3],
    receivedAt: number,
    closeAfter = false,
  ): void {
    const bytes = encodeReply(xid, zxid, err, response, this.#writer);
    if (xid !== Xid.ping) this.lastZxid = zxid;
    this.enqueue(bytes, zxid, receivedAt, closeAfter);
  }

  notify(event: WatcherEvent, zxid: number): void {
    this.enqueue(encodeNotification(event, this.#writer), zxid, 0, false);
  }

  enqueue(bytes: Uint8Array, zxid: number, receivedAt: number, closeAfter: boolean): void {
    if (this.closed) return;
    this.#queue.push({ bytes, zxid, receivedAt, closeAfter });
    this.#queuedBytes += bytes.length;
    if (this.#queuedBytes > this.#server.options.maxQueuedBytes) {
      this.#server.log(
        `Closing ${this.remote}: more than ${this.#server.options.maxQueuedBytes} bytes unsent`,
      );
      this.close();
    }
  }

  /** Write every output whose zxid is durable (called after requests and after each fsync). */
  pump(): void {
    if (this.#writing || this.closed || this.#head === this.#queue.length) return;
    this.#writing = true;
    this.#writeLoop().finally(() => {
      this.#writing = false;
    });
  }

  async #writeLoop(): Promise<void> {
    try {
      for (;;) {
        const durable = this.#server.db.journal.durableZxid;
        const batch: Uint8Array[] = [];
        let size = 0;
        let closeAfter = false;
        const now = performance.now();
        while (this.#head < this.#queue.length && this.#queue[this.#head].zxid <= durable) {
          const output = this.#queue[this.#head++];
          batch.push(output.bytes);
          size += output.bytes.length;
          if (output.receivedAt > 0) this.#recordLatency(now - output.receivedAt);
          if (output.closeAfter) {
            closeAfter = true;
            break;
          }
        }
        if (this.#head === this.#queue.length) {
          this.#queue = [];
          this.#head = 0;
        } else if (this.#head > 1024) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
        if (batch.length === 0) break;
        await writeAll(this.#conn, batch.length === 1 ? batch[0] : concatBytes(batch));
        this.#queuedBytes -= size;
        this.sent += batch.length;
        this.#server.packetsSent += batch.length;
        this.lastResponseMs = Date.now();
        if (this.#queuedBytes <= this.#server.options.highWaterBytes) this.#wakeReader();
        if (closeAfter) {
          this.close();
          return;
        }
      }
    } catch {
      // The socket failed (peer gone or reset): this connection is over, the session lives on.
      this.close();
    }
  }

  #recordLatency(latencyMs: number): void {
    this.minLatencyMs = Math.min(this.minLatencyMs, latencyMs);
    this.maxLatencyMs = Math.max(this.maxLatencyMs, latencyMs);
    this.totalLatencyMs += latencyMs;
    this.latencyCount++;
    this.#server.recordLatency(latencyMs);
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #wakeReader(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Close the socket now (unsent output is dropped); the session lives on until it expires. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.#handshakeTimer);
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    this.#queue = [];
    this.#head = 0;
    this.#wakeReader();
    this.#server.connectionClosed(this);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

function isConnectionError(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.NotConnected;
}
