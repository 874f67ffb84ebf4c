/**
 * What the broker does for CreateAcls, DescribeAcls and DeleteAcls, as Kafka does it, apart
 * from decoding and encoding (the handlers' job): check the caller may (Alter on the Cluster to
 * change ACLs, Describe to list them), validate, write through the ACL store, and build the
 * response. Without an authorizer there are no ACLs to manage: every answer is
 * SECURITY_DISABLED, as in Kafka.
 *
 * The broker that writes applies the change to its own authorizer at once; the other brokers
 * follow the change notification.
 *
 * @example
 * ```ts
 * const response = await createAclsResponse(context, readCreateAclsRequest(body, version));
 * writeCreateAclsResponse(writer, version, response);
 * ```
 */
import type { Coordination } from "../broker/coordination.ts";
import {
  AclOperation,
  AclPermission,
  CLUSTER_RESOURCE_NAME,
  PatternType,
  ResourceType,
} from "../kafka/acl.ts";
import type { CreateAclsRequest, CreateAclsResponse } from "../kafka/apis/create-acls.ts";
import type { DeleteAclsRequest, DeleteAclsResponse } from "../kafka/apis/delete-acls.ts";
import type {
  DescribeAclsRequest,
  DescribeAclsResource,
  DescribeAclsResponse,
} from "../kafka/apis/describe-acls.ts";
import { ErrorCode } from "../kafka/errors.ts";
import type { AclAuthorizer } from "./acl-authorizer.ts";
import { type AclBindingFilter, ANY_ACL_FILTER, invalidBindingReason, patternKey } from "./acl-bindings.ts";
import { createAcls, deleteAcls } from "./acl-store.ts";

/** Who asks, and what the broker has to answer with. */
export interface SecurityRequestContext {
  principal: string;
  /** The client's IP address. */
  host: string;
  /** Undefined when the broker runs without an authorizer. */
  authorizer: AclAuthorizer | undefined;
  coordination: Coordination;
}

const NO_AUTHORIZER = "No authorizer is configured on the broker (start it with --authorizer acl)";

/** May the caller do `operation` on the Cluster resource? */
export function clusterAllows(context: SecurityRequestContext, operation: number): boolean {
  return context.authorizer === undefined || context.authorizer.authorize({
    principal: context.principal,
    host: context.host,
    operation,
    resourceType: ResourceType.Cluster,
    resourceName: CLUSTER_RESOURCE_NAME,
  });
}

function applyLocally(context: SecurityRequestContext) {
  return context.authorizer === undefined ? undefined : context.authorizer.setAcls.bind(context.authorizer);
}

export async function createAclsResponse(
  context: SecurityRequestContext,
  request: CreateAclsRequest,
): Promise<CreateAclsResponse> {
  const all = (errorCode: number, errorMessage: string | null) => ({
    throttleTimeMs: 0,
    results: request.creations.map(() => ({ errorCode, errorMessage })),
  });
  if (context.authorizer === undefined) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
  if (!clusterAllows(context, AclOperation.Alter)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
  const reasons = request.creations.map(invalidBindingReason);
  const valid = request.creations.filter((_, i) => reasons[i] === undefined);
  const failures = await createAcls(context.coordination, valid, applyLocally(context));
  let next = 0;
  return {
    throttleTimeMs: 0,
    results: reasons.map((reason) => {
      if (reason !== undefined) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: reason };
      const failure = failures[next++];
      return failure === undefined
        ? { errorCode: ErrorCode.NONE, errorMessage: null }
        : { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: failure };
    }),
  };
}

/** Why a filter cannot match anything sensible (Kafka's "unknown" filters), or undefined. */
function invalidFilterReason(filter: AclBindingFilter): string | undefined {
  const known = (value: number, min: number, max: number) => value >= min && value <= max;
  if (!known(filter.resourceType, ResourceType.Any, ResourceType.User)) {
    return "Unknown resource type in filter";
  }
  if (!known(filter.patternType, PatternType.Any, PatternType.Prefixed)) {
    return "Unknown pattern type in filter";
  }
  if (!known(filter.operation, AclOperation.Any, AclOperation.DescribeTokens)) {
    return "Unknown operation in filter";
  }
  if (!known(filter.permissionType, AclPermission.Any, AclPermission.Allow)) {
    return "Unknown permission in filter";
  }
  return undefined;
}

export function describeAclsResponse(
  context: SecurityRequestContext,
  request: DescribeAclsRequest,
): DescribeAclsResponse {
  const failed = (errorCode: number, errorMessage: string | null) => ({
    throttleTimeMs: 0,
    errorCode,
    errorMessage,
    resources: [],
  });
  if (context.authorizer === undefined) return failed(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
  if (!clusterAllows(context, AclOperation.Describe)) {
    return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
  }
  const reason = invalidFilterReason(request.filter);
  if (reason !== undefined) return failed(ErrorCode.INVALID_REQUEST, reason);
  const resources = new Map<string, DescribeAclsResource>();
  for (const binding of context.authorizer.acls(request.filter)) {
    const key = patternKey(binding);
    let resource = resources.get(key);
    if (resource === undefined) {
      const { resourceType, resourceName, patternType } = binding;
      resource = { resourceType, resourceName, patternType, acls: [] };
      resources.set(key, resource);
    }
    const { principal, host, operation, permissionType } = binding;
    resource.acls.push({ principal, host, operation, permissionType });
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    resources: [...resources.values()],
  };
}

export async function deleteAclsResponse(
  context: SecurityRequestContext,
  request: DeleteAclsRequest,
): Promise<DeleteAclsResponse> {
  const all = (errorCode: number, errorMessage: string | null) => ({
    throttleTimeMs: 0,
    filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
  });
  if (context.authorizer === undefined) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
  if (!clusterAllows(context, AclOperation.Alter)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
  const reasons = request.filters.map(invalidFilterReason);
  const valid = request.filters.filter((_, i) => reasons[i] === undefined);
  let deleted: Awaited<ReturnType<typeof deleteAcls>>;
  try {
    deleted = await deleteAcls(
      context.coordination,
      valid,
      context.authorizer.acls(ANY_ACL_FILTER),
      applyLocally(context),
    );
  } catch (error) {
    return all(ErrorCode.UNKNOWN_SERVER_ERROR, (error as Error).message);
  }
  let next = 0;
  return {
    throttleTimeMs: 0,
    filterResults: reasons.map((reason) => {
      if (reason !== undefined) {
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: reason, matchingAcls: [] };
      }
      const matchingAcls = deleted[next++].map((binding) => ({
        errorCode: 0,
        errorMessage: null,
        ...binding,
      }));
      return { errorCode: ErrorCode.NONE, errorMessage: null, matchingAcls };
    }),
  };
}
