/**
 * The SASL side of one broker connection on a SASL_PLAINTEXT or SASL_SSL listener, as Kafka's
 * SaslServerAuthenticator runs it, as logic the connection calls — no sockets here:
 *
 *   ApiVersions (optional) → SaslHandshake(mechanism) → SaslAuthenticate × n → authenticated
 *
 * - Until authenticated, only ApiVersions, SaslHandshake and SaslAuthenticate are admitted;
 *   anything else closes the connection (route() says "refuse").
 * - A mechanism the listener does not enable gets UNSUPPORTED_SASL_MECHANISM with the enabled
 *   list, then the connection closes.
 * - SaslHandshake v0 (pre-KIP-152 clients) means the tokens that follow are bare int32-length
 *   frames without a Kafka header: expectsRawToken tells the connection to pass the next frame
 *   to rawToken().
 * - A failed exchange answers SASL_AUTHENTICATION_FAILED with a message for the user, held back
 *   by `failedAuthenticationDelayMs` (Kafka's connection.failed.authentication.delay.ms), then
 *   the connection closes. The delay is a timer on this connection only: other clients do
 *   not wait for it.
 * - After authentication a second handshake gets ILLEGAL_SASL_STATE and the connection closes
 *   (re-authentication, KIP-368, is not offered: session lifetime 0).
 *
 * @example
 * ```ts
 * const sasl = new SaslAuthenticator({ enabledMechanisms: ["SCRAM-SHA-512"], lookup, failedAuthenticationDelayMs: 100 });
 * if (sasl.route(header.apiKey) === "sasl") {
 *   const step = await sasl.handle(header.apiKey, header.apiVersion, body);
 *   // write step.write as the response after step.delayMs; close the connection if step.close
 * }
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { ErrorCode } from "../kafka/errors.ts";
import {
  readSaslAuthenticateRequest,
  writeSaslAuthenticateResponse,
} from "../kafka/apis/sasl-authenticate.ts";
import { readSaslHandshakeRequest, writeSaslHandshakeResponse } from "../kafka/apis/sasl-handshake.ts";
import type { Reader } from "../wire/reader.ts";
import type { Writer } from "../wire/writer.ts";
import {
  type CredentialLookup,
  isSaslMechanism,
  SaslAuthenticationError,
  type SaslMechanismName,
  type SaslServerExchange,
} from "./sasl.ts";
import { createServerExchange } from "./sasl-mechanisms.ts";

export interface SaslAuthenticatorOptions {
  /** The listener's mechanisms (Kafka's sasl.enabled.mechanisms). */
  enabledMechanisms: readonly SaslMechanismName[];
  lookup: CredentialLookup;
  /** Hold a failure answer back this long before closing (Kafka: connection.failed.authentication.delay.ms). */
  failedAuthenticationDelayMs: number;
  /** One line per failed authentication, for the broker's log (never sent to the client). */
  onFailure?: (detail: string) => void;
}

/** How the connection should treat a request before dispatching it. */
export type SaslRoute = "pass" | "sasl" | "refuse";

/** One answer of the authenticator: the response body, when to send it, and what follows. */
export interface SaslReply {
  write: (writer: Writer) => void;
  /** Wait this long before writing the response (non-zero only for failures). */
  delayMs: number;
  /** Close the connection once the response is written. */
  close: boolean;
}

/** The answer to a bare token after a v0 handshake: reply bytes (null = none) and what follows. */
export interface RawTokenReply {
  reply: Uint8Array | null;
  delayMs: number;
  close: boolean;
}

type State = "handshake" | "authenticate" | "raw-token" | "complete" | "failed";

const SASL_KEYS: ReadonlySet<number> = new Set([ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

export class SaslAuthenticator {
  readonly #options: SaslAuthenticatorOptions;
  #state: State = "handshake";
  #exchange: SaslServerExchange | undefined;
  #user: string | undefined;

  constructor(options: SaslAuthenticatorOptions) {
    this.#options = options;
  }

  /** True once an exchange succeeded. */
  get authenticated(): boolean {
    return this.#state === "complete";
  }

  /** The authenticated user name (the principal is `User:<name>`). */
  get user(): string | undefined {
    return this.#user;
  }

  /** After a v0 handshake, the next frame is a bare token for rawToken(). */
  get expectsRawToken(): boolean {
    return this.#state === "raw-token";
  }

  route(apiKey: number): SaslRoute {
    if (SASL_KEYS.has(apiKey)) return "sasl";
    if (this.#state === "complete" || apiKey === ApiKey.ApiVersions) return "pass";
    return "refuse";
  }

  /** Answer a SaslHandshake or SaslAuthenticate request (route() said "sasl"). */
  async handle(apiKey: number, version: number, body: Reader): Promise<SaslReply> {
    if (apiKey === ApiKey.SaslHandshake) return this.#handshake(version, body);
    return await this.#authenticate(version, body);
  }

  /** Evaluate a bare token (after a v0 handshake). */
  async rawToken(token: Uint8Array): Promise<RawTokenReply> {
    if (this.#state !== "raw-token") {
      this.#state = "failed";
      return { reply: null, delayMs: 0, close: true };
    }
    try {
      const step = await this.#exchange!.evaluate(token);
      if (step.done) this.#complete(step.user);
      return { reply: step.challenge, delayMs: 0, close: false };
    } catch (error) {
      // v0 has no way to carry an error message: the connection just closes, after the delay.
      this.#fail(error);
      return { reply: null, delayMs: this.#options.failedAuthenticationDelayMs, close: true };
    }
  }

  #handshake(version: number, body: Reader): SaslReply {
    const { mechanism } = readSaslHandshakeRequest(body, version);
    const mechanisms = [...this.#options.enabledMechanisms];
    if (this.#state !== "handshake") {
      this.#state = "failed";
      return reply(
        (w) =>
          writeSaslHandshakeResponse(w, version, { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms }),
        true,
      );
    }
    if (!isSaslMechanism(mechanism) || !mechanisms.includes(mechanism)) {
      this.#state = "failed";
      this.#options.onFailure?.(
        `SASL mechanism ${JSON.stringify(mechanism)} is not enabled (enabled: ${mechanisms.join(", ")})`,
      );
      return reply(
        (w) =>
          writeSaslHandshakeResponse(w, version, {
            errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
            mechanisms,
          }),
        true,
      );
    }
    this.#exchange = createServerExchange(mechanism, this.#options.lookup);
    this.#state = version === 0 ? "raw-token" : "authenticate";
    return reply(
      (w) => writeSaslHandshakeResponse(w, version, { errorCode: ErrorCode.NONE, mechanisms }),
      false,
    );
  }

  async #authenticate(version: number, body: Reader): Promise<SaslReply> {
    const { authBytes } = readSaslAuthenticateRequest(body, version);
    const answer = (errorCode: number, errorMessage: string | null, bytes: Uint8Array) => (w: Writer) =>
      writeSaslAuthenticateResponse(w, version, {
        errorCode,
        errorMessage,
        authBytes: bytes,
        sessionLifetimeMs: 0,
      });
    if (this.#state !== "authenticate") {
      const message = this.#state === "complete"
        ? "Already authenticated: re-authentication is not supported"
        : "SaslAuthenticate before a SaslHandshake";
      this.#state = "failed";
      return reply(answer(ErrorCode.ILLEGAL_SASL_STATE, message, new Uint8Array()), true);
    }
    try {
      const step = await this.#exchange!.evaluate(authBytes);
      if (step.done) this.#complete(step.user);
      return reply(answer(ErrorCode.NONE, null, step.challenge), false);
    } catch (error) {
      const message = this.#fail(error);
      return {
        write: answer(ErrorCode.SASL_AUTHENTICATION_FAILED, message, new Uint8Array()),
        delayMs: this.#options.failedAuthenticationDelayMs,
        close: true,
      };
    }
  }

  #complete(user: string): void {
    this.#state = "complete";
    this.#user = user;
    this.#exchange = undefined;
  }

  /** Record a failure; returns the message for the client. */
  #fail(error: unknown): string {
    this.#state = "failed";
    this.#exchange = undefined;
    if (error instanceof SaslAuthenticationError) {
      this.#options.onFailure?.(error.detail);
      return error.message;
    }
    // Not an authentication verdict but a bug or a crypto failure: say so in the log, stay vague outside.
    this.#options.onFailure?.(`SASL exchange failed unexpectedly: ${(error as Error).message}`);
    return "Authentication failed";
  }
}

function reply(write: (writer: Writer) => void, close: boolean): SaslReply {
  return { write, delayMs: 0, close };
}
