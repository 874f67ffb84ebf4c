/**
 * ListGroups (key 16), versions 0–2: the groups a broker coordinates.
 * None of these versions is flexible.
 *
 * Request v0–2  => (empty body)
 *
 * Response v0   => error_code INT16 groups [group_id STRING protocol_type STRING]
 * Response v1–2 => throttle_time_ms INT32 error_code INT16 groups
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readString } from "./field-readers.ts";

/** ListGroups v0–2 requests carry no fields. */
export type ListGroupsRequest = Record<string, never>;

export interface ListedGroup {
  groupId: string;
  /** "consumer" for consumer groups; "" for a group that only has committed offsets. */
  protocolType: string;
}

export interface ListGroupsResponse {
  /** v1+; default 0. */
  throttleTimeMs?: number;
  errorCode: number;
  groups: ListedGroup[];
}

export function writeListGroupsRequest(_writer: Writer, version: number, _request: ListGroupsRequest): void {
  checkVersion(ApiKey.ListGroups, version, "write");
}

export function readListGroupsRequest(_reader: Reader, version: number): ListGroupsRequest {
  checkVersion(ApiKey.ListGroups, version, "read");
  return {};
}

export function writeListGroupsResponse(writer: Writer, version: number, response: ListGroupsResponse): void {
  checkVersion(ApiKey.ListGroups, version, "write");
  if (version >= 1) writer.int32(response.throttleTimeMs ?? 0);
  writer.int16(response.errorCode);
  writer.array(response.groups, (w, g) => w.string(g.groupId).string(g.protocolType));
}

export function readListGroupsResponse(reader: Reader, version: number): ListGroupsResponse {
  checkVersion(ApiKey.ListGroups, version, "read");
  const throttleTimeMs = version >= 1 ? reader.int32() : 0;
  const errorCode = reader.int16();
  const groups = readArray(reader, "groups", (r) => ({
    groupId: readString(r, "groups.group_id"),
    protocolType: readString(r, "groups.protocol_type"),
  }), 4);
  return { throttleTimeMs, errorCode, groups };
}
