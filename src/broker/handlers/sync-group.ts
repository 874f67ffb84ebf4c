/** SyncGroup v0-3: the leader brings assignments; every member gets its own once stored. */
import { readSyncGroupRequest, writeSyncGroupResponse } from "../../kafka/apis/sync-group.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, type AuthorizationContext } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function syncGroupHandler(groups: GroupApi, auth: AuthorizationContext = {}): RequestHandler {
  return async (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readSyncGroupRequest(body, version);
    if (!allowed(auth, request_, AclOperation.Read, ResourceType.Group, request.groupId)) {
      const refused = { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, assignment: new Uint8Array() };
      return (writer) => writeSyncGroupResponse(writer, version, { throttleTimeMs: 0, ...refused });
    }
    const result = await groups.coordinator.sync(request);
    return (writer) => writeSyncGroupResponse(writer, version, { throttleTimeMs: 0, ...result });
  };
}
