/**
 * SASL PLAIN (RFC 4616): one message, `[authzid] NUL authcid NUL passwd` in UTF-8. The server
 * checks the password against the user's stored SCRAM credential (the strongest mechanism the
 * user has), so PLAIN and SCRAM share one user database and no password is ever stored. An
 * unknown user still costs one PBKDF2 run, so timing does not tell which users exist. As in
 * Kafka, an authorization id other than the user name is refused.
 *
 * PLAIN sends the password itself: use it over TLS (SASL_SSL).
 *
 * @example
 * ```ts
 * const server = new PlainServerExchange(lookup);
 * await server.evaluate(new PlainClientExchange("alice", "secret").initialToken()); // { done: true, user: "alice" }
 * ```
 */
import { createScramCredential, passwordMatches, SCRAM_MECHANISMS, SCRAM_SHA_256 } from "./scram.ts";
import {
  type CredentialLookup,
  invalidCredentials,
  SaslAuthenticationError,
  type SaslClientExchange,
  type SaslServerExchange,
  type SaslServerStep,
  tokenText,
} from "./sasl.ts";

/** authzid, user name and password, with room to spare. */
const MAX_PLAIN_TOKEN_BYTES = 2048;
const encoder = new TextEncoder();

export class PlainServerExchange implements SaslServerExchange {
  readonly mechanism = "PLAIN" as const;
  readonly #lookup: CredentialLookup;
  #done = false;

  constructor(lookup: CredentialLookup) {
    this.#lookup = lookup;
  }

  async evaluate(token: Uint8Array): Promise<SaslServerStep> {
    if (this.#done) {
      throw new SaslAuthenticationError("PLAIN: unexpected message after the exchange completed");
    }
    this.#done = true;
    const parts = tokenText(token, this.mechanism, MAX_PLAIN_TOKEN_BYTES).split("\0");
    if (parts.length !== 3) {
      throw new SaslAuthenticationError("PLAIN: expected authzid, user name and password separated by NUL");
    }
    const [authzid, user, password] = parts;
    if (user.length === 0 || password.length === 0) {
      throw new SaslAuthenticationError("PLAIN: user name and password must not be empty");
    }
    if (authzid.length > 0 && authzid !== user) {
      throw new SaslAuthenticationError(
        "Authentication failed: client requested an authorization id that is different from the user name",
      );
    }
    for (const scram of SCRAM_MECHANISMS) {
      const credential = this.#lookup(user, scram.name);
      if (credential === undefined) continue;
      if (await passwordMatches(scram, credential, password)) {
        return { done: true, challenge: new Uint8Array(), user };
      }
      throw invalidCredentials(this.mechanism, `wrong password for "${user}"`);
    }
    // Spend what a known user would, then fail the same way.
    await passwordMatches(SCRAM_SHA_256, await unknownUserCredential(), password);
    throw invalidCredentials(this.mechanism, `unknown user "${user}"`);
  }
}

let unknownUser: Promise<Awaited<ReturnType<typeof createScramCredential>>> | undefined;

/** One throwaway credential per process for the unknown-user path. */
function unknownUserCredential() {
  unknownUser ??= createScramCredential(SCRAM_SHA_256, crypto.randomUUID(), SCRAM_SHA_256.minIterations);
  return unknownUser;
}

export class PlainClientExchange implements SaslClientExchange {
  readonly mechanism = "PLAIN" as const;
  readonly #token: Uint8Array;
  #complete = false;

  constructor(username: string, password: string) {
    if (username.includes("\0") || password.includes("\0")) {
      throw new TypeError("PLAIN user names and passwords cannot contain NUL");
    }
    this.#token = encoder.encode(`\0${username}\0${password}`);
  }

  get complete(): boolean {
    return this.#complete;
  }

  initialToken(): Uint8Array {
    return this.#token;
  }

  /** PLAIN has no challenge: whatever the server answers ends the exchange. */
  evaluate(_challenge: Uint8Array): Promise<Uint8Array | null> {
    this.#complete = true;
    return Promise.resolve(null);
  }
}
