/**
 * A minimal RESP2 client for the broker benchmark's Redis comparison: pipelined commands
 * (many written in one buffer, replies parsed as they stream back) and a synchronous reply
 * parser over the received bytes (bulk strings stay bytes, as our consumer's values do), so
 * the client is not what limits Redis's numbers.
 *
 * @example
 * ```ts
 * const redis = await RespClient.connect(6379);
 * const replies = await redis.pipeline(RespClient.encode(["PING"]), 1);
 * ```
 */
import { concatBytes } from "../src/wire/concat-bytes.ts";
const encoder = new TextEncoder();
const CR = 0x0d;

export type RespValue = string | number | Uint8Array | null | RespValue[] | Error;

interface Parsed {
  value: RespValue;
  next: number;
}

export class RespClient {
  #conn: Deno.TcpConn;
  #buffer: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  #position = 0;
  readonly #chunk = new Uint8Array(8 << 20);

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async connect(port: number, hostname = "127.0.0.1"): Promise<RespClient> {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    return new RespClient(conn);
  }

  /** Encode one command (arguments as strings or bytes). */
  static encode(args: (string | Uint8Array)[]): Uint8Array {
    const parts: Uint8Array[] = [encoder.encode(`*${args.length}\r\n`)];
    for (const arg of args) {
      const bytes = typeof arg === "string" ? encoder.encode(arg) : arg;
      parts.push(encoder.encode(`$${bytes.length}\r\n`), bytes, encoder.encode("\r\n"));
    }
    return concatBytes(parts);
  }

  /** Write already-encoded commands and read `count` replies; returns them. */
  async pipeline(encoded: Uint8Array, count: number): Promise<RespValue[]> {
    const writing = this.#writeAll(encoded);
    const replies = await this.read(count);
    await writing;
    return replies;
  }

  /** Start writing encoded commands without waiting for replies (read them with read()). */
  write(encoded: Uint8Array): Promise<void> {
    return this.#writeAll(encoded);
  }

  /** Read the next `count` replies. */
  async read(count: number): Promise<RespValue[]> {
    const replies: RespValue[] = [];
    while (replies.length < count) {
      const parsed = parse(this.#buffer, this.#position);
      if (parsed === null) {
        await this.#fill();
        continue;
      }
      replies.push(parsed.value);
      this.#position = parsed.next;
    }
    return replies;
  }

  close(): void {
    this.#conn.close();
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.#conn.write(bytes.subarray(written));
  }

  async #fill(): Promise<void> {
    const chunk = this.#chunk;
    const n = await this.#conn.read(chunk);
    if (n === null) throw new Error("Redis closed the connection");
    const rest = this.#buffer.subarray(this.#position);
    // Copy out of the reused read buffer: replies handed out are views of #buffer.
    this.#buffer = concatBytes([rest, chunk.subarray(0, n)]);
    this.#position = 0;
  }
}

/** Parse one reply at `at`, or null when the bytes end before it does. */
function parse(buffer: Uint8Array, at: number): Parsed | null {
  const end = buffer.indexOf(CR, at);
  if (end < 0 || end + 1 >= buffer.length) return null;
  const type = buffer[at];
  const lineNext = end + 2;
  switch (type) {
    case 0x2b: // +
      return { value: ascii(buffer, at + 1, end), next: lineNext };
    case 0x2d: // -
      return { value: new Error(ascii(buffer, at + 1, end)), next: lineNext };
    case 0x3a: // :
      return { value: integer(buffer, at + 1, end), next: lineNext };
    case 0x24: { // $
      const length = integer(buffer, at + 1, end);
      if (length < 0) return { value: null, next: lineNext };
      if (lineNext + length + 2 > buffer.length) return null;
      return { value: buffer.subarray(lineNext, lineNext + length), next: lineNext + length + 2 };
    }
    case 0x2a: { // *
      const count = integer(buffer, at + 1, end);
      if (count < 0) return { value: null, next: lineNext };
      const items: RespValue[] = new Array(count);
      let next = lineNext;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, next);
        if (item === null) return null;
        items[i] = item.value;
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`Unexpected RESP reply type ${type}`);
  }
}

function ascii(buffer: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...buffer.subarray(start, end));
}

function integer(buffer: Uint8Array, start: number, end: number): number {
  let value = 0;
  let sign = 1;
  for (let i = start; i < end; i++) {
    if (buffer[i] === 0x2d) sign = -1;
    else value = value * 10 + (buffer[i] - 48);
  }
  return sign * value;
}
