/**
 * How the client library reaches a secured broker: the `security` option of every client
 * (`{ protocol, sasl: { mechanism, username, password }, tls: { ca, cert, key } }`, PEM text,
 * Kafka's security.protocol semantics), checked once, and the transport it opens — TCP, or TLS
 * with the CA and client certificate given (Deno.startTls over a TCP_NODELAY socket, or
 * Deno.connectTls when a client certificate is given; both verify the broker's certificate and,
 * by default, that it names the host connected to).
 *
 * @example
 * ```ts
 * const producer = new Producer({ bootstrap: "broker:9093", security: {
 *   protocol: "SASL_SSL",
 *   sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: Deno.env.get("PASSWORD")! },
 *   tls: { ca: await Deno.readTextFile("ca.pem") },
 * } });
 * ```
 */
import type { SecurityProtocol } from "../security/listeners.ts";
import { usesSasl, usesTls } from "../security/listeners.ts";
import { isSaslMechanism, type SaslMechanismName } from "../security/sasl.ts";
import type { ClientTlsOptions } from "../security/tls-options.ts";
import { TlsHandshakeError } from "./errors.ts";
import { setConnectionNoDelay } from "../security/tcp-nodelay.ts";

export interface SaslCredentials {
  mechanism: SaslMechanismName;
  username: string;
  password: string;
}

export interface ClientSecurity {
  /** Kafka's security.protocol; default PLAINTEXT. */
  protocol?: SecurityProtocol;
  /** Required for SASL_PLAINTEXT and SASL_SSL. */
  sasl?: SaslCredentials;
  /** For SSL and SASL_SSL; default: the system's root CAs, no client certificate. */
  tls?: ClientTlsOptions;
}

/** The protocol, after checking that the settings fit it; TypeError names what to change. */
export function checkClientSecurity(security: ClientSecurity | undefined): SecurityProtocol {
  const protocol = security?.protocol ?? "PLAINTEXT";
  const sasl = security?.sasl;
  if (usesSasl(protocol)) {
    if (sasl === undefined) {
      throw new TypeError(
        `security.protocol ${protocol} needs SASL settings: sasl.mechanism, sasl.username, sasl.password`,
      );
    }
    if (!isSaslMechanism(sasl.mechanism)) {
      throw new TypeError(
        `sasl.mechanism ${
          JSON.stringify(sasl.mechanism)
        } is not supported: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`,
      );
    }
    if (!sasl.username) throw new TypeError(`security.protocol ${protocol} needs sasl.username`);
    if (!sasl.password) throw new TypeError(`security.protocol ${protocol} needs sasl.password`);
  } else if (sasl !== undefined) {
    throw new TypeError(
      `SASL settings are given but security.protocol is ${protocol}: use SASL_PLAINTEXT or SASL_SSL`,
    );
  }
  if (
    !usesTls(protocol) && security?.tls !== undefined &&
    Object.values(security.tls).some((v) => v !== undefined)
  ) {
    throw new TypeError(`TLS settings are given but security.protocol is ${protocol}: use SSL or SASL_SSL`);
  }
  return protocol;
}

/**
 * Whether openTransport's socket may keep Nagle's algorithm: TLS with a client certificate, which
 * only Deno.connectTls can present and whose socket offers no setNoDelay (set through the OS
 * where possible, see openTransport). Writers then send
 * each message in one write, so no small trailing write waits for the peer's delayed ACK.
 */
export function keepsNagle(protocol: SecurityProtocol, tls: ClientTlsOptions | undefined): boolean {
  return usesTls(protocol) && tls?.cert !== undefined && tls.key !== undefined;
}

/** Open TCP or TLS to host:port; TLS completes its handshake here, so certificate problems surface now. */
export async function openTransport(
  host: string,
  port: number,
  protocol: SecurityProtocol,
  tls: ClientTlsOptions | undefined,
): Promise<Deno.Conn> {
  if (!usesTls(protocol)) {
    const conn = await Deno.connect({ hostname: host, port });
    conn.setNoDelay(true);
    return conn;
  }
  const verify = {
    hostname: host,
    caCerts: tls?.ca ? [tls.ca] : undefined,
    unsafelyDisableHostnameVerification: tls?.verifyHostname === false,
  };
  let conn: Deno.TlsConn;
  if (tls?.cert !== undefined && tls.key !== undefined && keepsNagle(protocol, tls)) {
    // Deno.startTls cannot present a client certificate, and Deno.connectTls's socket has no
    // setNoDelay: TCP_NODELAY is set through the OS where it can be (tcp-nodelay.ts); where it
    // cannot, the socket keeps Nagle's algorithm and the connection joins its writes.
    conn = await Deno.connectTls({ ...verify, port, cert: tls.cert, key: tls.key });
    setConnectionNoDelay((conn.localAddr as Deno.NetAddr).port, (conn.remoteAddr as Deno.NetAddr).port);
  } else {
    // TCP first, so the socket gets TCP_NODELAY (Deno's TlsConn has no setNoDelay): with Nagle's
    // algorithm a request's last small write would wait for the broker's delayed ACK.
    const tcp = await Deno.connect({ hostname: host, port });
    tcp.setNoDelay(true);
    try {
      conn = await Deno.startTls(tcp, verify);
    } catch (error) {
      try {
        tcp.close();
      } catch { /* startTls took the socket over and closed it already */ }
      throw new TlsHandshakeError(tlsFailureMessage(`${host}:${port}`, (error as Error).message));
    }
  }
  try {
    await conn.handshake();
  } catch (error) {
    conn.close();
    throw new TlsHandshakeError(tlsFailureMessage(`${host}:${port}`, (error as Error).message));
  }
  return conn;
}

/** "TLS handshake with … failed: <why> (<what to check>)". */
function tlsFailureMessage(address: string, reason: string): string {
  let hint =
    "is it a TLS listener (SSL or SASL_SSL), and does ssl.ca.location hold the CA that signed its certificate?";
  if (/UnknownIssuer|BadSignature|certificate/i.test(reason) && !/CertificateRequired/i.test(reason)) {
    hint = "check ssl.ca.location: it must hold the CA that signed the broker's certificate";
  }
  if (/NotValidForName|name/i.test(reason) && !/CertificateRequired/i.test(reason)) {
    hint = "the broker's certificate does not name this host: connect by a name it lists, " +
      "or set ssl.endpoint.identification.algorithm to empty";
  }
  if (/CertificateRequired|BadCertificate|UnknownCA|DecryptError/i.test(reason)) {
    hint =
      "the broker wants a client certificate it trusts: check ssl.certificate.location and ssl.key.location";
  }
  if (
    /corrupt message|InvalidContentType|unexpected (eof|end of file)|close_notify|peer closed/i.test(reason)
  ) {
    hint = "is that listener TLS? SSL and SASL_SSL need a TLS listener";
  }
  return `TLS handshake with ${address} failed: ${reason} (${hint})`;
}
