/**
 * FindCoordinator v0-2: the broker leading the group's `__consumer_offsets` partition (the topic
 * is created on first use). Transaction coordinators do not exist here: COORDINATOR_NOT_AVAILABLE.
 */
import {
  CoordinatorKeyType,
  readFindCoordinatorRequest,
  writeFindCoordinatorResponse,
} from "../../kafka/apis/find-coordinator.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, type AuthorizationContext } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function findCoordinatorHandler(groups: GroupApi, auth: AuthorizationContext = {}): RequestHandler {
  return async (request_) => {
    const { header, body, session } = request_;
    const version = header.apiVersion;
    const request = readFindCoordinatorRequest(body, version);
    const isGroup = (request.keyType ?? CoordinatorKeyType.Group) === CoordinatorKeyType.Group;
    const location =
      isGroup && !allowed(auth, request_, AclOperation.Describe, ResourceType.Group, request.key)
        ? { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, nodeId: -1, host: "", port: -1 }
        : isGroup
        ? await groups.findCoordinator(request.key, session?.listener)
        : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: "", port: -1 };
    return (writer) =>
      writeFindCoordinatorResponse(writer, version, {
        throttleTimeMs: 0,
        errorCode: location.errorCode,
        errorMessage: null,
        nodeId: location.nodeId,
        host: location.host,
        port: location.port,
      });
  };
}
