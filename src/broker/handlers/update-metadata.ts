/**
 * UpdateMetadata (key 6), from the controller: the live brokers and the partition states that
 * changed (everything, for a broker new to the controller), fed into this broker's metadata
 * cache; refused with STALE_CONTROLLER_EPOCH when an older controller sent it (the same fence as
 * LeaderAndIsr and StopReplica).
 */
import { readUpdateMetadataRequest, writeUpdateMetadataResponse } from "../../kafka/apis/update-metadata.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { BrokerContext } from "../broker-context.ts";
import { clusterActionAllowed } from "../authorization.ts";
import type { RequestHandler } from "../connection.ts";

export function updateMetadataHandler(context: BrokerContext): RequestHandler {
  return (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readUpdateMetadataRequest(body, version);
    if (!clusterActionAllowed(context, context_)) {
      return (writer) =>
        writeUpdateMetadataResponse(writer, version, { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED });
    }
    const admitted = context.replicas.controllerFence.admit(request.controllerEpoch);
    if (admitted) context.metadata.applyUpdateMetadata(request);
    const errorCode = admitted ? 0 : ErrorCode.STALE_CONTROLLER_EPOCH;
    return (writer) => writeUpdateMetadataResponse(writer, version, { errorCode });
  };
}
