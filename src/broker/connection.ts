/**
 * One client connection of the broker: framing, header parsing, dispatch, and ordered replies.
 *
 * Kafka clients pipeline requests and match replies by position as much as by correlation id,
 * so replies leave in request order. Handlers run concurrently (a long-poll Fetch must not
 * hold up a Metadata call behind it), so every request takes a slot in a FIFO of pending
 * replies and the writer flushes slots from the head as they complete. At most
 * maxInFlightRequests slots exist: past that the connection stops reading (TCP back-pressure)
 * until the head completes.
 *
 * Malformed frames, lengths above maxFrameBytes and unknown API keys close this connection
 * only. A known key at a version we do not implement gets UNSUPPORTED_VERSION for ApiVersions
 * (in the v0 body shape every client can read, so it can retry with a lower version); for other
 * keys the body shape of an unknown version is unknowable, so the connection is closed, as
 * Kafka does.
 *
 * The socket is any ByteConn (plain TCP or TLS, security/broker-listener.ts). Who the client is
 * (listener, principal) and what it may send before authenticating is the RequestSession's
 * business (connection-session.ts): it reaches handlers through the request context, and a
 * handler may ask for the connection to close once its response is written (a failed login).
 */
import type { ByteConn } from "../security/broker-listener.ts";
import { FrameDecoder } from "../wire/frame-decoder.ts";
import type { BufferPool } from "../buffer-pool.ts";
import { Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";
import { WireError } from "../wire/wire-error.ts";
import { ApiKey, apiName, apiRange, isSupported, SUPPORTED_APIS } from "../kafka/api-keys.ts";
import { readRequestHeader, type RequestHeader, writeResponseHeader } from "../kafka/header.ts";
import { ErrorCode } from "../kafka/errors.ts";
import { concatBytes } from "../wire/concat-bytes.ts";
import { logLine } from "./log-lines.ts";

/** Upper bound of one read straight into a large frame's buffer. */
const MAX_READ_CHUNK_BYTES = 16 * 1024 * 1024;

/** Writes one response body (the header is the connection's job). */
export type ResponseBody = (writer: Writer) => void;

/** What a handler sees of one request. */
export interface RequestContext {
  header: RequestHeader;
  /** Positioned at the start of the body. */
  body: Reader;
  /** Remote address, for logs. */
  remote: string;
  /** Who sent it, on which listener; absent for requests not from a client socket. */
  session?: RequestSession;
  /** Close the connection once this request's response is written. */
  closeAfterResponse?: () => void;
  /**
   * Run `written` once this request's response has been written in full (at once when it has
   * none), so that buffers the response shares can be reused: never when the response is dropped
   * unwritten or its write fails. Absent for requests not from a client socket.
   */
  afterResponse?: (written: () => void) => void;
}

/** What handlers see of the connection's identity. */
export interface RequestSession {
  /** The listener name the client came in on. */
  readonly listener: string;
  /** `User:…` (Kafka's principal string). */
  readonly principal: string;
  /** The client's address, as ACLs name hosts. */
  readonly host: string;
}

/**
 * Handles one request; resolves to the response body, or null when the protocol says no
 * response is sent (Produce with acks=0). Throwing a WireError closes the connection (the
 * body was malformed); any other exception is logged and closes the connection too.
 */
export type RequestHandler = (request: RequestContext) => Promise<ResponseBody | null> | ResponseBody | null;

export interface ConnectionOptions {
  /** Largest frame accepted; a larger announced length closes the connection. */
  maxFrameBytes: number;
  /** Requests read but not yet answered; past it the connection stops reading. */
  maxInFlightRequests: number;
  /** Looks up the handler of an API key; undefined = key not implemented. */
  handlerFor: (apiKey: number) => RequestHandler | undefined;
  /** Called with one line when the connection closes because of the client's bytes. */
  onProtocolError?: (remote: string, message: string) => void;
  /** The connection's read buffer, in bytes (default 64 KiB). */
  readBufferBytes?: number;
  /** The connection's identity, passed to every handler. */
  session?: RequestSession;
  /** Where large request frames' buffers come from, and Produce requests' go back to. */
  framePool?: BufferPool;
}

/**
 * Largest single socket write: a 64 MiB fetch response goes out as bounded writes (the kernel
 * takes a few MiB at a time anyway) instead of one call handed the whole region.
 */
const MAX_WRITE_BYTES = 1024 * 1024;

interface Slot {
  /** Resolves to the framed response as consecutive chunks, or null when nothing is sent. */
  done: Promise<Uint8Array[] | null>;
  /** Set once `done` has resolved, so the writer can take ready responses without waiting. */
  ready?: { framed: Uint8Array[] | null };
  /** Close the connection after writing this slot's response. */
  closeAfter?: boolean;
  /** Callbacks for once the response is written (RequestContext.afterResponse). */
  afterWrite?: (() => void)[];
}

/** Serve one connection until the peer closes it, it misbehaves, or close() is called. */
export class Connection {
  readonly #conn: ByteConn;
  readonly #options: ConnectionOptions;
  readonly #decoder: FrameDecoder;
  readonly #remote: string;
  readonly #slots: Slot[] = [];
  #closed = false;
  #slotFreed: (() => void) | null = null;
  #writerWake: (() => void) | null = null;

  constructor(conn: ByteConn, options: ConnectionOptions) {
    this.#conn = conn;
    this.#options = options;
    this.#decoder = new FrameDecoder(options.maxFrameBytes, options.framePool);
    const address = conn.remoteAddr as Deno.NetAddr;
    this.#remote = `${address.hostname}:${address.port}`;
  }

  get remote(): string {
    return this.#remote;
  }

  /** Run both loops; resolves when the connection is closed. */
  async serve(): Promise<void> {
    const writing = this.#writeLoop();
    try {
      await this.#readLoop();
    } catch (error) {
      this.#protocolError(error);
    }
    // Let replies to requests already read go out before closing (unless we are closing hard).
    this.#readDone = true;
    this.#writerWake?.();
    await writing;
    this.close();
  }

  #readDone = false;

  /** Close the socket; pending replies are dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    this.#writerWake?.();
    this.#slotFreed?.();
  }

  async #readLoop(): Promise<void> {
    const readBytes = this.#options.readBufferBytes ?? 65_536;
    // One buffer for the connection's life, read into again and again: a frame that arrives whole
    // in it is copied out to a buffer of its own before the next read (the decoder copies a part
    // of a frame as it comes). The connection once kept frames as views of 64 KiB slabs, a new
    // slab when one filled; a slab outlived a few young-generation collections, so each became
    // 64 KiB of garbage that only a mark-compact frees, and a leader at 5,000 records/s had a
    // mark-compact about every 30 s (issue 14: the three-broker tail).
    const readBuffer = new Uint8Array(readBytes);
    while (!this.#closed) {
      // A frame much larger than the buffer is read straight into its own buffer (no copy).
      const space = this.#decoder.frameSpace();
      const direct = space !== undefined && space.length >= readBytes / 4;
      const target = direct ? space.subarray(0, MAX_READ_CHUNK_BYTES) : readBuffer;
      let count: number | null;
      try {
        count = await this.#conn.read(target);
      } catch {
        return; // reset by peer or closed under us
      }
      if (count === null) return;
      let frames: Uint8Array[];
      if (direct) {
        const frame = this.#decoder.filled(count);
        frames = frame === undefined ? [] : [frame];
      } else {
        frames = this.#decoder.push(readBuffer.subarray(0, count));
      }
      // Nothing reads into readBuffer until every frame of this read is copied out of it.
      for (const frame of frames) {
        const payload = frame.buffer === readBuffer.buffer ? this.#copyOut(frame) : frame;
        // The bound holds per request, even when one read brought many.
        while (this.#slots.length >= this.#options.maxInFlightRequests && !this.#closed) {
          await new Promise<void>((resolve) => this.#slotFreed = resolve);
        }
        if (this.#closed) return;
        if (!this.#dispatch(payload)) {
          this.#readDone = true;
          return;
        }
      }
    }
  }

  /**
   * A frame of the read buffer, in a buffer of its own: handlers may keep views of their request
   * (a group member's metadata). A Produce request's comes from the pool, given back once the
   * request is answered (#dispatch); the rest are small and die young.
   */
  #copyOut(frame: Uint8Array): Uint8Array {
    // Every request header starts with its int16 API key.
    const produce = frame.length >= 2 && ((frame[0] << 8) | frame[1]) === ApiKey.Produce;
    return this.#decoder.copyOut(frame, produce);
  }

  /** Start handling one frame; false when the connection must stop reading (bad request). */
  #dispatch(payload: Uint8Array): boolean {
    const reader = new Reader(payload);
    let header: RequestHeader;
    try {
      header = readRequestHeader(reader);
    } catch (error) {
      this.#protocolError(error);
      return false;
    }
    const range = apiRange(header.apiKey);
    const handler = this.#options.handlerFor(header.apiKey);
    if (range === undefined || handler === undefined) {
      this.#protocolError(new WireError(`Unknown API key ${header.apiKey}`));
      return false;
    }
    if (!isSupported(header.apiKey, header.apiVersion)) {
      if (header.apiKey !== ApiKey.ApiVersions) {
        this.#protocolError(
          new WireError(`Unsupported ${apiName(header.apiKey)} version ${header.apiVersion}`),
        );
        return false;
      }
      this.#push(Promise.resolve(frameResponse(header, 0, unsupportedApiVersionsBody)));
      return true;
    }
    const slot: Slot = { done: Promise.resolve(null) };
    const context: RequestContext = {
      header,
      body: reader,
      remote: this.#remote,
      session: this.#options.session,
      closeAfterResponse: () => slot.closeAfter = true,
      afterResponse: (written) => (slot.afterWrite ??= []).push(written),
    };
    slot.done = (async () => {
      const body = await handler(context);
      return body === null ? null : frameResponse(header, header.apiVersion, body);
    })();
    if (header.apiKey === ApiKey.Produce) {
      // A produce request's bytes are stored by a synchronous file write and kept nowhere else, so
      // its frame is free once the handler has answered. Not after a failure: one partition's
      // append may still be running when another's error ended the request.
      slot.done.then(() => this.#decoder.release(payload), () => {});
    }
    this.#push(slot);
    return true;
  }

  #push(slot: Slot | Promise<Uint8Array[] | null>): void {
    const pushed: Slot = slot instanceof Promise ? { done: slot } : slot;
    // Observe rejections now so none is reported as unhandled; the writer handles them in order.
    pushed.done.then((framed) => pushed.ready = { framed }, () => {});
    this.#slots.push(pushed);
    this.#writerWake?.();
  }

  async #writeLoop(): Promise<void> {
    while (!this.#closed) {
      const slot = this.#slots[0];
      if (slot === undefined) {
        if (this.#readDone) return;
        await new Promise<void>((resolve) => this.#writerWake = resolve);
        this.#writerWake = null;
        continue;
      }
      let framed: Uint8Array[] | null;
      try {
        framed = await slot.done;
      } catch (error) {
        this.#protocolError(error);
        this.close();
        return;
      }
      // Responses that are ready behind the head go out in the same writes (pipelined produce
      // answers), up to a bound, never past one that closes the connection.
      const taken = [slot];
      const chunks = framed === null ? [] : [...framed];
      let bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      while (!slot.closeAfter && taken.length < this.#slots.length && bytes < MAX_WRITE_BYTES) {
        const next = this.#slots[taken.length];
        if (next.ready === undefined) break;
        taken.push(next);
        for (const chunk of next.ready.framed ?? []) {
          chunks.push(chunk);
          bytes += chunk.length;
        }
        if (next.closeAfter) break;
      }
      this.#slots.splice(0, taken.length);
      this.#slotFreed?.();
      this.#slotFreed = null;
      if (this.#closed) continue;
      if (chunks.length > 0) {
        try {
          await writeAll(this.#conn, chunks);
        } catch {
          // The client went away mid-write: nothing else to send to it. (The taken slots' afterWrite
          // callbacks are not run: the socket may not be done with their bytes.)
          this.close();
          return;
        }
      }
      for (const done of taken) for (const written of done.afterWrite ?? []) written();
      if (taken[taken.length - 1].closeAfter) {
        this.close();
        return;
      }
    }
  }

  #protocolError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (!(error instanceof WireError)) {
      logLine(
        `connection ${this.#remote}: handler failed: ${error instanceof Error ? error.stack : message}`,
      );
    }
    this.#options.onProtocolError?.(this.#remote, message);
  }
}

/**
 * Size prefix + response header + body, as consecutive chunks: the writer's own bytes, and any
 * large arrays the body shared by reference (a fetch's record batches), never copied again.
 */
function frameResponse(header: RequestHeader, headerVersion: number, body: ResponseBody): Uint8Array[] {
  const writer = new Writer(256);
  writer.int32(0);
  writeResponseHeader(writer, header.apiKey, headerVersion, header.correlationId);
  body(writer);
  const size = writer.length - 4;
  const chunks = writer.toChunks();
  const first = chunks[0];
  new DataView(first.buffer, first.byteOffset, first.byteLength).setInt32(0, size);
  return chunks;
}

/**
 * ApiVersions v0 body with UNSUPPORTED_VERSION: error_code, then the API list so that a client
 * that reads it can pick a version right away.
 */
function unsupportedApiVersionsBody(writer: Writer): void {
  writer.int16(ErrorCode.UNSUPPORTED_VERSION);
  writer.int32(SUPPORTED_APIS.length);
  for (const api of SUPPORTED_APIS) writer.int16(api.apiKey).int16(api.minVersion).int16(api.maxVersion);
}

/** Chunks smaller than this are joined with their neighbours into one write (a copy is cheaper than a call). */
const JOIN_BELOW_BYTES = 16 * 1024;

async function writeAll(conn: ByteConn, chunks: Uint8Array[]): Promise<void> {
  for (const bytes of writesOf(chunks, conn.joinWrites === true)) {
    let written = 0;
    while (written < bytes.length) written += await conn.write(bytes.subarray(written));
  }
}

/**
 * The writes that send `chunks`: each at most MAX_WRITE_BYTES; small chunks joined with their
 * neighbours; with `joinAll` (TLS) every chunk joined, so a response ends in one write rather
 * than a small trailing one that Nagle's algorithm would hold back.
 */
export function* writesOf(chunks: Uint8Array[], joinAll: boolean): Generator<Uint8Array> {
  let pack: Uint8Array[] = [];
  let packBytes = 0;
  const flush = () => {
    const out = pack.length === 1 ? pack[0] : concatBytes(pack);
    pack = [];
    packBytes = 0;
    return out;
  };
  for (const chunk of chunks) {
    if (!joinAll && chunk.length >= JOIN_BELOW_BYTES) {
      if (packBytes > 0) yield flush();
      for (let at = 0; at < chunk.length; at += MAX_WRITE_BYTES) {
        yield chunk.subarray(at, at + MAX_WRITE_BYTES);
      }
      continue;
    }
    for (let at = 0; at < chunk.length;) {
      const take = Math.min(chunk.length - at, MAX_WRITE_BYTES - packBytes);
      pack.push(chunk.subarray(at, at + take));
      packBytes += take;
      at += take;
      if (packBytes === MAX_WRITE_BYTES) yield flush();
    }
  }
  if (packBytes > 0) yield flush();
}
