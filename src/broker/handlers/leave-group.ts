/** LeaveGroup v0-3: one member (v0-2) or a batch of members (v3) leave; a rebalance follows. */
import { readLeaveGroupRequest, writeLeaveGroupResponse } from "../../kafka/apis/leave-group.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, type AuthorizationContext } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function leaveGroupHandler(groups: GroupApi, auth: AuthorizationContext = {}): RequestHandler {
  return (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readLeaveGroupRequest(body, version);
    const result = allowed(auth, request_, AclOperation.Read, ResourceType.Group, request.groupId)
      ? groups.coordinator.leave(request, version)
      : { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    return (writer) =>
      writeLeaveGroupResponse(writer, version, {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        members: result.members,
      });
  };
}
