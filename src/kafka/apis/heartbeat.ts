/**
 * Heartbeat (key 12), versions 0–3: a member tells the coordinator it is alive and learns
 * whether a rebalance started. None of these versions is flexible.
 *
 * Request v0–2  => group_id STRING generation_id INT32 member_id STRING
 * Request v3    => group_id generation_id member_id group_instance_id NULLABLE_STRING
 *
 * Response v0   => error_code INT16
 * Response v1–3 => throttle_time_ms INT32 error_code INT16
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readString } from "./field-readers.ts";

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** v3+; default null. */
  groupInstanceId?: string | null;
}

export interface HeartbeatResponse {
  /** v1+; default 0. */
  throttleTimeMs?: number;
  errorCode: number;
}

export function writeHeartbeatRequest(writer: Writer, version: number, request: HeartbeatRequest): void {
  checkVersion(ApiKey.Heartbeat, version, "write");
  writer.string(request.groupId).int32(request.generationId).string(request.memberId);
  if (version >= 3) writer.string(request.groupInstanceId ?? null);
}

export function readHeartbeatRequest(reader: Reader, version: number): HeartbeatRequest {
  checkVersion(ApiKey.Heartbeat, version, "read");
  const groupId = readString(reader, "group_id");
  const generationId = reader.int32();
  const memberId = readString(reader, "member_id");
  const groupInstanceId = version >= 3 ? reader.string() : null;
  return { groupId, generationId, memberId, groupInstanceId };
}

export function writeHeartbeatResponse(writer: Writer, version: number, response: HeartbeatResponse): void {
  checkVersion(ApiKey.Heartbeat, version, "write");
  if (version >= 1) writer.int32(response.throttleTimeMs ?? 0);
  writer.int16(response.errorCode);
}

export function readHeartbeatResponse(reader: Reader, version: number): HeartbeatResponse {
  checkVersion(ApiKey.Heartbeat, version, "read");
  const throttleTimeMs = version >= 1 ? reader.int32() : 0;
  const errorCode = reader.int16();
  return { throttleTimeMs, errorCode };
}
