/**
 * SaslAuthenticate (key 36), versions 0–2: one SASL token each way, after a v1 SaslHandshake.
 * v2 is flexible (request header v2, compact bytes, tag sections).
 *
 * Request v0–1  => auth_bytes BYTES
 * Request v2    => auth_bytes COMPACT_BYTES TAG_BUFFER
 *
 * Response v0   => error_code INT16 error_message NULLABLE_STRING auth_bytes BYTES
 * Response v1   => ... session_lifetime_ms INT64  (0 = the broker does not expire sessions)
 * Response v2   => the v1 fields in compact form, then TAG_BUFFER
 *
 * A failed exchange answers SASL_AUTHENTICATION_FAILED (58) with a message for the user.
 *
 * @example
 * ```ts
 * writeSaslAuthenticateRequest(writer, 2, { authBytes: clientFirstMessage });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey, isFlexible } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import {
  endStruct,
  type ErrorFields,
  readBytesField,
  readErrorFields,
  skipStructTags,
  writeBytesField,
  writeErrorFields,
} from "./flexible-fields.ts";

export interface SaslAuthenticateRequest {
  authBytes: Uint8Array;
}

export interface SaslAuthenticateResponse extends ErrorFields {
  authBytes: Uint8Array;
  /** v1+; default 0 (no expiry). */
  sessionLifetimeMs?: number;
}

const flexibleAt = (version: number) => isFlexible(ApiKey.SaslAuthenticate, version);

export function writeSaslAuthenticateRequest(
  writer: Writer,
  version: number,
  request: SaslAuthenticateRequest,
): void {
  checkVersion(ApiKey.SaslAuthenticate, version, "write");
  const flexible = flexibleAt(version);
  writeBytesField(writer, flexible, request.authBytes);
  endStruct(writer, flexible);
}

export function readSaslAuthenticateRequest(reader: Reader, version: number): SaslAuthenticateRequest {
  checkVersion(ApiKey.SaslAuthenticate, version, "read");
  const flexible = flexibleAt(version);
  const authBytes = readBytesField(reader, flexible, "auth_bytes");
  skipStructTags(reader, flexible);
  return { authBytes };
}

export function writeSaslAuthenticateResponse(
  writer: Writer,
  version: number,
  response: SaslAuthenticateResponse,
): void {
  checkVersion(ApiKey.SaslAuthenticate, version, "write");
  const flexible = flexibleAt(version);
  writeErrorFields(writer, flexible, response);
  writeBytesField(writer, flexible, response.authBytes);
  if (version >= 1) writer.int64n(response.sessionLifetimeMs ?? 0);
  endStruct(writer, flexible);
}

export function readSaslAuthenticateResponse(reader: Reader, version: number): SaslAuthenticateResponse {
  checkVersion(ApiKey.SaslAuthenticate, version, "read");
  const flexible = flexibleAt(version);
  const { errorCode, errorMessage } = readErrorFields(reader, flexible);
  const authBytes = readBytesField(reader, flexible, "auth_bytes");
  const sessionLifetimeMs = version >= 1 ? reader.int64n() : 0;
  skipStructTags(reader, flexible);
  return { errorCode, errorMessage, authBytes, sessionLifetimeMs };
}
