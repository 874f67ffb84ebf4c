/**
 * SaslHandshake (key 17), versions 0–1: the client names the SASL mechanism it wants; the
 * broker answers with the mechanisms it enables. After v0 the SASL tokens travel as bare
 * int32-length frames (no Kafka header); after v1 they travel inside SaslAuthenticate (36).
 * No version is flexible (KAFKA-9577 froze the API at v1).
 *
 * Request v0–1  => mechanism STRING
 *
 * Response v0–1 => error_code INT16 mechanisms [STRING]
 *
 * UNSUPPORTED_SASL_MECHANISM (33) when the mechanism is not enabled; ILLEGAL_SASL_STATE (34)
 * when the connection is not expecting a handshake.
 *
 * @example
 * ```ts
 * writeSaslHandshakeRequest(writer, 1, { mechanism: "SCRAM-SHA-512" });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readString, readStrings } from "./field-readers.ts";

export interface SaslHandshakeRequest {
  mechanism: string;
}

export interface SaslHandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}

export function writeSaslHandshakeRequest(
  writer: Writer,
  version: number,
  request: SaslHandshakeRequest,
): void {
  checkVersion(ApiKey.SaslHandshake, version, "write");
  writer.string(request.mechanism);
}

export function readSaslHandshakeRequest(reader: Reader, version: number): SaslHandshakeRequest {
  checkVersion(ApiKey.SaslHandshake, version, "read");
  return { mechanism: readString(reader, "mechanism") };
}

export function writeSaslHandshakeResponse(
  writer: Writer,
  version: number,
  response: SaslHandshakeResponse,
): void {
  checkVersion(ApiKey.SaslHandshake, version, "write");
  writer.int16(response.errorCode).array(response.mechanisms, (w, mechanism) => w.string(mechanism));
}

export function readSaslHandshakeResponse(reader: Reader, version: number): SaslHandshakeResponse {
  checkVersion(ApiKey.SaslHandshake, version, "read");
  const errorCode = reader.int16();
  return { errorCode, mechanisms: readStrings(reader, "mechanisms") };
}
