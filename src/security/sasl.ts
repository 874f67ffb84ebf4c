/**
 * What the SASL mechanisms have in common, on both sides. A server exchange takes the
 * client's tokens one at a time and either answers with a challenge or finishes with the
 * authenticated user name; a client exchange does the mirror image. Tokens are bytes (they
 * travel in SaslAuthenticate or as raw frames after a v0 SaslHandshake); the mechanisms
 * here are all UTF-8 text inside.
 *
 * A failed authentication is a SaslAuthenticationError whose message is safe to send to the
 * client — the same text whether the user is unknown or the password wrong, so a failure
 * does not tell an attacker which user names exist.
 *
 * @example
 * ```ts
 * const exchange = createServerExchange("SCRAM-SHA-512", lookup);
 * const step = await exchange.evaluate(clientFirst); // { done: false, challenge }
 * ```
 */
import type { ScramCredential } from "./scram.ts";

/** The mechanisms this project implements, by their SASL names. */
export const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export type SaslMechanismName = typeof SASL_MECHANISMS[number];

/** Is `name` one of ours (exact, as Kafka compares mechanism names)? */
export function isSaslMechanism(name: string): name is SaslMechanismName {
  return (SASL_MECHANISMS as readonly string[]).includes(name);
}

/** The stored SCRAM credential of a user for a mechanism, or undefined (unknown user). */
export type CredentialLookup = (
  user: string,
  mechanism: "SCRAM-SHA-256" | "SCRAM-SHA-512",
) => ScramCredential | undefined;

/** One step of a server exchange. */
export type SaslServerStep =
  | { done: false; challenge: Uint8Array }
  /** `challenge` is the final server message (empty for PLAIN). */
  | { done: true; challenge: Uint8Array; user: string };

export interface SaslServerExchange {
  readonly mechanism: SaslMechanismName;
  /** Process the client's next token. Throws SaslAuthenticationError when authentication fails. */
  evaluate(token: Uint8Array): Promise<SaslServerStep>;
}

export interface SaslClientExchange {
  readonly mechanism: SaslMechanismName;
  /** The first token the client sends. */
  initialToken(): Uint8Array;
  /** The answer to a server challenge; null once the exchange is complete. Throws on a bad server. */
  evaluate(challenge: Uint8Array): Promise<Uint8Array | null>;
  /** True once the server's last message was verified (SCRAM) or no more is expected (PLAIN). */
  readonly complete: boolean;
}

/**
 * Authentication failed. `message` goes to the client (SaslAuthenticate error_message);
 * `detail` only to the broker's log.
 */
export class SaslAuthenticationError extends Error {
  override name = "SaslAuthenticationError";
  readonly detail: string;

  constructor(message: string, detail = message) {
    super(message);
    this.detail = detail;
  }
}

/** Kafka's own wording for a wrong user name or password, whatever the cause. */
export function invalidCredentials(mechanism: string, detail: string): SaslAuthenticationError {
  return new SaslAuthenticationError(
    `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`,
    detail,
  );
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** A token as UTF-8 text, or an authentication failure naming the mechanism. */
export function tokenText(token: Uint8Array, mechanism: string, maxBytes: number): string {
  if (token.length > maxBytes) {
    throw new SaslAuthenticationError(`${mechanism} token longer than ${maxBytes} bytes`);
  }
  try {
    return decoder.decode(token);
  } catch {
    throw new SaslAuthenticationError(`${mechanism} token is not valid UTF-8`);
  }
}
