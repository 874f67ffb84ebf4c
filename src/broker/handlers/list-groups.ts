/** ListGroups v0-2: the groups this broker coordinates (clients ask every broker). */
import { readListGroupsRequest, writeListGroupsResponse } from "../../kafka/apis/list-groups.ts";
import { allowed, type AuthorizationContext, clusterAllowed } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function listGroupsHandler(groups: GroupApi, auth: AuthorizationContext = {}): RequestHandler {
  return (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    readListGroupsRequest(body, version);
    const listed = groups.coordinator.listGroups();
    // Describe on the cluster lists every group; otherwise only the groups it may describe.
    const everything = clusterAllowed(auth, request_, AclOperation.Describe);
    const visible = listed.groups.filter((group) =>
      everything || allowed(auth, request_, AclOperation.Describe, ResourceType.Group, group.groupId)
    );
    return (writer) =>
      writeListGroupsResponse(writer, version, {
        throttleTimeMs: 0,
        errorCode: listed.errorCode,
        groups: visible.map((group) => ({ groupId: group.groupId, protocolType: group.protocolType })),
      });
  };
}
