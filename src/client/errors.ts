/**
 * Client-side failures that are not Kafka error codes: a broker that cannot be reached, a
 * connection that closed under a request, a request that took longer than its timeout.
 * All carry `retriable` like {@link KafkaError} so retry loops can treat them alike.
 *
 * @example
 * ```ts
 * try { await admin.listTopics(); } catch (error) {
 *   if (error instanceof BrokerUnreachableError) console.error(`start a broker at ${error.address}`);
 * }
 * ```
 */
import { KafkaError } from "../kafka/errors.ts";

/** No TCP connection could be opened to a broker (refused, unresolvable, timed out). */
export class BrokerUnreachableError extends Error {
  override name = "BrokerUnreachableError";
  readonly retriable = true;
  readonly address: string;
  /** What to check, when the failure suggests it (e.g. a security protocol mismatch). */
  readonly hint: string | undefined;

  constructor(address: string, cause?: unknown, hint?: string) {
    super(`Cannot reach a broker at ${address}${cause instanceof Error ? `: ${cause.message}` : ""}`);
    this.address = address;
    this.hint = hint;
  }
}

/** The connection closed (by the peer, an error or close()) while a request was pending. */
export class ConnectionClosedError extends Error {
  override name = "ConnectionClosedError";
  readonly retriable = true;
}

/** No response within the request timeout; the connection is closed since its stream is now ambiguous. */
export class RequestTimeoutError extends Error {
  override name = "RequestTimeoutError";
  readonly retriable = true;
}

/** Does retrying (after a metadata refresh) have a chance? */
export function isRetriable(error: unknown): boolean {
  if (error instanceof KafkaError) return error.retriable;
  return error instanceof BrokerUnreachableError || error instanceof ConnectionClosedError ||
    error instanceof RequestTimeoutError;
}

/** The broker refused the client's SASL credentials or mechanism: retrying will not help. */
export class AuthenticationError extends Error {
  override name = "AuthenticationError";
  readonly retriable = false;
}

/** The TLS handshake with a broker failed (certificate, CA, or a listener that is not TLS). */
export class TlsHandshakeError extends Error {
  override name = "TlsHandshakeError";
  readonly retriable = false;
}
