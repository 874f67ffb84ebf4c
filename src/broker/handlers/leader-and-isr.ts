/**
 * LeaderAndIsr (key 4): the controller names each partition's leader, leader epoch and ISR.
 * The replica manager refuses an older controller epoch (STALE_CONTROLLER_EPOCH), and each named
 * partition ignores entries older than its leader epoch and becomes leader or follower for the
 * rest.
 */
import { readLeaderAndIsrRequest, writeLeaderAndIsrResponse } from "../../kafka/apis/leader-and-isr.ts";
import type { BrokerContext } from "../broker-context.ts";
import { clusterActionAllowed } from "../authorization.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { RequestHandler } from "../connection.ts";

export function leaderAndIsrHandler(context: BrokerContext): RequestHandler {
  return async (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readLeaderAndIsrRequest(body, version);
    if (!clusterActionAllowed(context, context_)) {
      const refused = { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, partitionErrors: [] };
      return (writer) => writeLeaderAndIsrResponse(writer, version, refused);
    }
    const response = await context.replicas.becomeLeaderOrFollower(request);
    return (writer) => writeLeaderAndIsrResponse(writer, version, response);
  };
}
