/**
 * Who is on the other end of one broker connection, and what it may send before it has said
 * so. A session belongs to one accepted connection and knows its listener, the client's host,
 * the verified TLS client certificate (if any) and, on a SASL listener, the SASL exchange.
 * The connection asks it for the handler of each request (handlerFor), so the rule "nothing
 * but ApiVersions, SaslHandshake and SaslAuthenticate before authentication" sits in front of
 * every API without any API handler knowing about it.
 *
 * - SASL listener: the SaslAuthenticator decides; an early request closes the connection (as
 *   Kafka does); a failed exchange answers after the failed-authentication delay, a timer on
 *   this connection only, then closes it.
 * - Other listeners: SaslHandshake and SaslAuthenticate answer ILLEGAL_SASL_STATE and close, as
 *   Kafka does on a listener without SASL — the client learns its security.protocol is wrong.
 * - The principal (security/principal.ts): the SASL user, else the client certificate's
 *   subject, else User:ANONYMOUS. Handlers read it from the request context.
 *
 * @example
 * ```ts
 * const session = new ConnectionSession({ listener, remoteHost: "10.0.0.7", peerCertificate: null,
 *   sasl: { enabledMechanisms: ["SCRAM-SHA-512"], lookup, failedAuthenticationDelayMs: 100 },
 *   handlers: (apiKey) => handlers.get(apiKey) });
 * new Connection(conn, { ..., handlerFor: (apiKey) => session.handlerFor(apiKey), session });
 * ```
 */
import { ApiKey, apiName } from "../kafka/api-keys.ts";
import { writeSaslAuthenticateResponse } from "../kafka/apis/sasl-authenticate.ts";
import { writeSaslHandshakeResponse } from "../kafka/apis/sasl-handshake.ts";
import { ErrorCode } from "../kafka/errors.ts";
import type { Listener } from "../security/listeners.ts";
import { connectionPrincipal } from "../security/principal.ts";
import { SaslAuthenticator, type SaslAuthenticatorOptions } from "../security/sasl-authenticator.ts";
import { WireError } from "../wire/wire-error.ts";
import type { RequestHandler, RequestSession } from "./connection.ts";

export interface ConnectionSessionOptions {
  listener: Listener;
  /** The client's address (ACL host). */
  remoteHost: string;
  /** The client certificate the TLS handshake verified (DER), or null. */
  peerCertificate: Uint8Array | null;
  /** Present on SASL_PLAINTEXT and SASL_SSL listeners. */
  sasl?: SaslAuthenticatorOptions;
  /** The broker's handler of an API key. */
  handlers: (apiKey: number) => RequestHandler | undefined;
}

export class ConnectionSession implements RequestSession {
  readonly listener: string;
  readonly host: string;
  readonly #peerCertificate: Uint8Array | null;
  readonly #sasl: SaslAuthenticator | undefined;
  readonly #handlers: (apiKey: number) => RequestHandler | undefined;
  #principal: string;

  constructor(options: ConnectionSessionOptions) {
    this.listener = options.listener.name;
    this.host = options.remoteHost;
    this.#peerCertificate = options.peerCertificate;
    this.#sasl = options.sasl === undefined ? undefined : new SaslAuthenticator(options.sasl);
    this.#handlers = options.handlers;
    this.#principal = connectionPrincipal({ peerCertificate: options.peerCertificate });
  }

  /** `User:…`: fixed at accept on non-SASL listeners, the SASL user once authenticated. */
  get principal(): string {
    return this.#principal;
  }

  /** True when requests other than the SASL ones are admitted. */
  get authenticated(): boolean {
    return this.#sasl === undefined || this.#sasl.authenticated;
  }

  /** The handler for a request with this key, with the session's admission rules in front. */
  handlerFor(apiKey: number): RequestHandler | undefined {
    const sasl = this.#sasl;
    if (sasl === undefined) return this.#handlers(apiKey); // SASL keys: saslOnOtherListener
    const route = sasl.route(apiKey);
    if (route === "pass") return this.#handlers(apiKey);
    if (route === "refuse") {
      return () => {
        throw new WireError(`${apiName(apiKey)} before SASL authentication: closing the connection`);
      };
    }
    return async (request) => {
      const reply = await sasl.handle(request.header.apiKey, request.header.apiVersion, request.body);
      if (sasl.authenticated) {
        this.#principal = connectionPrincipal({
          saslUser: sasl.user,
          peerCertificate: this.#peerCertificate,
        });
      }
      // The delay is this connection's own timer: other connections are served meanwhile.
      if (reply.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      if (reply.close) request.closeAfterResponse?.();
      return reply.write;
    };
  }
}

/**
 * The broker's handler of SaslHandshake and SaslAuthenticate, reached only on listeners without
 * SASL (a SASL listener's session answers them itself): ILLEGAL_SASL_STATE, then close.
 */
export const saslOnOtherListener: RequestHandler = ({ header, closeAfterResponse }) => {
  closeAfterResponse?.();
  if (header.apiKey === ApiKey.SaslHandshake) {
    return (writer) =>
      writeSaslHandshakeResponse(writer, header.apiVersion, {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        mechanisms: [],
      });
  }
  return (writer) =>
    writeSaslAuthenticateResponse(writer, header.apiVersion, {
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      errorMessage: "This listener does not use SASL: check security.protocol",
      authBytes: new Uint8Array(),
      sessionLifetimeMs: 0,
    });
};
