/** LeaveGroup v0-3: one member (v0-2) or a batch of members (v3) leave; a rebalance follows. */
import { readLeaveGroupRequest, writeLeaveGroupResponse } from "../../kafka/apis/leave-group.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function leaveGroupHandler(groups: GroupApi): RequestHandler {
  return ({ header, body }) => {
    const version = header.apiVersion;
    const request = readLeaveGroupRequest(body, version);
    const result = groups.coordinator.leave(request, version);
    return (writer) =>
      writeLeaveGroupResponse(writer, version, {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        members: result.members,
      });
  };
}
