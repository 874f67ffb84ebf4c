/**
 * DescribeGroups (key 15), versions 0–4: state, protocol and members of groups.
 * None of these versions is flexible.
 *
 * Request v0–2  => groups [STRING]
 * Request v3–4  => groups [STRING] include_authorized_operations BOOLEAN
 *
 * Response v0   => groups [error_code INT16 group_id STRING group_state STRING protocol_type STRING
 *                          protocol_data STRING
 *                          members [member_id STRING client_id STRING client_host STRING
 *                                   member_metadata BYTES member_assignment BYTES]]
 * Response v1–2 => throttle_time_ms INT32 groups
 * Response v3   => throttle_time_ms groups [... members authorized_operations INT32]
 * Response v4   => as v3, members [member_id group_instance_id NULLABLE_STRING client_id client_host
 *                                  member_metadata member_assignment]
 *
 * group_state is "Empty", "PreparingRebalance", "CompletingRebalance", "Stable" or "Dead";
 * protocol_data is the chosen assignor name.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readBytes, readString, readStrings } from "./field-readers.ts";

/** authorized_operations when they were not requested (Integer.MIN_VALUE in Kafka). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export interface DescribeGroupsRequest {
  groups: string[];
  /** v3+; default false. */
  includeAuthorizedOperations?: boolean;
}

export interface DescribedGroupMember {
  memberId: string;
  /** v4+; default null. */
  groupInstanceId?: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Uint8Array;
  memberAssignment: Uint8Array;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
  /** v3+; default -2147483648 (omitted). */
  authorizedOperations?: number;
}

export interface DescribeGroupsResponse {
  /** v1+; default 0. */
  throttleTimeMs?: number;
  groups: DescribedGroup[];
}

export function writeDescribeGroupsRequest(
  writer: Writer,
  version: number,
  request: DescribeGroupsRequest,
): void {
  checkVersion(ApiKey.DescribeGroups, version, "write");
  writer.array(request.groups, (w, g) => w.string(g));
  if (version >= 3) writer.bool(request.includeAuthorizedOperations ?? false);
}

export function readDescribeGroupsRequest(reader: Reader, version: number): DescribeGroupsRequest {
  checkVersion(ApiKey.DescribeGroups, version, "read");
  const groups = readStrings(reader, "groups");
  const includeAuthorizedOperations = version >= 3 ? reader.bool() : false;
  return { groups, includeAuthorizedOperations };
}

export function writeDescribeGroupsResponse(
  writer: Writer,
  version: number,
  response: DescribeGroupsResponse,
): void {
  checkVersion(ApiKey.DescribeGroups, version, "write");
  if (version >= 1) writer.int32(response.throttleTimeMs ?? 0);
  writer.array(response.groups, (w, g) => {
    w.int16(g.errorCode).string(g.groupId).string(g.groupState).string(g.protocolType).string(g.protocolData);
    w.array(g.members, (mw, m) => {
      mw.string(m.memberId);
      if (version >= 4) mw.string(m.groupInstanceId ?? null);
      mw.string(m.clientId).string(m.clientHost).bytes(m.memberMetadata).bytes(m.memberAssignment);
    });
    if (version >= 3) w.int32(g.authorizedOperations ?? AUTHORIZED_OPERATIONS_OMITTED);
  });
}

function readMember(reader: Reader, version: number): DescribedGroupMember {
  const memberId = readString(reader, "members.member_id");
  const groupInstanceId = version >= 4 ? reader.string() : null;
  const clientId = readString(reader, "members.client_id");
  const clientHost = readString(reader, "members.client_host");
  const memberMetadata = readBytes(reader, "members.member_metadata");
  const memberAssignment = readBytes(reader, "members.member_assignment");
  return { memberId, groupInstanceId, clientId, clientHost, memberMetadata, memberAssignment };
}

function readGroup(reader: Reader, version: number): DescribedGroup {
  const errorCode = reader.int16();
  const groupId = readString(reader, "groups.group_id");
  const groupState = readString(reader, "groups.group_state");
  const protocolType = readString(reader, "groups.protocol_type");
  const protocolData = readString(reader, "groups.protocol_data");
  const members = readArray(reader, "groups.members", (r) => readMember(r, version), 14);
  const authorizedOperations = version >= 3 ? reader.int32() : AUTHORIZED_OPERATIONS_OMITTED;
  return { errorCode, groupId, groupState, protocolType, protocolData, members, authorizedOperations };
}

export function readDescribeGroupsResponse(reader: Reader, version: number): DescribeGroupsResponse {
  checkVersion(ApiKey.DescribeGroups, version, "read");
  const throttleTimeMs = version >= 1 ? reader.int32() : 0;
  const groups = readArray(reader, "groups", (r) => readGroup(r, version), 14);
  return { throttleTimeMs, groups };
}
