/** Heartbeat v0-3: keeps a member's session; REBALANCE_IN_PROGRESS tells it to rejoin. */
import { readHeartbeatRequest, writeHeartbeatResponse } from "../../kafka/apis/heartbeat.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function heartbeatHandler(groups: GroupApi): RequestHandler {
  return ({ header, body }) => {
    const version = header.apiVersion;
    const request = readHeartbeatRequest(body, version);
    const errorCode = groups.coordinator.heartbeat(request);
    return (writer) => writeHeartbeatResponse(writer, version, { throttleTimeMs: 0, errorCode });
  };
}
