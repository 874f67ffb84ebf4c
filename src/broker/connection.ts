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
import { Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";
import { WireError } from "../wire/wire-error.ts";
import { ApiKey, apiName, apiRange, isSupported, SUPPORTED_APIS } from "../kafka/api-keys.ts";
import { readRequestHeader, type RequestHeader, writeResponseHeader } from "../kafka/header.ts";
import { ErrorCode } from "../kafka/errors.ts";

/** Upper bound of one read buffer while a large frame arrives. */
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
  /** Read chunk size in bytes. */
  readBufferBytes?: number;
  /** The connection's identity, passed to every handler. */
  session?: RequestSession;
}

/**
 * Largest single socket write: a 64 MiB fetch response goes out as bounded writes (the kernel
 * takes a few MiB at a time anyway) instead of one call handed the whole region.
 */
const MAX_WRITE_BYTES = 1024 * 1024;

interface Slot {
  /** Resolves to the framed response as consecutive chunks, or null when nothing is sent. */
  done: Promise<Uint8Array[] | null>;
  /** Close the connection after writing this slot's response. */
  closeAfter?: boolean;
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
    this.#decoder = new FrameDecoder(options.maxFrameBytes);
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
    const chunkBytes = this.#options.readBufferBytes ?? 65_536;
    while (!this.#closed) {
      // A fresh buffer per read: decoded frames may be views into it while handlers run.
      // While a large frame is arriving, read in chunks as big as what is already buffered, so
      // the decoder's re-concatenation stays linear in the frame size instead of quadratic.
      const buffer = new Uint8Array(
        Math.min(Math.max(chunkBytes, this.#decoder.bufferedBytes), MAX_READ_CHUNK_BYTES),
      );
      let count: number | null;
      try {
        count = await this.#conn.read(buffer);
      } catch {
        return; // reset by peer or closed under us
      }
      if (count === null) return;
      for (const payload of this.#decoder.push(buffer.subarray(0, count))) {
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
    };
    slot.done = (async () => {
      const body = await handler(context);
      return body === null ? null : frameResponse(header, header.apiVersion, body);
    })();
    this.#push(slot);
    return true;
  }

  #push(slot: Slot | Promise<Uint8Array[] | null>): void {
    const pushed = slot instanceof Promise ? { done: slot } : slot;
    // Observe rejections now so none is reported as unhandled; the writer handles them in order.
    pushed.done.catch(() => {});
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
      this.#slots.shift();
      this.#slotFreed?.();
      this.#slotFreed = null;
      if (this.#closed) continue;
      if (framed !== null) {
        try {
          await writeAll(this.#conn, framed);
        } catch {
          // The client went away mid-write: nothing else to send to it.
          this.close();
          return;
        }
      }
      if (slot.closeAfter) {
        this.close();
        return;
      }
    }
  }

  #protocolError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (!(error instanceof WireError)) {
      console.error(
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

async function writeAll(conn: ByteConn, chunks: Uint8Array[]): Promise<void> {
  for (const bytes of chunks) {
    let written = 0;
    while (written < bytes.length) {
      written += await conn.write(bytes.subarray(written, written + MAX_WRITE_BYTES));
    }
  }
}
