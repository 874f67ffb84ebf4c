/**
 * FindCoordinator v0-2: for a group (key type 0) the broker leading the group's
 * `__consumer_offsets` partition; for a transactional id (key type 1) the broker leading its
 * `__transaction_state` partition. Each topic is created on first use. Describe on the group or
 * the TransactionalId is required (else the matching authorization error).
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
import type { CoordinatorLocation } from "../coordinator-location.ts";
import type { GroupApi } from "../group-service.ts";

/** What FindCoordinator needs for transactional ids (TransactionService; absent: unavailable). */
export interface TransactionCoordinatorLocator {
  findCoordinator(transactionalId: string, listener?: string): Promise<CoordinatorLocation>;
}

export function findCoordinatorHandler(
  groups: GroupApi,
  auth: AuthorizationContext = {},
  transactions?: TransactionCoordinatorLocator,
): RequestHandler {
  return async (request_) => {
    const { header, body, session } = request_;
    const version = header.apiVersion;
    const request = readFindCoordinatorRequest(body, version);
    const keyType = request.keyType ?? CoordinatorKeyType.Group;
    const refused = (errorCode: number) => ({ errorCode, nodeId: -1, host: "", port: -1 });
    let location: CoordinatorLocation;
    if (keyType === CoordinatorKeyType.Group) {
      location = allowed(auth, request_, AclOperation.Describe, ResourceType.Group, request.key)
        ? await groups.findCoordinator(request.key, session?.listener)
        : refused(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    } else if (keyType === CoordinatorKeyType.Transaction && transactions !== undefined) {
      location = allowed(auth, request_, AclOperation.Describe, ResourceType.TransactionalId, request.key)
        ? await transactions.findCoordinator(request.key, session?.listener)
        : refused(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    } else {
      location = refused(
        keyType === CoordinatorKeyType.Transaction
          ? ErrorCode.COORDINATOR_NOT_AVAILABLE
          : ErrorCode.INVALID_REQUEST,
      );
    }
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
