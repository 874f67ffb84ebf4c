/** ListGroups v0-2: the groups this broker coordinates (clients ask every broker). */
import { readListGroupsRequest, writeListGroupsResponse } from "../../kafka/apis/list-groups.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function listGroupsHandler(groups: GroupApi): RequestHandler {
  return ({ header, body }) => {
    const version = header.apiVersion;
    readListGroupsRequest(body, version);
    const listed = groups.coordinator.listGroups();
    return (writer) =>
      writeListGroupsResponse(writer, version, {
        throttleTimeMs: 0,
        errorCode: listed.errorCode,
        groups: listed.groups.map((group) => ({ groupId: group.groupId, protocolType: group.protocolType })),
      });
  };
}
