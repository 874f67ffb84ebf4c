/** Heartbeat v0-3: keeps a member's session; REBALANCE_IN_PROGRESS tells it to rejoin. */
import { readHeartbeatRequest, writeHeartbeatResponse } from "../../kafka/apis/heartbeat.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, type AuthorizationContext } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function heartbeatHandler(groups: GroupApi, auth: AuthorizationContext = {}): RequestHandler {
  return (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readHeartbeatRequest(body, version);
    const errorCode = allowed(auth, request_, AclOperation.Read, ResourceType.Group, request.groupId)
      ? groups.coordinator.heartbeat(request)
      : ErrorCode.GROUP_AUTHORIZATION_FAILED;
    return (writer) => writeHeartbeatResponse(writer, version, { throttleTimeMs: 0, errorCode });
  };
}
