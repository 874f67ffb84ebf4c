/**
 * ACL bindings as values: a resource pattern (type, name, LITERAL or PREFIXED) plus an access
 * control entry (principal, host, operation, permission). Here: the filter matching that
 * DescribeAcls and DeleteAcls use, and the checks a binding must pass before it is stored —
 * both as Kafka defines them (ResourcePatternFilter, AccessControlEntryFilter, and the
 * broker's CreateAcls validation), so a kafka-acls or kafkajs filter selects the same ACLs
 * here as on Kafka.
 *
 * @example
 * ```ts
 * matchesFilter(binding, { ...anyFilter, resourceName: "orders", patternType: PatternType.Match });
 * ```
 */
import {
  AclOperation,
  AclPermission,
  CLUSTER_RESOURCE_NAME,
  operationName,
  PatternType,
  ResourceType,
  resourceTypeName,
  WILDCARD_RESOURCE,
} from "../kafka/acl.ts";
import type { AclBinding, AclBindingFilter } from "../kafka/apis/acl-fields.ts";

export type { AclBinding, AclBindingFilter };

/** A stored resource pattern: LITERAL or PREFIXED only. */
export interface ResourcePattern {
  resourceType: number;
  resourceName: string;
  patternType: number;
}

/** Who may (or may not) do what from where, on the pattern that holds it. */
export interface AccessControlEntry {
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A filter that matches every binding. */
export const ANY_ACL_FILTER: AclBindingFilter = {
  resourceType: ResourceType.Any,
  resourceName: null,
  patternType: PatternType.Any,
  principal: null,
  host: null,
  operation: AclOperation.Any,
  permissionType: AclPermission.Any,
};

/** Kafka's ResourcePatternFilter.matches. */
export function matchesPatternFilter(pattern: ResourcePattern, filter: AclBindingFilter): boolean {
  if (filter.resourceType !== ResourceType.Any && filter.resourceType !== pattern.resourceType) return false;
  const patternType = filter.patternType;
  if (
    patternType !== PatternType.Any && patternType !== PatternType.Match &&
    patternType !== pattern.patternType
  ) {
    return false;
  }
  const name = filter.resourceName;
  if (name === null) return true;
  if (patternType === PatternType.Any || patternType === pattern.patternType) {
    return name === pattern.resourceName;
  }
  // MATCH: every stored pattern that applies to a resource of this name.
  if (pattern.patternType === PatternType.Literal) {
    return name === pattern.resourceName || pattern.resourceName === WILDCARD_RESOURCE;
  }
  return pattern.patternType === PatternType.Prefixed && name.startsWith(pattern.resourceName);
}

/** Kafka's AccessControlEntryFilter.matches. */
export function matchesEntryFilter(entry: AccessControlEntry, filter: AclBindingFilter): boolean {
  return (filter.principal === null || filter.principal === entry.principal) &&
    (filter.host === null || filter.host === entry.host) &&
    (filter.operation === AclOperation.Any || filter.operation === entry.operation) &&
    (filter.permissionType === AclPermission.Any || filter.permissionType === entry.permissionType);
}

export function matchesFilter(binding: AclBinding, filter: AclBindingFilter): boolean {
  return matchesPatternFilter(binding, filter) && matchesEntryFilter(binding, filter);
}

/** The resource types ACLs may be stored for here. */
const STORABLE_TYPES: ReadonlySet<number> = new Set([
  ResourceType.Topic,
  ResourceType.Group,
  ResourceType.Cluster,
  ResourceType.TransactionalId,
]);

/**
 * Why a binding cannot be stored, or undefined when it can: Kafka's CreateAcls checks (no
 * ANY/MATCH/unknown codes, a non-empty name without "/", the Cluster resource only as
 * "kafka-cluster", a principal of the form Type:name), restricted to the resource types this
 * broker authorizes. The caller answers INVALID_REQUEST with the message.
 */
export function invalidBindingReason(binding: AclBinding): string | undefined {
  if (!STORABLE_TYPES.has(binding.resourceType)) {
    return `Unsupported resource type ${binding.resourceType} (use Topic, Group, Cluster or TransactionalId)`;
  }
  if (binding.patternType !== PatternType.Literal && binding.patternType !== PatternType.Prefixed) {
    return `Invalid pattern type ${binding.patternType}: ACLs are LITERAL or PREFIXED`;
  }
  if (binding.operation <= AclOperation.Any || binding.operation > AclOperation.DescribeTokens) {
    return `Invalid operation ${binding.operation}`;
  }
  if (binding.permissionType !== AclPermission.Allow && binding.permissionType !== AclPermission.Deny) {
    return `Invalid permission type ${binding.permissionType}: ALLOW or DENY`;
  }
  if (binding.resourceName.length === 0) return "Invalid empty resource name";
  if (binding.resourceName.includes("/") || binding.resourceName === "." || binding.resourceName === "..") {
    return `Invalid resource name "${binding.resourceName}"`;
  }
  if (binding.resourceType === ResourceType.Cluster && binding.resourceName !== CLUSTER_RESOURCE_NAME) {
    return `The only valid name for the Cluster resource is ${CLUSTER_RESOURCE_NAME}`;
  }
  if (!/^[^:]+:.+$/s.test(binding.principal)) {
    return `Invalid principal "${binding.principal}": expected Type:name, e.g. User:alice`;
  }
  if (binding.host.length === 0) return "Invalid empty host: use * for every host";
  return undefined;
}

/** "Topic:PREFIXED:orders-" — a stable key for a resource pattern. */
export function patternKey(pattern: ResourcePattern): string {
  return `${pattern.resourceType}:${pattern.patternType}:${pattern.resourceName}`;
}

export function sameEntry(a: AccessControlEntry, b: AccessControlEntry): boolean {
  return a.principal === b.principal && a.host === b.host && a.operation === b.operation &&
    a.permissionType === b.permissionType;
}

/** `Allow User:alice Write on Topic "orders" from *` (with " (prefixed)" for PREFIXED), for messages. */
export function describeBinding(binding: AclBinding): string {
  const permission = binding.permissionType === AclPermission.Deny ? "Deny" : "Allow";
  const pattern = binding.patternType === PatternType.Prefixed ? " (prefixed)" : "";
  return `${permission} ${binding.principal} ${operationName(binding.operation)} on ${
    resourceTypeName(binding.resourceType)
  } "${binding.resourceName}"${pattern} from ${binding.host}`;
}
