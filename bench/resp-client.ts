/**
 * A minimal RESP2 client for the broker benchmark's Redis comparison: pipelined commands
 * (many written in one buffer, replies counted as they stream back) and a reply parser for
 * the shapes XADD and XRANGE return (bulk strings, arrays, integers, errors).
 *
 * @example
 * ```ts
 * const redis = await RespClient.connect(6379);
 * await redis.pipeline(commands);
 * ```
 */
const encoder = new TextEncoder();
const CRLF = "\r\n";

export type RespValue = string | number | null | RespValue[] | Error;

export class RespClient {
  #conn: Deno.TcpConn;
  #buffer: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  #position = 0;

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
    const parts: Uint8Array[] = [encoder.encode(`*${args.length}${CRLF}`)];
    for (const arg of args) {
      const bytes = typeof arg === "string" ? encoder.encode(arg) : arg;
      parts.push(encoder.encode(`$${bytes.length}${CRLF}`), bytes, encoder.encode(CRLF));
    }
    return concat(parts);
  }

  /** Write already-encoded commands and read `count` replies; returns them. */
  async pipeline(encoded: Uint8Array, count: number): Promise<RespValue[]> {
    const writing = this.#writeAll(encoded);
    const replies: RespValue[] = [];
    for (let i = 0; i < count; i++) replies.push(await this.#readValue());
    await writing;
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
    const chunk = new Uint8Array(1 << 20);
    const n = await this.#conn.read(chunk);
    if (n === null) throw new Error("Redis closed the connection");
    const rest = this.#buffer.subarray(this.#position);
    this.#buffer = concat([rest, chunk.subarray(0, n)]);
    this.#position = 0;
  }

  async #line(): Promise<string> {
    while (true) {
      const end = this.#buffer.indexOf(0x0d, this.#position);
      if (end >= 0 && end + 1 < this.#buffer.length) {
        const line = new TextDecoder().decode(this.#buffer.subarray(this.#position, end));
        this.#position = end + 2;
        return line;
      }
      await this.#fill();
    }
  }

  async #readValue(): Promise<RespValue> {
    const line = await this.#line();
    const type = line[0];
    const rest = line.slice(1);
    switch (type) {
      case "+":
        return rest;
      case "-":
        return new Error(rest);
      case ":":
        return Number(rest);
      case "$": {
        const length = Number(rest);
        if (length < 0) return null;
        while (this.#buffer.length - this.#position < length + 2) await this.#fill();
        const value = new TextDecoder().decode(
          this.#buffer.subarray(this.#position, this.#position + length),
        );
        this.#position += length + 2;
        return value;
      }
      case "*": {
        const count = Number(rest);
        if (count < 0) return null;
        const items: RespValue[] = [];
        for (let i = 0; i < count; i++) items.push(await this.#readValue());
        return items;
      }
      default:
        throw new Error(`Unexpected RESP reply type "${type}"`);
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
