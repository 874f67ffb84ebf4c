/**
 * The one question every API handler asks before acting: may the principal of this request do
 * this operation on this resource? Without an authorizer (`--authorizer` not given) the answer
 * is always yes, as in Kafka without authorizer.class.name. Requests that did not come from a
 * client socket (no session) are the broker's own and always allowed.
 *
 * What each API checks follows Kafka's KafkaApis: Produce → Write on the topic; Fetch → Read
 * (ClusterAction for followers); Metadata, ListOffsets, OffsetForLeaderEpoch → Describe;
 * CreateTopics → Create on the cluster or the topic; DeleteTopics → Delete; CreatePartitions →
 * Alter; DescribeConfigs → DescribeConfigs; the controller's APIs → ClusterAction; group APIs →
 * Read/Describe/Delete on the group (and Read/Describe on topics for offsets).
 *
 * @example
 * ```ts
 * if (!allowed(context, request, AclOperation.Write, ResourceType.Topic, "orders")) {
 *   return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
 * }
 * ```
 */
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType, SUPPORTED_OPERATIONS } from "../kafka/acl.ts";
import { invariant } from "../assert.ts";
import type { AclAuthorizer } from "../security/acl-authorizer.ts";
import type { RequestContext } from "./connection.ts";

/** What the check needs of the broker: its authorizer, if any. */
export interface AuthorizationContext {
  authorizer?: AclAuthorizer;
}

/** May this request's principal do `operation` on the resource? */
export function allowed(
  context: AuthorizationContext,
  request: Pick<RequestContext, "session">,
  operation: number,
  resourceType: number,
  resourceName: string,
): boolean {
  const session = request.session;
  if (context.authorizer === undefined || session === undefined) return true;
  return context.authorizer.authorize({
    principal: session.principal,
    host: session.host,
    operation,
    resourceType,
    resourceName,
  });
}

/** May this request do `operation` on at least one resource of the type (Kafka's authorizeByResourceType)? */
export function allowedOnAny(
  context: AuthorizationContext,
  request: Pick<RequestContext, "session">,
  operation: number,
  resourceType: number,
): boolean {
  const session = request.session;
  if (context.authorizer === undefined || session === undefined) return true;
  return context.authorizer.authorizeAny(session.principal, session.host, operation, resourceType);
}

/**
 * The operations this request's principal may do on the resource, as Kafka's 32-bit field (bit
 * n = operation code n). Without an authorizer: every reported operation, as Kafka.
 */
export function authorizedOperations(
  context: AuthorizationContext,
  request: Pick<RequestContext, "session">,
  resourceType: number,
  resourceName: string,
): number {
  const operations = SUPPORTED_OPERATIONS[resourceType];
  invariant(operations !== undefined, () => `no reported operations for resource type ${resourceType}`);
  let bits = 0;
  for (const operation of operations ?? []) {
    if (allowed(context, request, operation, resourceType, resourceName)) bits |= 1 << operation;
  }
  return bits;
}

/** May this request do `operation` on the Cluster resource? */
export function clusterAllowed(
  context: AuthorizationContext,
  request: Pick<RequestContext, "session">,
  operation: number,
): boolean {
  return allowed(context, request, operation, ResourceType.Cluster, CLUSTER_RESOURCE_NAME);
}

/** The controller's and replication's APIs (LeaderAndIsr, UpdateMetadata, …): ClusterAction. */
export function clusterActionAllowed(
  context: AuthorizationContext,
  request: Pick<RequestContext, "session">,
): boolean {
  return clusterAllowed(context, request, AclOperation.ClusterAction);
}
