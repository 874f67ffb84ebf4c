/** JoinGroup v0-5: parks until the rebalance completes (the coordinator's promise resolves). */
import { readJoinGroupRequest, writeJoinGroupResponse } from "../../kafka/apis/join-group.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, type AuthorizationContext } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function joinGroupHandler(groups: GroupApi, auth: AuthorizationContext = {}): RequestHandler {
  return async (request_) => {
    const { header, body, remote } = request_;
    const version = header.apiVersion;
    const request = readJoinGroupRequest(body, version);
    if (!allowed(auth, request_, AclOperation.Read, ResourceType.Group, request.groupId)) {
      return (writer) =>
        writeJoinGroupResponse(writer, version, {
          throttleTimeMs: 0,
          errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
          generationId: -1,
          protocolName: "",
          leader: "",
          memberId: request.memberId ?? "",
          members: [],
        });
    }
    const result = await groups.coordinator.join({
      ...request,
      clientId: header.clientId ?? "",
      clientHost: clientHostOf(remote),
      requireKnownMemberId: version >= 4,
    });
    return (writer) => writeJoinGroupResponse(writer, version, { throttleTimeMs: 0, ...result });
  };
}

/** Kafka reports a member's host as "/address" (InetAddress.toString with no name; no IPv6 brackets). */
export function clientHostOf(remote: string): string {
  const colon = remote.lastIndexOf(":");
  const host = colon > 0 ? remote.slice(0, colon) : remote;
  return `/${host.replace(/^\[|\]$/g, "")}`;
}
