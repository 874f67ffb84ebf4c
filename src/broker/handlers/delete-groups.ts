/** DeleteGroups v0-1: Empty groups are deleted with their offsets (tombstones in the log). */
import { readDeleteGroupsRequest, writeDeleteGroupsResponse } from "../../kafka/apis/delete-groups.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, type AuthorizationContext } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function deleteGroupsHandler(groups: GroupApi, auth: AuthorizationContext = {}): RequestHandler {
  return async (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readDeleteGroupsRequest(body, version);
    const deletable = (id: string) => allowed(auth, request_, AclOperation.Delete, ResourceType.Group, id);
    const deleted = new Map(
      (await groups.coordinator.deleteGroups(request.groupsNames.filter(deletable))).map((
        r,
      ) => [r.groupId, r]),
    );
    const results = request.groupsNames.map((groupId) =>
      deleted.get(groupId) ?? { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }
    );
    return (writer) => writeDeleteGroupsResponse(writer, version, { throttleTimeMs: 0, results });
  };
}
