/**
 * ApiVersions (key 18), versions 0–3: the client asks which API versions the broker speaks.
 * v3 is the first flexible version (request header v2), but every ApiVersions response uses
 * response header v0 (header.ts handles that), so a client can parse the error of an
 * unsupported version.
 *
 * Request v0–2  => (empty)
 * Request v3    => client_software_name COMPACT_STRING client_software_version COMPACT_STRING TAG_BUFFER
 *
 * Response v0   => error_code INT16 api_keys [api_key INT16 min_version INT16 max_version INT16]
 * Response v1–2 => error_code api_keys [api_key min_version max_version] throttle_time_ms INT32
 * Response v3   => error_code INT16
 *                  api_keys COMPACT_ARRAY[api_key INT16 min_version INT16 max_version INT16 TAG_BUFFER]
 *                  throttle_time_ms INT32 TAG_BUFFER   (tags 0–3: supported/finalized features, skipped)
 *
 * @example
 * ```ts
 * writeApiVersionsResponse(writer, 3, { errorCode: 0, apiKeys: advertisedApiVersions(), throttleTimeMs: 0 });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import { WireError } from "../../wire/wire-error.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey, SUPPORTED_APIS } from "../api-keys.ts";
import { checkVersion, readArray } from "./field-readers.ts";

export interface ApiVersionsRequest {
  /** v3+; default "". */
  clientSoftwareName?: string;
  /** v3+; default "". */
  clientSoftwareVersion?: string;
}

export interface ApiVersionEntry {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersionEntry[];
  /** v1+; default 0. */
  throttleTimeMs?: number;
}

export interface AdvertiseOptions {
  /**
   * Advertise Produce from version 0 although only 3+ is implemented, as Kafka 4.0 does
   * (KAFKA-18659). librdkafka up to at least 2.0.2 (kcat 1.7.1) enables gzip, snappy and lz4 only
   * when the broker's Produce range includes version 0 (librdkafka issue #4956) and otherwise
   * silently sends those batches uncompressed. Every client picks the highest common version
   * (7), so none sends 0-2; a request that did would still get UNSUPPORTED_VERSION. Default false:
   * exactly SUPPORTED_APIS.
   */
  produceFromVersion0?: boolean;
}

/** The api_keys list the broker advertises: SUPPORTED_APIS (see AdvertiseOptions for the one quirk). */
export function advertisedApiVersions(options: AdvertiseOptions = {}): ApiVersionEntry[] {
  return SUPPORTED_APIS.map((api) => ({
    apiKey: api.apiKey,
    minVersion: options.produceFromVersion0 && api.apiKey === ApiKey.Produce ? 0 : api.minVersion,
    maxVersion: api.maxVersion,
  }));
}

export function writeApiVersionsRequest(writer: Writer, version: number, request: ApiVersionsRequest): void {
  checkVersion(ApiKey.ApiVersions, version, "write");
  if (version < 3) return;
  writer.compactString(request.clientSoftwareName ?? "").compactString(request.clientSoftwareVersion ?? "");
  writer.emptyTags();
}

export function readApiVersionsRequest(reader: Reader, version: number): ApiVersionsRequest {
  checkVersion(ApiKey.ApiVersions, version, "read");
  if (version < 3) return { clientSoftwareName: "", clientSoftwareVersion: "" };
  const clientSoftwareName = readCompactString(reader, "client_software_name");
  const clientSoftwareVersion = readCompactString(reader, "client_software_version");
  reader.skipTags();
  return { clientSoftwareName, clientSoftwareVersion };
}

export function writeApiVersionsResponse(
  writer: Writer,
  version: number,
  response: ApiVersionsResponse,
): void {
  checkVersion(ApiKey.ApiVersions, version, "write");
  writer.int16(response.errorCode);
  if (version >= 3) {
    writer.compactArray(response.apiKeys, (w, api) => {
      w.int16(api.apiKey).int16(api.minVersion).int16(api.maxVersion).emptyTags();
    });
    writer.int32(response.throttleTimeMs ?? 0).emptyTags();
    return;
  }
  writer.array(response.apiKeys, (w, api) => w.int16(api.apiKey).int16(api.minVersion).int16(api.maxVersion));
  if (version >= 1) writer.int32(response.throttleTimeMs ?? 0);
}

export function readApiVersionsResponse(reader: Reader, version: number): ApiVersionsResponse {
  checkVersion(ApiKey.ApiVersions, version, "read");
  const errorCode = reader.int16();
  if (version >= 3) {
    const apiKeys = reader.compactArray((r) => {
      const entry = { apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() };
      r.skipTags();
      return entry;
    }, 7);
    if (apiKeys === null) throw new WireError("Null in non-nullable field api_keys");
    const throttleTimeMs = reader.int32();
    reader.skipTags();
    return { errorCode, apiKeys, throttleTimeMs };
  }
  const apiKeys = readArray(
    reader,
    "api_keys",
    (r) => ({ apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() }),
    6,
  );
  const throttleTimeMs = version >= 1 ? reader.int32() : 0;
  return { errorCode, apiKeys, throttleTimeMs };
}

function readCompactString(reader: Reader, field: string): string {
  const value = reader.compactString();
  if (value === null) throw new WireError(`Null in non-nullable field ${field}`);
  return value;
}
