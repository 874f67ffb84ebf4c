/**
 * Client-side SASL on a fresh connection, before any other request (ApiVersions may come first,
 * as Kafka allows): SaslHandshake v1 names the mechanism, then SaslAuthenticate carries the
 * mechanism's tokens until the exchange completes. Failures become an AuthenticationError whose
 * message says what to do; the password never appears in one.
 *
 * @example
 * ```ts
 * await saslLogin(connection, { mechanism: "SCRAM-SHA-512", username: "alice", password: "…" });
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { ErrorCode, errorInfo } from "../kafka/errors.ts";
import { readSaslHandshakeResponse, writeSaslHandshakeRequest } from "../kafka/apis/sasl-handshake.ts";
import {
  readSaslAuthenticateResponse,
  writeSaslAuthenticateRequest,
} from "../kafka/apis/sasl-authenticate.ts";
import { SaslAuthenticationError } from "../security/sasl.ts";
import { createClientExchange } from "../security/sasl-mechanisms.ts";
import type { Connection } from "./connection.ts";
import { AuthenticationError } from "./errors.ts";
import type { SaslCredentials } from "./security.ts";

/** Round trips of one exchange before giving up (SCRAM needs two, PLAIN one). */
const MAX_ROUND_TRIPS = 8;

export async function saslLogin(connection: Connection, sasl: SaslCredentials): Promise<void> {
  const who = `"${sasl.username}" (${sasl.mechanism})`;
  const handshakeRange = connection.brokerRange(ApiKey.SaslHandshake);
  if (
    handshakeRange === undefined || handshakeRange.maxVersion < 1 ||
    !connection.brokerRange(ApiKey.SaslAuthenticate)
  ) {
    throw new AuthenticationError(
      `broker ${connection.address} does not offer SASL (SaslHandshake v1 and SaslAuthenticate): ` +
        `is it a SASL listener? set security.protocol to match`,
    );
  }
  const handshake = await connection.request(
    ApiKey.SaslHandshake,
    1,
    (w) => writeSaslHandshakeRequest(w, 1, { mechanism: sasl.mechanism }),
    (r) => readSaslHandshakeResponse(r, 1),
  );
  if (handshake.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) {
    throw new AuthenticationError(
      `broker ${connection.address} does not enable SASL mechanism ${sasl.mechanism} (it enables: ${
        handshake.mechanisms.join(", ") || "none"
      }): set sasl.mechanism to one of them`,
    );
  }
  if (handshake.errorCode !== ErrorCode.NONE) {
    throw new AuthenticationError(
      `SASL handshake with ${connection.address} failed: ${errorInfo(handshake.errorCode).name}`,
    );
  }
  const version = connection.versionFor(ApiKey.SaslAuthenticate);
  const exchange = createClientExchange(sasl.mechanism, sasl.username, sasl.password);
  let token: Uint8Array | null = exchange.initialToken();
  for (let round = 0; token !== null; round++) {
    if (round >= MAX_ROUND_TRIPS) {
      throw new AuthenticationError(`authentication failed for ${who}: the exchange did not finish`);
    }
    const bytes: Uint8Array = token;
    const response = await connection.request(
      ApiKey.SaslAuthenticate,
      version,
      (w) => writeSaslAuthenticateRequest(w, version, { authBytes: bytes }),
      (r) => readSaslAuthenticateResponse(r, version),
    );
    if (response.errorCode === ErrorCode.SASL_AUTHENTICATION_FAILED) {
      throw new AuthenticationError(`authentication failed for ${who}: check the user name and password`);
    }
    if (response.errorCode !== ErrorCode.NONE) {
      throw new AuthenticationError(
        `authentication failed for ${who}: ${errorInfo(response.errorCode).name}${
          response.errorMessage ? ` (${response.errorMessage})` : ""
        }`,
      );
    }
    try {
      token = await exchange.evaluate(response.authBytes);
    } catch (error) {
      if (!(error instanceof SaslAuthenticationError)) throw error;
      throw new AuthenticationError(`authentication failed for ${who}: ${error.message}`);
    }
  }
  if (!exchange.complete) {
    throw new AuthenticationError(`authentication failed for ${who}: the broker ended the exchange early`);
  }
}
