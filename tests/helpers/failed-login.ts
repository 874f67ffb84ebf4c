/**
 * One failed SASL login over a raw socket, as an attacker guessing passwords makes it: PLAIN
 * with a wrong password, or SCRAM-SHA-512 whose proof is random bytes (what a wrong password
 * looks like to the broker: it cannot tell the two apart, and neither costs the client a
 * PBKDF2 run, so a storm of them loads only the broker). Unlike the project's client, this one
 * never closes its end first: it reads until the broker closes the connection, so a caller
 * learns whether the broker itself ends a failed connection (after its
 * failed-authentication delay) rather than leaving it open.
 *
 * @example
 * ```ts
 * const result = await failedLogin({ host: "127.0.0.1", port, user: "alice", mechanism: "PLAIN" });
 * // { errorCode: 58, closedByBroker: true }
 * ```
 */
import { ApiKey } from "../../src/kafka/api-keys.ts";
import {
  readSaslAuthenticateResponse,
  writeSaslAuthenticateRequest,
} from "../../src/kafka/apis/sasl-authenticate.ts";
import { readSaslHandshakeResponse, writeSaslHandshakeRequest } from "../../src/kafka/apis/sasl-handshake.ts";
import { readResponseHeader, writeRequestHeader } from "../../src/kafka/header.ts";
import { encodeBase64 } from "../../src/security/base64.ts";
import { frame, FrameDecoder, Reader, Writer } from "../../src/wire/mod.ts";

export interface FailedLoginOptions {
  host: string;
  port: number;
  user: string;
  mechanism: "PLAIN" | "SCRAM-SHA-512";
  /** How long to wait for the broker to close the connection after its answer (default 30 s). */
  closeTimeoutMs?: number;
}

export interface FailedLoginResult {
  /** The SaslAuthenticate (or SaslHandshake) error code; 58 = SASL_AUTHENTICATION_FAILED. */
  errorCode: number;
  /** Did the broker close the connection after answering (within closeTimeoutMs)? */
  closedByBroker: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A connection that sends one request at a time and reads its framed answer. */
class RawConnection {
  readonly #conn: Deno.TcpConn;
  readonly #frames = new FrameDecoder(1024 * 1024);
  readonly #pending: Uint8Array[] = [];
  #correlationId = 0;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  async request(apiKey: number, version: number, body: (writer: Writer) => void): Promise<Reader> {
    const writer = new Writer();
    const correlationId = ++this.#correlationId;
    writeRequestHeader(writer, { apiKey, apiVersion: version, correlationId, clientId: "failed-login" });
    body(writer);
    const bytes = frame(writer.toBytes());
    for (let written = 0; written < bytes.length;) written += await this.#conn.write(bytes.subarray(written));
    const payload = await this.#next();
    if (payload === null) throw new Error(`the broker closed the connection instead of answering ${apiKey}`);
    const reader = new Reader(payload);
    const answered = readResponseHeader(reader, apiKey, version);
    if (answered !== correlationId) throw new Error(`answer ${answered} to request ${correlationId}`);
    return reader;
  }

  /** The next frame, or null at end of stream. */
  async #next(): Promise<Uint8Array | null> {
    const buffer = new Uint8Array(4096);
    while (this.#pending.length === 0) {
      const count = await this.#conn.read(buffer);
      if (count === null) return null;
      this.#pending.push(...this.#frames.push(buffer.subarray(0, count)));
    }
    return this.#pending.shift()!;
  }

  /** True when the broker ends the stream (sending nothing more) within timeoutMs. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), timeoutMs));
    try {
      const ended = this.#next().then((payload) => payload === null, () => true); // reset = closed
      return await Promise.race([ended, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed by the broker's reset: nothing left to release.
    }
  }
}

/** Log in with a wrong secret; resolves with the broker's answer and whether it then closed. */
export async function failedLogin(options: FailedLoginOptions): Promise<FailedLoginResult> {
  const connection = new RawConnection(await Deno.connect({ hostname: options.host, port: options.port }));
  try {
    const handshake = readSaslHandshakeResponse(
      await connection.request(
        ApiKey.SaslHandshake,
        1,
        (w) => writeSaslHandshakeRequest(w, 1, { mechanism: options.mechanism }),
      ),
      1,
    );
    let errorCode = handshake.errorCode;
    if (errorCode === 0) errorCode = await authenticate(connection, options);
    return { errorCode, closedByBroker: await connection.closedWithin(options.closeTimeoutMs ?? 30_000) };
  } finally {
    connection.close();
  }
}

/** The SaslAuthenticate exchange with a wrong secret; the error code of its last answer. */
async function authenticate(connection: RawConnection, options: FailedLoginOptions): Promise<number> {
  const send = async (token: string) =>
    readSaslAuthenticateResponse(
      await connection.request(
        ApiKey.SaslAuthenticate,
        2,
        (w) => writeSaslAuthenticateRequest(w, 2, { authBytes: encoder.encode(token) }),
      ),
      2,
    );
  if (options.mechanism === "PLAIN") {
    return (await send(`\u0000${options.user}\u0000wrong-${crypto.randomUUID()}`)).errorCode;
  }
  const clientNonce = encodeBase64(crypto.getRandomValues(new Uint8Array(18)));
  const first = await send(`n,,n=${options.user},r=${clientNonce}`);
  if (first.errorCode !== 0) return first.errorCode;
  const serverNonce = /(?:^|,)r=([^,]+)/.exec(decoder.decode(first.authBytes))?.[1];
  if (serverNonce === undefined) throw new Error("the server-first message has no nonce");
  const proof = encodeBase64(crypto.getRandomValues(new Uint8Array(64)));
  return (await send(`c=biws,r=${serverNonce},p=${proof}`)).errorCode;
}
