/**
 * LeaveGroup (key 13), versions 0–3: members leave a group (and trigger a rebalance).
 * None of these versions is flexible.
 *
 * Request v0–2  => group_id STRING member_id STRING
 * Request v3    => group_id STRING members [member_id STRING group_instance_id NULLABLE_STRING]
 *
 * Response v0   => error_code INT16
 * Response v1–2 => throttle_time_ms INT32 error_code INT16
 * Response v3   => throttle_time_ms INT32 error_code INT16
 *                  members [member_id STRING group_instance_id NULLABLE_STRING error_code INT16]
 *
 * Both request shapes are offered to the caller as `members`: a v0–2 reader returns the one
 * member as a one-element list (and in memberId); a v3 reader returns memberId "". Writers
 * take memberId or members[0] for v0–2 and members (or memberId) for v3.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readString } from "./field-readers.ts";

export interface LeaveGroupMemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupRequest {
  groupId: string;
  /** v0–2: the one leaving member. */
  memberId?: string;
  /** v3+: the leaving members. */
  members?: LeaveGroupMemberIdentity[];
}

export interface LeaveGroupMemberResponse {
  memberId: string;
  groupInstanceId: string | null;
  errorCode: number;
}

export interface LeaveGroupResponse {
  /** v1+; default 0. */
  throttleTimeMs?: number;
  errorCode: number;
  /** v3+; default []. */
  members?: LeaveGroupMemberResponse[];
}

export function writeLeaveGroupRequest(writer: Writer, version: number, request: LeaveGroupRequest): void {
  checkVersion(ApiKey.LeaveGroup, version, "write");
  writer.string(request.groupId);
  if (version >= 3) {
    const members = request.members ??
      (request.memberId === undefined ? [] : [{ memberId: request.memberId, groupInstanceId: null }]);
    writer.array(members, (w, m) => w.string(m.memberId).string(m.groupInstanceId));
    return;
  }
  const memberId = request.memberId ?? request.members?.[0]?.memberId;
  if (memberId === undefined) throw new RangeError("LeaveGroup v0-2 needs a member id");
  if ((request.members?.length ?? 0) > 1) throw new RangeError("LeaveGroup v0-2 carries one member only");
  writer.string(memberId);
}

export function readLeaveGroupRequest(reader: Reader, version: number): LeaveGroupRequest {
  checkVersion(ApiKey.LeaveGroup, version, "read");
  const groupId = readString(reader, "group_id");
  if (version >= 3) {
    const members = readArray(reader, "members", (r) => ({
      memberId: readString(r, "members.member_id"),
      groupInstanceId: r.string(),
    }), 4);
    return { groupId, memberId: "", members };
  }
  const memberId = readString(reader, "member_id");
  return { groupId, memberId, members: [{ memberId, groupInstanceId: null }] };
}

export function writeLeaveGroupResponse(writer: Writer, version: number, response: LeaveGroupResponse): void {
  checkVersion(ApiKey.LeaveGroup, version, "write");
  if (version >= 1) writer.int32(response.throttleTimeMs ?? 0);
  writer.int16(response.errorCode);
  if (version >= 3) {
    writer.array(
      response.members ?? [],
      (w, m) => w.string(m.memberId).string(m.groupInstanceId).int16(m.errorCode),
    );
  }
}

export function readLeaveGroupResponse(reader: Reader, version: number): LeaveGroupResponse {
  checkVersion(ApiKey.LeaveGroup, version, "read");
  const throttleTimeMs = version >= 1 ? reader.int32() : 0;
  const errorCode = reader.int16();
  const members = version >= 3
    ? readArray(reader, "members", (r) => ({
      memberId: readString(r, "members.member_id"),
      groupInstanceId: r.string(),
      errorCode: r.int16(),
    }), 6)
    : [];
  return { throttleTimeMs, errorCode, members };
}
