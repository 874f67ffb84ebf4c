/**
 * LeaderAndIsr (key 4), from the controller: refused with STALE_CONTROLLER_EPOCH when an older
 * controller sent it. Otherwise the broker re-reads the partition states the controller wrote
 * before sending (the replica manager then leads or follows accordingly) and answers once it
 * has, so the controller knows the broker acts on the new leadership.
 *
 * Minimal version by the controller branch: the replication branch owns becoming leader or
 * follower (fetchers, truncation) and may apply the request's states directly instead.
 */
import { readLeaderAndIsrRequest, writeLeaderAndIsrResponse } from "../../kafka/apis/leader-and-isr.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { type ControllerEpochFence, STALE_CONTROLLER_EPOCH } from "../controller/controller-epoch-fence.ts";
import { withTimeout } from "./create-topics.ts";

/** How long a controller request may wait for the broker's metadata to catch up. */
export const CONTROLLER_REQUEST_REFRESH_MS = 10_000;

export function leaderAndIsrHandler(context: BrokerContext, fence: ControllerEpochFence): RequestHandler {
  return async ({ header, body }) => {
    const version = header.apiVersion;
    const request = readLeaderAndIsrRequest(body, version);
    const admitted = fence.admit(request.controllerEpoch);
    if (admitted) await withTimeout(context.metadata.refresh(), CONTROLLER_REQUEST_REFRESH_MS);
    const errorCode = admitted ? 0 : STALE_CONTROLLER_EPOCH;
    return (writer) =>
      writeLeaderAndIsrResponse(writer, version, {
        errorCode,
        partitionErrors: request.ungroupedPartitionStates.map((state) => ({
          topicName: state.topicName,
          partitionIndex: state.partitionIndex,
          errorCode,
        })),
      });
  };
}
