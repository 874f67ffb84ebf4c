/**
 * A stand-in for a secured broker listener, built from the security modules a real broker
 * will use (broker-listener.ts, SaslAuthenticator, principals) and our codecs: it answers
 * ApiVersions, SaslHandshake and SaslAuthenticate, records each connection's principal, and
 * closes connections the way the authenticator says. Not a broker: it serves only the APIs a
 * test hands it (e.g. the ACL and SCRAM management APIs through src/security's request logic).
 * It lets the client's TLS and SASL paths be tested over real sockets before the broker core
 * serves these listeners.
 */
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { readApiVersionsRequest, writeApiVersionsResponse } from "../../src/kafka/apis/api-versions.ts";
import { readRequestHeader, writeResponseHeader } from "../../src/kafka/header.ts";
import { type AcceptedConn, type BrokerListener, listenBroker } from "../../src/security/broker-listener.ts";
import { type SecurityProtocol, usesSasl } from "../../src/security/listeners.ts";
import { connectionPrincipal } from "../../src/security/principal.ts";
import { SaslAuthenticator } from "../../src/security/sasl-authenticator.ts";
import type { CredentialLookup, SaslMechanismName } from "../../src/security/sasl.ts";
import type { ServerTlsOptions } from "../../src/security/tls-options.ts";
import { FrameDecoder, Reader, Writer } from "../../src/wire/mod.ts";

/** Serves one more API for authenticated connections: reads the body, writes the response body. */
export type TestHandler = (
  version: number,
  body: Reader,
  caller: { principal: string; host: string },
) => Promise<(writer: Writer) => void>;

export interface SecureTestBrokerOptions {
  protocol: SecurityProtocol;
  /** More APIs to serve, by key (advertised with the given versions). */
  handlers?: { apiKey: number; minVersion: number; maxVersion: number; handle: TestHandler }[];
  tls?: ServerTlsOptions;
  mechanisms?: SaslMechanismName[];
  lookup?: CredentialLookup;
  failedAuthenticationDelayMs?: number;
}

const ADVERTISED = [
  { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.SaslHandshake, minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.SaslAuthenticate, minVersion: 0, maxVersion: 2 },
];

export class SecureTestBroker implements AsyncDisposable {
  /** The principal of every connection that got past authentication, in order. */
  readonly principals: string[] = [];
  /** Authentication and handshake failures, as the broker would log them. */
  readonly failures: string[] = [];
  readonly #listener: BrokerListener;
  readonly #options: SecureTestBrokerOptions;
  readonly #connections = new Set<AcceptedConn>();
  #accepting: Promise<void> = Promise.resolve();

  private constructor(listener: BrokerListener, options: SecureTestBrokerOptions) {
    this.#listener = listener;
    this.#options = options;
  }

  static async start(options: SecureTestBrokerOptions): Promise<SecureTestBroker> {
    const failures: string[] = [];
    const listener = await listenBroker({
      host: "127.0.0.1",
      port: 0,
      tls: options.tls,
      onHandshakeError: (_remote, message) => failures.push(`tls: ${message}`),
    });
    const broker = new SecureTestBroker(listener, options);
    broker.failures.push(...failures);
    broker.#accepting = broker.#accept();
    return broker;
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: AcceptedConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // closed
      }
      this.#connections.add(conn);
      this.#serve(conn).catch((error) => this.failures.push(`connection: ${(error as Error).message}`))
        .finally(() => {
          this.#connections.delete(conn);
          conn.close();
        });
    }
  }

  async #serve(conn: AcceptedConn): Promise<void> {
    await conn.handshake(5_000);
    const sasl = usesSasl(this.#options.protocol)
      ? new SaslAuthenticator({
        enabledMechanisms: this.#options.mechanisms ?? ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
        lookup: this.#options.lookup ?? (() => undefined),
        failedAuthenticationDelayMs: this.#options.failedAuthenticationDelayMs ?? 0,
        onFailure: (detail) => this.failures.push(`sasl: ${detail}`),
      })
      : undefined;
    let recorded = false;
    const record = () => {
      if (recorded || (sasl && !sasl.authenticated)) return;
      recorded = true;
      this.principals.push(
        connectionPrincipal({ saslUser: sasl?.user, peerCertificate: conn.peerCertificate }),
      );
    };
    record();
    const decoder = new FrameDecoder(1024 * 1024);
    for (;;) {
      const buffer = new Uint8Array(65536);
      const n = await conn.read(buffer);
      if (n === null) return;
      for (const frame of decoder.push(buffer.subarray(0, n))) {
        const reader = new Reader(frame);
        const header = readRequestHeader(reader);
        let close = false;
        let delayMs = 0;
        const writer = new Writer();
        writer.int32(0);
        writeResponseHeader(writer, header.apiKey, header.apiVersion, header.correlationId);
        const route = sasl ? sasl.route(header.apiKey) : "pass";
        if (route === "refuse") return; // closes, as a SASL listener does for early requests
        if (route === "sasl") {
          const reply = await sasl!.handle(header.apiKey, header.apiVersion, reader);
          reply.write(writer);
          close = reply.close;
          delayMs = reply.delayMs;
        } else if (header.apiKey === ApiKey.ApiVersions) {
          readApiVersionsRequest(reader, header.apiVersion);
          const apiKeys = [...ADVERTISED, ...(this.#options.handlers ?? [])].map((api) => ({
            apiKey: api.apiKey,
            minVersion: api.minVersion,
            maxVersion: api.maxVersion,
          }));
          writeApiVersionsResponse(writer, header.apiVersion, { errorCode: 0, apiKeys, throttleTimeMs: 0 });
        } else {
          const handler = this.#options.handlers?.find((h) => h.apiKey === header.apiKey);
          if (handler === undefined) return;
          const principal = connectionPrincipal({
            saslUser: sasl?.user,
            peerCertificate: conn.peerCertificate,
          });
          const host = (conn.remoteAddr as Deno.NetAddr).hostname;
          (await handler.handle(header.apiVersion, reader, { principal, host }))(writer);
        }
        writer.setInt32At(0, writer.length - 4);
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        const bytes = writer.toBytes();
        let written = 0;
        while (written < bytes.length) written += await conn.write(bytes.subarray(written));
        record();
        if (close) return;
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const conn of this.#connections) conn.close();
    await this.#accepting;
  }
}
