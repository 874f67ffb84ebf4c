/**
 * Kafka request and response headers.
 *
 * RequestHeader v1 => api_key INT16 api_version INT16 correlation_id INT32 client_id NULLABLE_STRING
 * RequestHeader v2 => v1 + TAG_BUFFER            (flexible API versions; client_id stays non-compact)
 * ResponseHeader v0 => correlation_id INT32
 * ResponseHeader v1 => v0 + TAG_BUFFER           (flexible versions, except ApiVersions: always v0)
 */
import type { Reader } from "../wire/reader.ts";
import type { Writer } from "../wire/writer.ts";
import { ApiKey, isFlexible } from "./api-keys.ts";

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/**
 * Read a request header. The tag section is read only for versions we know are flexible;
 * for unknown keys or versions the caller must not trust the body position.
 */
export function readRequestHeader(reader: Reader): RequestHeader {
  const apiKey = reader.int16();
  const apiVersion = reader.int16();
  const correlationId = reader.int32();
  // ControlledShutdown v0 is the only header-v0 request (no client id); we do not support it.
  const clientId = reader.string();
  if (isFlexible(apiKey, apiVersion)) reader.skipTags();
  return { apiKey, apiVersion, correlationId, clientId };
}

export function writeRequestHeader(writer: Writer, header: RequestHeader): void {
  writer.int16(header.apiKey).int16(header.apiVersion).int32(header.correlationId).string(header.clientId);
  if (isFlexible(header.apiKey, header.apiVersion)) writer.emptyTags();
}

/** Does the response to (key, version) carry a v1 header (with tags)? */
export function responseHeaderIsFlexible(apiKey: number, apiVersion: number): boolean {
  return apiKey !== ApiKey.ApiVersions && isFlexible(apiKey, apiVersion);
}

export function writeResponseHeader(
  writer: Writer,
  apiKey: number,
  apiVersion: number,
  correlationId: number,
) {
  writer.int32(correlationId);
  if (responseHeaderIsFlexible(apiKey, apiVersion)) writer.emptyTags();
}

/** Read a response header and return the correlation id. */
export function readResponseHeader(reader: Reader, apiKey: number, apiVersion: number): number {
  const correlationId = reader.int32();
  if (responseHeaderIsFlexible(apiKey, apiVersion)) reader.skipTags();
  return correlationId;
}
