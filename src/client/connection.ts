/**
 * Connection: one TCP (or TLS) connection to one Kafka broker. It frames requests (int32 size,
 * header v1/v2, body), numbers them with correlation ids, pipelines up to
 * `maxInFlightRequests` at once (Kafka answers in order on a connection, so responses are
 * matched against a FIFO and a mismatch closes the connection), times out each request,
 * and on connect negotiates versions with ApiVersions: for each API, min(our max, broker max),
 * then authenticates with SASL when `security` asks for it (see security.ts, sasl-login.ts).
 *
 * Responses are untrusted: a frame longer than `maxResponseBytes` or a mismatched
 * correlation id closes the connection and fails every pending request; a body that does
 * not parse fails only its own request.
 *
 * @example
 * ```ts
 * const connection = await Connection.connect({ host: "127.0.0.1", port: 9092 });
 * const version = connection.versionFor(ApiKey.Metadata);
 * const metadata = await connection.request(ApiKey.Metadata, version,
 *   (w) => writeMetadataRequest(w, version, { topics: null }),
 *   (r) => readMetadataResponse(r, version));
 * connection.close();
 * ```
 */
import { Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";
import { WireError } from "../wire/wire-error.ts";
import { ApiKey, apiName, apiRange } from "../kafka/api-keys.ts";
import { readResponseHeader, writeRequestHeader } from "../kafka/header.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { readApiVersionsResponse, writeApiVersionsRequest } from "../kafka/apis/api-versions.ts";
import {
  BrokerUnreachableError,
  ConnectionClosedError,
  RequestTimeoutError,
  TlsHandshakeError,
} from "./errors.ts";
import { checkClientSecurity, type ClientSecurity, keepsNagle, openTransport } from "./security.ts";
import { saslLogin } from "./sasl-login.ts";
import { VERSION } from "../version.ts";
import { concatBytes } from "../wire/concat-bytes.ts";
import { type SocketRead, socketReader } from "../wire/socket-read.ts";
import { DeadlineQueue } from "../deadline-queue.ts";

export interface ConnectionOptions {
  host: string;
  port: number;
  /** Sent in every request header; brokers log it. */
  clientId?: string;
  /** Give up opening the TCP connection after this long. */
  connectTimeoutMs?: number;
  /** Default per-request timeout (a request may pass its own). */
  requestTimeoutMs?: number;
  /** Requests written but not yet answered; more wait their turn. */
  maxInFlightRequests?: number;
  /** Largest response frame accepted; anything larger closes the connection. */
  maxResponseBytes?: number;
  /** TLS and SASL settings; default PLAINTEXT. */
  security?: ClientSecurity;
}

/** The version range the broker advertised for one API. */
export interface BrokerApiRange {
  minVersion: number;
  maxVersion: number;
}

interface Pending {
  correlationId: number;
  apiKey: number;
  apiVersion: number;
  read: (reader: Reader) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timeoutMs: number;
  /** performance.now() time by which the response is due. */
  deadline: number;
  /** Its place in #timeouts (the queue's). */
  deadlineSlot: number;
}

const DEFAULTS = {
  clientId: "vltava",
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxInFlightRequests: 32,
  maxResponseBytes: 256 * 1024 * 1024,
  security: {},
};
const READ_CHUNK_BYTES = 256 * 1024;

export class Connection {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly maxInFlightRequests: number;
  readonly maxResponseBytes: number;
  #conn: Deno.Conn;
  readonly #read: SocketRead;
  #nextCorrelationId = 1;
  #pending: Pending[] = [];
  #pendingHead = 0;
  #slotWaiters: (() => void)[] = [];
  /** Slots taken synchronously at acquire time, so concurrent callers cannot overshoot the bound. */
  #slotsUsed = 0;
  /** Waiters handed a slot that have not woken yet: still ahead of any caller that comes now. */
  #slotsHandedOver = 0;
  #writeChain: Promise<void> = Promise.resolve();
  #closedError: Error | undefined;
  #brokerApis = new Map<number, BrokerApiRange>();
  /**
   * The pending requests' timeouts, on one timer: a timer set and cleared per request (a follower
   * fetches hundreds of times a second) left timer objects that V8 moved to its old space.
   */
  readonly #timeouts = new DeadlineQueue<Pending>((pending) =>
    this.#fail(
      new RequestTimeoutError(
        `${
          apiName(pending.apiKey)
        } request to ${this.address} got no response within ${pending.timeoutMs} ms`,
      ),
    )
  );
  #writer = new Writer(64 * 1024);
  #onClose: ((error: Error) => void)[] = [];
  /** Send each request in one write (the socket keeps Nagle's algorithm: see keepsNagle). */
  readonly #joinWrites: boolean;

  private constructor(conn: Deno.Conn, options: Required<ConnectionOptions>, joinWrites: boolean) {
    this.#conn = conn;
    this.#read = socketReader(conn);
    this.#joinWrites = joinWrites;
    this.host = options.host;
    this.port = options.port;
    this.clientId = options.clientId;
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.maxInFlightRequests = options.maxInFlightRequests;
    this.maxResponseBytes = options.maxResponseBytes;
    this.#readLoop();
  }

  /**
   * Open a connection (TLS when the security protocol says so), negotiate API versions and
   * authenticate (SASL). Throws BrokerUnreachableError if nobody answers, TlsHandshakeError or
   * AuthenticationError when the broker refuses the client's security settings.
   */
  static async connect(options: ConnectionOptions): Promise<Connection> {
    const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    const settings = { ...DEFAULTS, ...defined } as Required<ConnectionOptions>;
    const address = `${settings.host}:${settings.port}`;
    const protocol = checkClientSecurity(settings.security);
    let conn: Deno.Conn;
    try {
      conn = await withTimeout(
        openTransport(settings.host, settings.port, protocol, settings.security.tls),
        settings.connectTimeoutMs,
        () => new Error(`connect timed out after ${settings.connectTimeoutMs} ms`),
        (late) => late.close(),
      );
    } catch (error) {
      if (error instanceof TlsHandshakeError) throw error;
      throw new BrokerUnreachableError(address, error);
    }
    const connection = new Connection(conn, settings, keepsNagle(protocol, settings.security.tls));
    try {
      await connection.#negotiateVersions();
      if (settings.security.sasl !== undefined) await saslLogin(connection, settings.security.sasl);
    } catch (error) {
      connection.close();
      if (error instanceof ConnectionClosedError || error instanceof RequestTimeoutError) {
        // A TLS or SASL listener closes on a plaintext client's first bytes, so say what to check.
        const hint = protocol === "PLAINTEXT"
          ? "it closed the connection at once: if it is a TLS or SASL listener, set security.protocol to match"
          : undefined;
        throw new BrokerUnreachableError(address, error, hint);
      }
      throw error;
    }
    return connection;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get closed(): boolean {
    return this.#closedError !== undefined;
  }

  /** Requests written and waiting for their response. */
  get inFlight(): number {
    return this.#slotsUsed;
  }

  /** Call `listener` once when the connection closes (for pools to forget it). */
  onClose(listener: (error: Error) => void): void {
    if (this.#closedError) listener(this.#closedError);
    else this.#onClose.push(listener);
  }

  /** The broker's advertised range for an API, or undefined if it does not offer it. */
  brokerRange(apiKey: number): BrokerApiRange | undefined {
    return this.#brokerApis.get(apiKey);
  }

  /**
   * The version to use for an API: min(our max, broker max), provided it is within both
   * ranges; otherwise a KafkaError UNSUPPORTED_VERSION naming the API.
   */
  versionFor(apiKey: number): number {
    const ours = apiRange(apiKey);
    const theirs = this.#brokerApis.get(apiKey);
    if (!ours || !theirs) {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_VERSION,
        `broker ${this.address} does not offer ${apiName(apiKey)}`,
      );
    }
    const version = Math.min(ours.maxVersion, theirs.maxVersion);
    if (version < ours.minVersion || version < theirs.minVersion) {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_VERSION,
        `${
          apiName(apiKey)
        }: broker offers ${theirs.minVersion}-${theirs.maxVersion}, we speak ${ours.minVersion}-${ours.maxVersion}`,
      );
    }
    return version;
  }

  /**
   * Send a request and wait for its response. `write` writes the body; `read` parses the
   * body of the response (the header is handled here). Waits for an in-flight slot first.
   * `onWritten` is called once the request's bytes are handed to the socket (stage tracing).
   */
  async request<T>(
    apiKey: number,
    apiVersion: number,
    write: (writer: Writer) => void,
    read: (reader: Reader) => T,
    timeoutMs = this.requestTimeoutMs,
    onWritten?: () => void,
  ): Promise<T> {
    await this.#acquireSlot();
    const correlationId = this.#takeCorrelationId();
    let bytes: Uint8Array[];
    try {
      bytes = this.#encode(apiKey, apiVersion, correlationId, write);
    } catch (error) {
      // Nothing was sent: the slot goes on to the next request (kept, it would be lost for good,
      // and after maxInFlightRequests such errors every later request would wait forever).
      this.#releaseSlot();
      throw error;
    }
    const response = new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        correlationId,
        apiKey,
        apiVersion,
        read,
        resolve: resolve as (value: unknown) => void,
        reject,
        timeoutMs,
        deadline: performance.now() + timeoutMs,
        deadlineSlot: -1,
      };
      this.#pending.push(pending);
      this.#timeouts.add(pending);
    });
    this.#write(bytes).then(onWritten, () => {/* #fail already rejected every pending request */});
    return await response;
  }

  /** Send a request that gets no response (Produce with acks=0); resolves once written. */
  async send(apiKey: number, apiVersion: number, write: (writer: Writer) => void): Promise<void> {
    if (this.#closedError) throw this.#closedError;
    const bytes = this.#encode(apiKey, apiVersion, this.#takeCorrelationId(), write);
    await this.#write(bytes);
  }

  /** Close the socket; pending requests fail with ConnectionClosedError. */
  close(): void {
    this.#fail(new ConnectionClosedError(`Connection to ${this.address} closed`));
  }

  // --- internals ---------------------------------------------------------------------

  async #negotiateVersions(): Promise<void> {
    // v3 is flexible and carries our software name; a broker that does not know it answers
    // error 35 in v0 form, and we retry with v0.
    for (const version of [3, 0]) {
      const response = await this.request(
        ApiKey.ApiVersions,
        version,
        (w) =>
          writeApiVersionsRequest(w, version, {
            clientSoftwareName: "vltava",
            clientSoftwareVersion: VERSION,
          }),
        (r) => readApiVersionsResponse(r, version),
      );
      if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION && version > 0) continue;
      if (response.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(response.errorCode, `ApiVersions from ${this.address}`);
      }
      for (const api of response.apiKeys) {
        this.#brokerApis.set(api.apiKey, { minVersion: api.minVersion, maxVersion: api.maxVersion });
      }
      return;
    }
  }

  #takeCorrelationId(): number {
    const id = this.#nextCorrelationId;
    this.#nextCorrelationId = id === 0x7fffffff ? 1 : id + 1;
    return id;
  }

  #encode(apiKey: number, apiVersion: number, correlationId: number, write: (writer: Writer) => void) {
    const writer = this.#writer.reset();
    writer.int32(0);
    writeRequestHeader(writer, { apiKey, apiVersion, correlationId, clientId: this.clientId });
    write(writer);
    const size = writer.length - 4;
    // The writer is reused by the next request while this one may still be queued for the
    // socket, so its own bytes are copied; record batches (rawShared) go by reference.
    const chunks = writer.toChunksCopied();
    new DataView(chunks[0].buffer, chunks[0].byteOffset, chunks[0].byteLength).setInt32(0, size);
    return chunks;
  }

  /**
   * Take an in-flight slot, first come first served: a caller finding waiters queues behind them,
   * and a released slot passes straight to the oldest waiter. Requests are encoded and written in
   * the order they got their slots, so that order is the order callers asked in. (When a released
   * slot was only freed, a request made in the same turn took it before the woken waiter ran,
   * and the waiter queued again at the back: with a stalled broker and many batches waiting, a
   * producer's later batch of a partition went out before an earlier one, without any retry.
   * And a waiter handed a slot takes a few microtasks to wake: a second slot freed in the same
   * turn, taken at once by a request made meanwhile, let that request overtake the waiter; so
   * nobody takes a slot directly while a handed-over one is still on its way.)
   */
  async #acquireSlot(): Promise<void> {
    if (this.#closedError) throw this.#closedError;
    if (
      this.#slotsUsed < this.maxInFlightRequests && this.#slotWaiters.length === 0 &&
      this.#slotsHandedOver === 0
    ) {
      this.#slotsUsed++;
      return;
    }
    await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    // Woken with a slot handed over by #handOverSlots, or by #fail (which freed every slot).
    if (this.#closedError) throw this.#closedError;
    this.#slotsHandedOver--;
    // Slots freed while it woke go on to the waiters behind it, who wake after it.
    this.#handOverSlots();
  }

  #releaseSlot(): void {
    this.#slotsUsed--;
    this.#handOverSlots();
  }

  /** Give free slots to the oldest waiters, in order (each counted as used from now). */
  #handOverSlots(): void {
    while (this.#slotsUsed < this.maxInFlightRequests && this.#slotWaiters.length > 0) {
      this.#slotsUsed++;
      this.#slotsHandedOver++;
      this.#slotWaiters.shift()!();
    }
  }

  #write(chunks: Uint8Array[]): Promise<void> {
    const next = this.#writeChain.then(async () => {
      if (this.#closedError) throw this.#closedError;
      try {
        for (const bytes of this.#joinWrites && chunks.length > 1 ? [concatBytes(chunks)] : chunks) {
          let written = 0;
          while (written < bytes.length) written += await this.#conn.write(bytes.subarray(written));
        }
      } catch (error) {
        this.#fail(new ConnectionClosedError(`Write to ${this.address} failed: ${(error as Error).message}`));
        throw this.#closedError;
      }
    });
    // The chain only orders writes; each write's own promise reports its failure to its caller.
    this.#writeChain = next.catch(() => {});
    return next;
  }

  async #readLoop(): Promise<void> {
    const chunk = new Uint8Array(READ_CHUNK_BYTES);
    const sizeBytes = new Uint8Array(4);
    let sizeFill = 0;
    let frame: Uint8Array | undefined;
    let frameFill = 0;
    try {
      while (!this.#closedError) {
        // A large frame in progress is read straight into its own buffer (no copy).
        if (frame && frame.length - frameFill >= READ_CHUNK_BYTES) {
          const n = await this.#read(frame.subarray(frameFill));
          if (n === null) break;
          frameFill += n;
          if (frameFill === frame.length) {
            this.#dispatch(frame);
            frame = undefined;
          }
          continue;
        }
        const n = await this.#read(chunk);
        if (n === null) break;
        let at = 0;
        while (at < n && !this.#closedError) {
          if (!frame) {
            while (sizeFill < 4 && at < n) sizeBytes[sizeFill++] = chunk[at++];
            if (sizeFill < 4) break;
            sizeFill = 0;
            const length = (sizeBytes[0] << 24) | (sizeBytes[1] << 16) | (sizeBytes[2] << 8) | sizeBytes[3];
            if (length < 4 || length > this.maxResponseBytes) {
              throw new WireError(`Response frame length ${length} outside 4..${this.maxResponseBytes}`);
            }
            frame = new Uint8Array(length);
            frameFill = 0;
          }
          const take = Math.min(frame.length - frameFill, n - at);
          frame.set(chunk.subarray(at, at + take), frameFill);
          frameFill += take;
          at += take;
          if (frameFill === frame.length) {
            const complete = frame;
            frame = undefined;
            this.#dispatch(complete);
          }
        }
      }
      this.#fail(new ConnectionClosedError(`Broker ${this.address} closed the connection`));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#fail(new ConnectionClosedError(`Connection to ${this.address} failed: ${reason}`));
    }
  }

  #dispatch(frame: Uint8Array): void {
    const pending = this.#pending[this.#pendingHead];
    const reader = new Reader(frame);
    const correlationId = frame.length >= 4 ? reader.int32() : -1;
    if (!pending || pending.correlationId !== correlationId) {
      throw new WireError(
        `Response correlation id ${correlationId} does not match the oldest request (${pending?.correlationId})`,
      );
    }
    this.#pending[this.#pendingHead++] = undefined as unknown as Pending;
    if (this.#pendingHead > 1024 && this.#pendingHead * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#pendingHead);
      this.#pendingHead = 0;
    }
    this.#timeouts.remove(pending);
    this.#releaseSlot();
    try {
      const body = new Reader(frame);
      readResponseHeader(body, pending.apiKey, pending.apiVersion);
      pending.resolve(pending.read(body));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      pending.reject(
        new WireError(`Malformed ${apiName(pending.apiKey)} response from ${this.address}: ${reason}`),
      );
    }
  }

  #fail(error: Error): void {
    if (this.#closedError) return;
    this.#closedError = error;
    this.#timeouts.close();
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    const pending = this.#pending.slice(this.#pendingHead);
    this.#pending = [];
    this.#pendingHead = 0;
    this.#slotsUsed = 0;
    this.#slotsHandedOver = 0;
    for (const request of pending) request.reject(error);
    for (const waiter of this.#slotWaiters.splice(0)) waiter();
    for (const listener of this.#onClose.splice(0)) listener(error);
  }
}

/** Race a promise against a timer; a value that arrives late is handed to `discard`. */
async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  makeError: () => Error,
  discard: (late: T) => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(makeError());
    }, timeoutMs);
  });
  promise.then((value) => {
    if (timedOut) discard(value);
  }, () => {});
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
