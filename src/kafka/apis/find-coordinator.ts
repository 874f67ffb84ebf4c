/**
 * FindCoordinator (key 10), versions 0–2: which broker coordinates a group (or a
 * transactional id). None of these versions is flexible.
 *
 * Request v0    => key STRING
 * Request v1–2  => key STRING key_type INT8              (0 = group, 1 = transaction)
 *
 * Response v0   => error_code INT16 node_id INT32 host STRING port INT32
 * Response v1–2 => throttle_time_ms INT32 error_code INT16 error_message NULLABLE_STRING
 *                  node_id INT32 host STRING port INT32
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readString } from "./field-readers.ts";

/** Coordinator key types (v1+). */
export const CoordinatorKeyType = { Group: 0, Transaction: 1 } as const;

export interface FindCoordinatorRequest {
  /** The group id (or transactional id). */
  key: string;
  /** v1+; default 0 (group). */
  keyType?: number;
}

export interface FindCoordinatorResponse {
  /** v1+; default 0. */
  throttleTimeMs?: number;
  errorCode: number;
  /** v1+; default null. */
  errorMessage?: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export function writeFindCoordinatorRequest(
  writer: Writer,
  version: number,
  request: FindCoordinatorRequest,
): void {
  checkVersion(ApiKey.FindCoordinator, version, "write");
  writer.string(request.key);
  if (version >= 1) writer.int8(request.keyType ?? CoordinatorKeyType.Group);
}

export function readFindCoordinatorRequest(reader: Reader, version: number): FindCoordinatorRequest {
  checkVersion(ApiKey.FindCoordinator, version, "read");
  const key = readString(reader, "key");
  const keyType = version >= 1 ? reader.int8() : CoordinatorKeyType.Group;
  return { key, keyType };
}

export function writeFindCoordinatorResponse(
  writer: Writer,
  version: number,
  response: FindCoordinatorResponse,
): void {
  checkVersion(ApiKey.FindCoordinator, version, "write");
  if (version >= 1) writer.int32(response.throttleTimeMs ?? 0);
  writer.int16(response.errorCode);
  if (version >= 1) writer.string(response.errorMessage ?? null);
  writer.int32(response.nodeId).string(response.host).int32(response.port);
}

export function readFindCoordinatorResponse(reader: Reader, version: number): FindCoordinatorResponse {
  checkVersion(ApiKey.FindCoordinator, version, "read");
  const throttleTimeMs = version >= 1 ? reader.int32() : 0;
  const errorCode = reader.int16();
  const errorMessage = version >= 1 ? reader.string() : null;
  const nodeId = reader.int32();
  const host = readString(reader, "host");
  const port = reader.int32();
  return { throttleTimeMs, errorCode, errorMessage, nodeId, host, port };
}
