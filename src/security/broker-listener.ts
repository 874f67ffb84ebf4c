/**
 * A broker's listening socket for one listener, plain or TLS, behind one interface, so the
 * broker's accept loop and Connection do not care which. Accepted connections expose the few
 * things Connection uses of a Deno.Conn (read, write, close, remoteAddr), a handshake to await
 * before serving, and the verified client certificate (DER) when there is one.
 *
 * Deno.listenTls gives no way to set TCP_NODELAY; it is set on the listening socket, whose
 * accepted sockets inherit it (tcp-nodelay.ts), so TLS responses do not wait for delayed ACKs.
 *
 * Which TLS stack, and why: Deno 2.9's Deno.listenTls cannot ask for or verify client
 * certificates (its options are cert, key and ALPN only), but it is fast (~860 MB/s on this
 * machine). Deno's node:tls server can (requestCert, rejectUnauthorized, ca,
 * getPeerCertificate) but moves bytes through stream events at ~190 MB/s. So: `--tls-client-auth
 * none` (the default) uses Deno.listenTls; `requested` and `required` use node:tls, adapted
 * here to the same pull-style read/write. Both stacks are rustls underneath.
 *
 * @example
 * ```ts
 * await using listener = await listenBroker({ host: "127.0.0.1", port: 9093, tls });
 * const conn = await listener.accept();
 * await conn.handshake(10_000);
 * console.log(conn.peerCertificate ? "client certificate" : "no client certificate");
 * ```
 */
import type { Buffer } from "node:buffer";
import tls from "node:tls";
import type { ServerTlsOptions } from "./tls-options.ts";
import { setListenerNoDelay } from "./tcp-nodelay.ts";
import { socketReader } from "../wire/socket-read.ts";

/** What the broker's Connection needs of a socket (a Deno.Conn satisfies it). */
export interface ByteConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
  readonly remoteAddr: Deno.Addr;
  /**
   * Join a response's chunks (and responses ready together) into few large writes: set where
   * the socket keeps Nagle's algorithm (Deno's TlsConn has no setNoDelay) and every write
   * becomes TLS records of its own, so a small trailing write would wait for the client's
   * delayed ACK; TLS copies the bytes while encrypting anyway.
   */
  readonly joinWrites?: boolean;
}

export interface AcceptedConn extends ByteConn {
  /** Idempotent: closing a closed connection does nothing. */
  close(): void;
  /** Resolves once TLS is established (at once for plain TCP); rejects on failure or timeout. */
  handshake(timeoutMs: number): Promise<void>;
  /** The client certificate the handshake verified (DER), or null. */
  readonly peerCertificate: Uint8Array | null;
}

export interface BrokerListener extends AsyncDisposable {
  readonly addr: Deno.NetAddr;
  /** The next connection; rejects with Deno.errors.BadResource once closed. */
  accept(): Promise<AcceptedConn>;
  close(): void;
}

export interface ListenOptions {
  host: string;
  port: number;
  tls?: ServerTlsOptions;
  /** Called with one line per refused TLS handshake (node:tls path: they never reach accept). */
  onHandshakeError?: (remote: string, message: string) => void;
  /** Handshakes waiting for accept() beyond this are dropped (node:tls path). Default 1024. */
  maxPendingConnections?: number;
  /** Bytes buffered per connection before its socket is paused (node:tls path). Default 1 MiB. */
  readBufferBytes?: number;
  /** A TLS handshake slower than this fails (node:tls path; Deno's via AcceptedConn.handshake). Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Called once when the TLS listener's accepted sockets keep Nagle's algorithm, with why. */
  onNagleKept?: (reason: string) => void;
}

/** Listen for one listener; TLS when `options.tls` is given. */
export function listenBroker(options: ListenOptions): Promise<BrokerListener> {
  if (options.tls === undefined) {
    return Promise.resolve(
      new DenoListener(Deno.listen({ hostname: options.host || "0.0.0.0", port: options.port })),
    );
  }
  if (options.tls.clientAuth === "none") {
    const listener = Deno.listenTls({
      hostname: options.host || "0.0.0.0",
      port: options.port,
      cert: options.tls.cert,
      key: options.tls.key,
    });
    // Accepted sockets inherit TCP_NODELAY from the listener (tcp-nodelay.ts says why it matters).
    const noDelay = setListenerNoDelay((listener.addr as Deno.NetAddr).port);
    if (!noDelay.ok) options.onNagleKept?.(noDelay.reason);
    return Promise.resolve(new DenoListener(listener));
  }
  return NodeTlsListener.listen(options, options.tls);
}

/** Deno.listen / Deno.listenTls: connections are Deno.Conn, TLS handshakes happen on demand. */
class DenoListener implements BrokerListener {
  readonly #listener: Deno.Listener;

  constructor(listener: Deno.Listener) {
    this.#listener = listener;
  }

  get addr(): Deno.NetAddr {
    return this.#listener.addr as Deno.NetAddr;
  }

  async accept(): Promise<AcceptedConn> {
    const conn = await this.#listener.accept();
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const tlsConn = "handshake" in conn ? conn as Deno.TlsConn : undefined;
    return {
      read: socketReader(conn),
      write: (bytes) => conn.write(bytes),
      close: () => {
        try {
          conn.close();
        } catch { /* already closed: close() is idempotent */ }
      },
      remoteAddr: conn.remoteAddr,
      joinWrites: tlsConn !== undefined,
      handshake: (timeoutMs) =>
        tlsConn === undefined
          ? Promise.resolve()
          : withTimeout(tlsConn.handshake().then(() => {}), timeoutMs),
      peerCertificate: null,
    };
  }

  close(): void {
    try {
      this.#listener.close();
    } catch { /* already closed */ }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

/** node:tls server for client certificates; sockets reach accept() only after a good handshake. */
class NodeTlsListener implements BrokerListener {
  readonly #server: tls.Server;
  readonly #pending: AcceptedConn[] = [];
  readonly #waiters: { resolve: (conn: AcceptedConn) => void; reject: (error: Error) => void }[] = [];
  readonly #maxPending: number;
  #closed = false;
  addr: Deno.NetAddr = { transport: "tcp", hostname: "", port: 0 };

  private constructor(server: tls.Server, maxPending: number) {
    this.#server = server;
    this.#maxPending = maxPending;
  }

  static listen(options: ListenOptions, settings: ServerTlsOptions): Promise<BrokerListener> {
    const server = tls.createServer({
      cert: settings.cert,
      key: settings.key,
      ca: settings.ca,
      requestCert: true,
      // "required" lets the TLS stack refuse missing or bad certificates during the handshake;
      // "requested" must accept a client without one, so bad ones are refused just below.
      rejectUnauthorized: settings.clientAuth === "required",
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
    });
    const listener = new NodeTlsListener(server, options.maxPendingConnections ?? 1024);
    const readBufferBytes = options.readBufferBytes ?? 1024 * 1024;
    server.on("secureConnection", (socket: tls.TLSSocket) => {
      const presented = socket.getPeerCertificate(false);
      const hasCertificate = presented !== null && presented !== undefined &&
        Object.keys(presented).length > 0;
      if (hasCertificate && !socket.authorized) {
        options.onHandshakeError?.(
          remoteOf(socket),
          `client certificate refused: ${socket.authorizationError}`,
        );
        socket.destroy();
        return;
      }
      const peerCertificate = hasCertificate && presented.raw ? new Uint8Array(presented.raw) : null;
      listener.#deliver(new NodeTlsConn(socket, peerCertificate, readBufferBytes));
    });
    server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
      options.onHandshakeError?.(remoteOf(socket), error.message);
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host || "0.0.0.0", () => {
        server.off("error", reject);
        const address = server.address() as { address: string; port: number };
        listener.addr = { transport: "tcp", hostname: address.address, port: address.port };
        resolve(listener);
      });
    });
  }

  #deliver(conn: AcceptedConn): void {
    const waiter = this.#waiters.shift();
    if (waiter) return waiter.resolve(conn);
    if (this.#closed || this.#pending.length >= this.#maxPending) {
      conn.close(); // nobody is accepting: refuse rather than queue without bound
      return;
    }
    this.#pending.push(conn);
  }

  accept(): Promise<AcceptedConn> {
    const ready = this.#pending.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("Listener closed"));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const conn of this.#pending.splice(0)) conn.close();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(new Deno.errors.BadResource("Listener closed"));
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

function remoteOf(socket: tls.TLSSocket): string {
  return `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
}

/** A node:tls socket seen through pull-style read/write, with a bounded read buffer. */
class NodeTlsConn implements AcceptedConn {
  readonly peerCertificate: Uint8Array | null;
  readonly remoteAddr: Deno.NetAddr;
  readonly #socket: tls.TLSSocket;
  readonly #highWaterBytes: number;
  readonly #chunks: Buffer[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(socket: tls.TLSSocket, peerCertificate: Uint8Array | null, highWaterBytes: number) {
    this.#socket = socket;
    this.peerCertificate = peerCertificate;
    this.#highWaterBytes = highWaterBytes;
    this.remoteAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered >= this.#highWaterBytes) socket.pause(); // back-pressure until read() drains
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (error: Error) => {
      this.#error = error;
      this.#notify();
    });
  }

  handshake(): Promise<void> {
    return Promise.resolve(); // node:tls emits secureConnection only after the handshake
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    let filled = 0;
    while (filled < buffer.length && this.#chunks.length > 0) {
      const chunk = this.#chunks[0];
      const take = Math.min(chunk.length, buffer.length - filled);
      buffer.set(chunk.subarray(0, take), filled);
      filled += take;
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    this.#buffered -= filled;
    if (this.#buffered < this.#highWaterBytes && this.#socket.isPaused()) this.#socket.resume();
    return filled;
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (error?: Error | null) => error ? reject(error) : resolve(bytes.length));
    });
  }

  close(): void {
    this.#socket.destroy();
    this.#ended = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

async function withTimeout(promise: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`TLS handshake took longer than ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
