/**
 * DeleteTopics (key 20), versions 0–3. None of these versions is flexible.
 *
 * Request v0–3  => topic_names [STRING] timeout_ms INT32
 *
 * Response v0   => responses [name STRING error_code INT16]
 * Response v1–3 => throttle_time_ms INT32 responses [name error_code]
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readString, readStrings } from "./field-readers.ts";

export interface DeleteTopicsRequest {
  topicNames: string[];
  timeoutMs: number;
}

export interface DeletableTopicResult {
  name: string;
  errorCode: number;
}

export interface DeleteTopicsResponse {
  /** v1+; default 0. */
  throttleTimeMs?: number;
  responses: DeletableTopicResult[];
}

export function writeDeleteTopicsRequest(
  writer: Writer,
  version: number,
  request: DeleteTopicsRequest,
): void {
  checkVersion(ApiKey.DeleteTopics, version, "write");
  writer.array(request.topicNames, (w, name) => w.string(name)).int32(request.timeoutMs);
}

export function readDeleteTopicsRequest(reader: Reader, version: number): DeleteTopicsRequest {
  checkVersion(ApiKey.DeleteTopics, version, "read");
  const topicNames = readStrings(reader, "topic_names");
  return { topicNames, timeoutMs: reader.int32() };
}

export function writeDeleteTopicsResponse(
  writer: Writer,
  version: number,
  response: DeleteTopicsResponse,
): void {
  checkVersion(ApiKey.DeleteTopics, version, "write");
  if (version >= 1) writer.int32(response.throttleTimeMs ?? 0);
  writer.array(response.responses, (w, result) => w.string(result.name).int16(result.errorCode));
}

export function readDeleteTopicsResponse(reader: Reader, version: number): DeleteTopicsResponse {
  checkVersion(ApiKey.DeleteTopics, version, "read");
  const throttleTimeMs = version >= 1 ? reader.int32() : 0;
  const responses = readArray(reader, "responses", (r) => {
    const name = readString(r, "name");
    return { name, errorCode: r.int16() };
  }, 4);
  return { throttleTimeMs, responses };
}
