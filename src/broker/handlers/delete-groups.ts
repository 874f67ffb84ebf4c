/** DeleteGroups v0-1: Empty groups are deleted with their offsets (tombstones in the log). */
import { readDeleteGroupsRequest, writeDeleteGroupsResponse } from "../../kafka/apis/delete-groups.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function deleteGroupsHandler(groups: GroupApi): RequestHandler {
  return async ({ header, body }) => {
    const version = header.apiVersion;
    const request = readDeleteGroupsRequest(body, version);
    const results = await groups.coordinator.deleteGroups(request.groupsNames);
    return (writer) => writeDeleteGroupsResponse(writer, version, { throttleTimeMs: 0, results });
  };
}
