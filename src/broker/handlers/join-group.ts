/** JoinGroup v0-5: parks until the rebalance completes (the coordinator's promise resolves). */
import { readJoinGroupRequest, writeJoinGroupResponse } from "../../kafka/apis/join-group.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function joinGroupHandler(groups: GroupApi): RequestHandler {
  return async ({ header, body, remote }) => {
    const version = header.apiVersion;
    const request = readJoinGroupRequest(body, version);
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
