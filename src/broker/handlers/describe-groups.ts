/** DescribeGroups v0-4: state, protocol and members of groups this broker coordinates. */
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  readDescribeGroupsRequest,
  writeDescribeGroupsResponse,
} from "../../kafka/apis/describe-groups.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function describeGroupsHandler(groups: GroupApi): RequestHandler {
  return ({ header, body }) => {
    const version = header.apiVersion;
    const request = readDescribeGroupsRequest(body, version);
    const described = groups.coordinator.describeGroups(request.groups).map((group) => ({
      ...group,
      authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    }));
    return (writer) => writeDescribeGroupsResponse(writer, version, { throttleTimeMs: 0, groups: described });
  };
}
