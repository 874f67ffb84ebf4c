/**
 * StopReplica (key 5), from the controller: refused with STALE_CONTROLLER_EPOCH when an older
 * controller sent it. The replica manager stops hosting partitions whose assignment no longer
 * names this broker (and deletes those of deleted topics) when it sees the coordinator's tree,
 * so accepting the request means re-reading it now.
 *
 * Minimal version by the controller branch; the replication branch may stop fetchers directly.
 */
import { readStopReplicaRequest, writeStopReplicaResponse } from "../../kafka/apis/stop-replica.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { type ControllerEpochFence, STALE_CONTROLLER_EPOCH } from "../controller/controller-epoch-fence.ts";
import { withTimeout } from "./create-topics.ts";
import { CONTROLLER_REQUEST_REFRESH_MS } from "./leader-and-isr.ts";

export function stopReplicaHandler(context: BrokerContext, fence: ControllerEpochFence): RequestHandler {
  return async ({ header, body }) => {
    const version = header.apiVersion;
    const request = readStopReplicaRequest(body, version);
    const admitted = fence.admit(request.controllerEpoch);
    if (admitted) await withTimeout(context.metadata.refresh(), CONTROLLER_REQUEST_REFRESH_MS);
    const errorCode = admitted ? 0 : STALE_CONTROLLER_EPOCH;
    return (writer) =>
      writeStopReplicaResponse(writer, version, {
        errorCode,
        partitionErrors: (request.ungroupedPartitions ?? []).map((partition) => ({
          topicName: partition.topicName,
          partitionIndex: partition.partitionIndex,
          errorCode,
        })),
      });
  };
}
