/**
 * SyncGroup (key 14), versions 0–3: after a join, the leader hands in every member's
 * assignment and each member receives its own. None of these versions is flexible.
 *
 * Request v0–2  => group_id STRING generation_id INT32 member_id STRING
 *                  assignments [member_id STRING assignment BYTES]
 * Request v3    => group_id generation_id member_id group_instance_id NULLABLE_STRING assignments
 *
 * Response v0   => error_code INT16 assignment BYTES
 * Response v1–3 => throttle_time_ms INT32 error_code INT16 assignment BYTES
 *
 * Followers send an empty assignments array; a member the leader gave nothing gets empty bytes.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readBytes, readString } from "./field-readers.ts";

export interface SyncGroupRequestAssignment {
  memberId: string;
  /** For consumers an Assignment (see ../consumer-protocol.ts). */
  assignment: Uint8Array;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** v3+; default null. */
  groupInstanceId?: string | null;
  assignments: SyncGroupRequestAssignment[];
}

export interface SyncGroupResponse {
  /** v1+; default 0. */
  throttleTimeMs?: number;
  errorCode: number;
  assignment: Uint8Array;
}

export function writeSyncGroupRequest(writer: Writer, version: number, request: SyncGroupRequest): void {
  checkVersion(ApiKey.SyncGroup, version, "write");
  writer.string(request.groupId).int32(request.generationId).string(request.memberId);
  if (version >= 3) writer.string(request.groupInstanceId ?? null);
  writer.array(request.assignments, (w, a) => w.string(a.memberId).bytes(a.assignment));
}

export function readSyncGroupRequest(reader: Reader, version: number): SyncGroupRequest {
  checkVersion(ApiKey.SyncGroup, version, "read");
  const groupId = readString(reader, "group_id");
  const generationId = reader.int32();
  const memberId = readString(reader, "member_id");
  const groupInstanceId = version >= 3 ? reader.string() : null;
  const assignments = readArray(reader, "assignments", (r) => ({
    memberId: readString(r, "assignments.member_id"),
    assignment: readBytes(r, "assignments.assignment"),
  }), 6);
  return { groupId, generationId, memberId, groupInstanceId, assignments };
}

export function writeSyncGroupResponse(writer: Writer, version: number, response: SyncGroupResponse): void {
  checkVersion(ApiKey.SyncGroup, version, "write");
  if (version >= 1) writer.int32(response.throttleTimeMs ?? 0);
  writer.int16(response.errorCode).bytes(response.assignment);
}

export function readSyncGroupResponse(reader: Reader, version: number): SyncGroupResponse {
  checkVersion(ApiKey.SyncGroup, version, "read");
  const throttleTimeMs = version >= 1 ? reader.int32() : 0;
  const errorCode = reader.int16();
  const assignment = readBytes(reader, "assignment");
  return { throttleTimeMs, errorCode, assignment };
}
