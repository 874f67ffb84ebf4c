/**
 * ControlledShutdown (key 7): a broker about to stop asks the controller to move its
 * leaderships away. Only the controller answers it; any other broker says NOT_CONTROLLER (the
 * asking broker looks the controller up again and retries).
 */
import {
  readControlledShutdownRequest,
  writeControlledShutdownResponse,
} from "../../kafka/apis/controlled-shutdown.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { type AuthorizationContext, clusterActionAllowed } from "../authorization.ts";
import type { RequestHandler } from "../connection.ts";
import type { Controller } from "../controller/controller.ts";

/** `controller` returns the running controller when this broker is it. */
export function controlledShutdownHandler(
  controller: () => Controller | null,
  authorization: AuthorizationContext = {},
): RequestHandler {
  return async (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readControlledShutdownRequest(body, version);
    if (!clusterActionAllowed(authorization, context_)) {
      return (writer) =>
        writeControlledShutdownResponse(writer, version, {
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          remainingPartitions: [],
        });
    }
    const active = controller();
    const outcome = active
      ? await active.controlledShutdown(request.brokerId)
      : { errorCode: ErrorCode.NOT_CONTROLLER, remaining: [] };
    return (writer) =>
      writeControlledShutdownResponse(writer, version, {
        errorCode: outcome.errorCode,
        remainingPartitions: outcome.remaining,
      });
  };
}
