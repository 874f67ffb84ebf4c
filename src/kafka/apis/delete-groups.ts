/**
 * DeleteGroups (key 42), versions 0–1: delete empty groups and their committed offsets.
 * None of these versions is flexible.
 *
 * Request v0–1  => groups_names [STRING]
 *
 * Response v0–1 => throttle_time_ms INT32 results [group_id STRING error_code INT16]
 *
 * A group with members gets NON_EMPTY_GROUP (68); an unknown one GROUP_ID_NOT_FOUND (69).
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readString, readStrings } from "./field-readers.ts";

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeletableGroupResult {
  groupId: string;
  errorCode: number;
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: DeletableGroupResult[];
}

export function writeDeleteGroupsRequest(
  writer: Writer,
  version: number,
  request: DeleteGroupsRequest,
): void {
  checkVersion(ApiKey.DeleteGroups, version, "write");
  writer.array(request.groupsNames, (w, g) => w.string(g));
}

export function readDeleteGroupsRequest(reader: Reader, version: number): DeleteGroupsRequest {
  checkVersion(ApiKey.DeleteGroups, version, "read");
  return { groupsNames: readStrings(reader, "groups_names") };
}

export function writeDeleteGroupsResponse(
  writer: Writer,
  version: number,
  response: DeleteGroupsResponse,
): void {
  checkVersion(ApiKey.DeleteGroups, version, "write");
  writer.int32(response.throttleTimeMs);
  writer.array(response.results, (w, r) => w.string(r.groupId).int16(r.errorCode));
}

export function readDeleteGroupsResponse(reader: Reader, version: number): DeleteGroupsResponse {
  checkVersion(ApiKey.DeleteGroups, version, "read");
  const throttleTimeMs = reader.int32();
  const results = readArray(reader, "results", (r) => ({
    groupId: readString(r, "results.group_id"),
    errorCode: r.int16(),
  }), 4);
  return { throttleTimeMs, results };
}
