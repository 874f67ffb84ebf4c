/**
 * DescribeGroups v0-4: state, protocol and members of groups this broker coordinates; with
 * include_authorized_operations (v3+), what the principal may do with each group it may describe.
 */
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  readDescribeGroupsRequest,
  writeDescribeGroupsResponse,
} from "../../kafka/apis/describe-groups.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, type AuthorizationContext, authorizedOperations } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function describeGroupsHandler(groups: GroupApi, auth: AuthorizationContext = {}): RequestHandler {
  return (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readDescribeGroupsRequest(body, version);
    const describable = (id: string) =>
      allowed(auth, request_, AclOperation.Describe, ResourceType.Group, id);
    const known = new Map(
      groups.coordinator.describeGroups(request.groups.filter(describable)).map((
        group,
      ) => [group.groupId, group]),
    );
    const described = request.groups.map((groupId) => ({
      ...(known.get(groupId) ?? {
        errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
        groupId,
        groupState: "",
        protocolType: "",
        protocolData: "",
        members: [],
      }),
      // Asked for (v3+): what this principal may do with a group it may describe, as Kafka.
      authorizedOperations: request.includeAuthorizedOperations && known.has(groupId)
        ? authorizedOperations(auth, request_, ResourceType.Group, groupId)
        : AUTHORIZED_OPERATIONS_OMITTED,
    }));
    return (writer) => writeDescribeGroupsResponse(writer, version, { throttleTimeMs: 0, groups: described });
  };
}
