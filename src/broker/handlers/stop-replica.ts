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
import type { RequestHandler } from "../connection.ts";

export function stopReplicaHandler(context: BrokerContext): RequestHandler {
  return async ({ header, body }) => {
    const version = header.apiVersion;
    const request = readStopReplicaRequest(body, version);
    const partitions = request.ungroupedPartitions ?? flattenStopReplicaTopics(request.topics ?? []);
    const response = await context.replicas.stopReplicas(
      request.controllerEpoch,
      partitions,
      request.deletePartitions,
    );
    return (writer) => writeStopReplicaResponse(writer, version, response);
  };
}
