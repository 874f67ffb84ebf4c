/**
 * FramedSocket: one TCP connection carrying int32-length-prefixed frames. It knows nothing of
 * ZooKeeper records: the client encodes and decodes; this module connects (with a timeout), writes
 * frames in order without interleaving, splits what arrives into frames (lengths bounded by
 * maxFrameBytes, so a broken or hostile server cannot make us allocate gigabytes) and reports the
 * close exactly once.
 */
import { frame, FrameDecoder } from "../../wire/mod.ts";
import { concatBytes } from "../../wire/concat-bytes.ts";

/** Callbacks of a FramedSocket. */
export interface FramedSocketHandlers {
  /** A whole frame payload arrived. Throwing closes the socket with that error. */
  onFrame(payload: Uint8Array): void;
  /** The socket closed: error is undefined for a local close(). Called once. */
  onClose(error: Error | undefined): void;
}

/** An open framed connection. */
export class FramedSocket {
  readonly host: string;
  readonly port: number;
  #conn: Deno.TcpConn;
  #handlers: FramedSocketHandlers;
  #decoder: FrameDecoder;
  #outgoing: Uint8Array[] = [];
  #writing = false;
  #closed = false;
  /** Date.now() of the last byte received and of the last frame sent (for pings and read timeouts). */
  lastReceivedMs = Date.now();
  lastSentMs = Date.now();

  private constructor(
    host: string,
    port: number,
    conn: Deno.TcpConn,
    maxFrameBytes: number,
    handlers: FramedSocketHandlers,
  ) {
    this.host = host;
    this.port = port;
    this.#conn = conn;
    this.#decoder = new FrameDecoder(maxFrameBytes);
    this.#handlers = handlers;
  }

  /** Connect, failing after timeoutMs. Reading starts immediately. */
  static async connect(
    host: string,
    port: number,
    options: { timeoutMs: number; maxFrameBytes: number },
    handlers: FramedSocketHandlers,
  ): Promise<FramedSocket> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pending = Deno.connect({ hostname: host, port });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Connecting to ${host}:${port} timed out after ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
    });
    let conn: Deno.TcpConn;
    try {
      conn = await Promise.race([pending, timeout]);
    } catch (error) {
      // A connect that completes after the timeout must not leak its socket.
      pending.then((late) => late.close(), () => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
    conn.setNoDelay(true);
    const socket = new FramedSocket(host, port, conn, options.maxFrameBytes, handlers);
    socket.#readLoop();
    return socket;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queue one frame (the payload; the length prefix is added here). */
  send(payload: Uint8Array): void {
    if (this.#closed) return;
    this.#outgoing.push(frame(payload));
    this.lastSentMs = Date.now();
    if (!this.#writing) this.#writeLoop();
  }

  /** Close locally; onClose(undefined) follows. */
  close(): void {
    this.#shutdown(undefined);
  }

  /** Close because of an error; onClose(error) follows. */
  fail(error: Error): void {
    this.#shutdown(error);
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#outgoing.length > 0 && !this.#closed) {
        const batch = this.#outgoing.length === 1 ? this.#outgoing[0] : concatBytes(this.#outgoing);
        this.#outgoing = [];
        for (let written = 0; written < batch.length;) {
          written += await this.#conn.write(batch.subarray(written));
        }
      }
    } catch (error) {
      this.#shutdown(asError(error, `Writing to ${this.host}:${this.port} failed`));
    } finally {
      this.#writing = false;
    }
  }

  async #readLoop(): Promise<void> {
    try {
      for await (const chunk of this.#conn.readable) {
        this.lastReceivedMs = Date.now();
        for (const payload of this.#decoder.push(chunk)) {
          if (this.#closed) return;
          this.#handlers.onFrame(payload);
        }
      }
      this.#shutdown(new Error(`Server ${this.host}:${this.port} closed the connection`));
    } catch (error) {
      this.#shutdown(asError(error, `Reading from ${this.host}:${this.port} failed`));
    }
  }

  #shutdown(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#outgoing = [];
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    this.#handlers.onClose(error);
  }
}

function asError(error: unknown, context: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`${context}: ${message}`);
}
