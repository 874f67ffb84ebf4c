/**
 * UpdateMetadata (key 6), from the controller: refused with STALE_CONTROLLER_EPOCH when an older
 * controller sent it. The broker's metadata follows the coordinator (where the controller wrote
 * every state before sending this), so accepting it means re-reading now, before answering:
 * Metadata answers on this broker are then at least as new as the controller's view.
 */
import { readUpdateMetadataRequest, writeUpdateMetadataResponse } from "../../kafka/apis/update-metadata.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { ControllerEpochFence } from "../controller/controller-epoch-fence.ts";
import { withTimeout } from "./create-topics.ts";

/** How long the request may wait for the broker's metadata to catch up. */
const REFRESH_TIMEOUT_MS = 10_000;

export function updateMetadataHandler(context: BrokerContext, fence: ControllerEpochFence): RequestHandler {
  return async ({ header, body }) => {
    const version = header.apiVersion;
    const request = readUpdateMetadataRequest(body, version);
    const admitted = fence.admit(request.controllerEpoch);
    if (admitted) await withTimeout(context.metadata.refresh(), REFRESH_TIMEOUT_MS);
    const errorCode = admitted ? 0 : ErrorCode.STALE_CONTROLLER_EPOCH;
    return (writer) => writeUpdateMetadataResponse(writer, version, { errorCode });
  };
}
