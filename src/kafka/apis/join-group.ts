/**
 * JoinGroup (key 11), versions 0–5: a member joins (or rejoins) a group and, once the
 * rebalance completes, learns the generation, the chosen protocol and the leader; the leader
 * also gets every member's metadata. None of these versions is flexible.
 *
 * Request v0    => group_id STRING session_timeout_ms INT32 member_id STRING protocol_type STRING
 *                  protocols [name STRING metadata BYTES]
 * Request v1–4  => group_id session_timeout_ms rebalance_timeout_ms INT32 member_id protocol_type
 *                  protocols
 * Request v5    => group_id session_timeout_ms rebalance_timeout_ms member_id
 *                  group_instance_id NULLABLE_STRING protocol_type protocols
 *
 * Response v0–1 => error_code INT16 generation_id INT32 protocol_name STRING leader STRING
 *                  member_id STRING members [member_id STRING metadata BYTES]
 * Response v2–4 => throttle_time_ms INT32 + the v0 fields
 * Response v5   => as v2, members [member_id STRING group_instance_id NULLABLE_STRING metadata BYTES]
 *
 * From v4 a member that joins with an empty member id gets MEMBER_ID_REQUIRED (79) with its new
 * id in member_id and rejoins with it (the codec does not care; the coordinator does).
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readBytes, readString } from "./field-readers.ts";

export interface JoinGroupRequestProtocol {
  /** Assignor name, e.g. "range", "roundrobin", "RoundRobinAssigner". */
  name: string;
  /** Protocol metadata: for consumers a Subscription (see ../consumer-protocol.ts). */
  metadata: Uint8Array;
}

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** v1+; default -1 (the coordinator then uses sessionTimeoutMs). */
  rebalanceTimeoutMs?: number;
  /** Empty on the first join. */
  memberId: string;
  /** v5+; default null (static membership is not used). */
  groupInstanceId?: string | null;
  /** "consumer" for consumer groups. */
  protocolType: string;
  protocols: JoinGroupRequestProtocol[];
}

export interface JoinGroupResponseMember {
  memberId: string;
  /** v5+; default null. */
  groupInstanceId?: string | null;
  metadata: Uint8Array;
}

export interface JoinGroupResponse {
  /** v2+; default 0. */
  throttleTimeMs?: number;
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  /** Filled only in the leader's response. */
  members: JoinGroupResponseMember[];
}

export function writeJoinGroupRequest(writer: Writer, version: number, request: JoinGroupRequest): void {
  checkVersion(ApiKey.JoinGroup, version, "write");
  writer.string(request.groupId).int32(request.sessionTimeoutMs);
  if (version >= 1) writer.int32(request.rebalanceTimeoutMs ?? -1);
  writer.string(request.memberId);
  if (version >= 5) writer.string(request.groupInstanceId ?? null);
  writer.string(request.protocolType);
  writer.array(request.protocols, (w, p) => w.string(p.name).bytes(p.metadata));
}

export function readJoinGroupRequest(reader: Reader, version: number): JoinGroupRequest {
  checkVersion(ApiKey.JoinGroup, version, "read");
  const groupId = readString(reader, "group_id");
  const sessionTimeoutMs = reader.int32();
  const rebalanceTimeoutMs = version >= 1 ? reader.int32() : -1;
  const memberId = readString(reader, "member_id");
  const groupInstanceId = version >= 5 ? reader.string() : null;
  const protocolType = readString(reader, "protocol_type");
  const protocols = readArray(reader, "protocols", (r) => ({
    name: readString(r, "protocols.name"),
    metadata: readBytes(r, "protocols.metadata"),
  }), 6);
  return {
    groupId,
    sessionTimeoutMs,
    rebalanceTimeoutMs,
    memberId,
    groupInstanceId,
    protocolType,
    protocols,
  };
}

export function writeJoinGroupResponse(writer: Writer, version: number, response: JoinGroupResponse): void {
  checkVersion(ApiKey.JoinGroup, version, "write");
  if (version >= 2) writer.int32(response.throttleTimeMs ?? 0);
  writer.int16(response.errorCode).int32(response.generationId);
  writer.string(response.protocolName).string(response.leader).string(response.memberId);
  writer.array(response.members, (w, m) => {
    w.string(m.memberId);
    if (version >= 5) w.string(m.groupInstanceId ?? null);
    w.bytes(m.metadata);
  });
}

export function readJoinGroupResponse(reader: Reader, version: number): JoinGroupResponse {
  checkVersion(ApiKey.JoinGroup, version, "read");
  const throttleTimeMs = version >= 2 ? reader.int32() : 0;
  const errorCode = reader.int16();
  const generationId = reader.int32();
  const protocolName = readString(reader, "protocol_name");
  const leader = readString(reader, "leader");
  const memberId = readString(reader, "member_id");
  const members = readArray(reader, "members", (r) => {
    const memberId = readString(r, "members.member_id");
    const groupInstanceId = version >= 5 ? r.string() : null;
    const metadata = readBytes(r, "members.metadata");
    return { memberId, groupInstanceId, metadata };
  }, version >= 5 ? 8 : 6);
  return { throttleTimeMs, errorCode, generationId, protocolName, leader, memberId, members };
}
