/**
 * StopReplica (key 5): the controller tells this broker to stop replicating partitions (and,
 * with delete_partitions, to delete their logs). Older controller epochs are refused with
 * STALE_CONTROLLER_EPOCH.
 */
import {
  flattenStopReplicaTopics,
  readStopReplicaRequest,
  writeStopReplicaResponse,
} from "../../kafka/apis/stop-replica.ts";
import type { BrokerContext } from "../broker-context.ts";
import { clusterActionAllowed } from "../authorization.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { RequestHandler } from "../connection.ts";

export function stopReplicaHandler(context: BrokerContext): RequestHandler {
  return async (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readStopReplicaRequest(body, version);
    if (!clusterActionAllowed(context, context_)) {
      const refused = { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, partitionErrors: [] };
      return (writer) => writeStopReplicaResponse(writer, version, refused);
    }
    const partitions = request.ungroupedPartitions ?? flattenStopReplicaTopics(request.topics ?? []);
    const response = await context.replicas.stopReplicas(
      request.controllerEpoch,
      partitions,
      request.deletePartitions,
    );
    return (writer) => writeStopReplicaResponse(writer, version, response);
  };
}
