/**
 * Kafka's ACL vocabulary as it travels on the wire (CreateAcls, DescribeAcls, DeleteAcls) and
 * in the coordinator: resource types, pattern types, operations and permission types, with
 * their int8 codes and the names Kafka writes into its ACL znodes ("Topic", "Read", "Allow").
 * The codes and names are Kafka's (org.apache.kafka.common.acl / .resource), so ACLs written
 * by Kafka's own tools read back here, and the other way round.
 *
 * @example
 * ```ts
 * operationName(AclOperation.DescribeConfigs); // "DescribeConfigs"
 * parseOperation("describe_configs");          // AclOperation.DescribeConfigs
 * ```
 */

/** Resource types (ANY only in filters). */
export const ResourceType = {
  Any: 1,
  Topic: 2,
  Group: 3,
  Cluster: 4,
  TransactionalId: 5,
  DelegationToken: 6,
  User: 7,
} as const;

/** Pattern types: LITERAL and PREFIXED are stored; ANY and MATCH only filter. */
export const PatternType = { Any: 1, Match: 2, Literal: 3, Prefixed: 4 } as const;

export const AclOperation = {
  Any: 1,
  All: 2,
  Read: 3,
  Write: 4,
  Create: 5,
  Delete: 6,
  Alter: 7,
  Describe: 8,
  ClusterAction: 9,
  DescribeConfigs: 10,
  AlterConfigs: 11,
  IdempotentWrite: 12,
  CreateTokens: 13,
  DescribeTokens: 14,
} as const;

/**
 * The operations of each resource type (Kafka's AclEntry.supportedOperations), All aside: what
 * its tools accept in an ACL, and what Metadata and DescribeGroups report as authorized.
 */
export const SUPPORTED_OPERATIONS: Readonly<Record<number, readonly number[]>> = {
  [ResourceType.Topic]: [
    AclOperation.Read,
    AclOperation.Write,
    AclOperation.Create,
    AclOperation.Describe,
    AclOperation.Delete,
    AclOperation.Alter,
    AclOperation.DescribeConfigs,
    AclOperation.AlterConfigs,
  ],
  [ResourceType.Group]: [
    AclOperation.Read,
    AclOperation.Describe,
    AclOperation.Delete,
    AclOperation.DescribeConfigs,
    AclOperation.AlterConfigs,
  ],
  [ResourceType.Cluster]: [
    AclOperation.Create,
    AclOperation.ClusterAction,
    AclOperation.DescribeConfigs,
    AclOperation.AlterConfigs,
    AclOperation.IdempotentWrite,
    AclOperation.Alter,
    AclOperation.Describe,
  ],
  [ResourceType.TransactionalId]: [AclOperation.Describe, AclOperation.Write],
};

/** Permission types (ANY only in filters). */
export const AclPermission = { Any: 1, Deny: 2, Allow: 3 } as const;

/** The one Cluster resource's name. */
export const CLUSTER_RESOURCE_NAME = "kafka-cluster";
/** A LITERAL resource name that matches every name of its type. */
export const WILDCARD_RESOURCE = "*";
/** The principal that matches every User principal. */
export const WILDCARD_PRINCIPAL = "User:*";
/** The host that matches every host. */
export const WILDCARD_HOST = "*";

const RESOURCE_TYPE_NAMES = nameTable(ResourceType);
const PATTERN_TYPE_NAMES = nameTable(PatternType);
const OPERATION_NAMES = nameTable(AclOperation);
const PERMISSION_NAMES = nameTable(AclPermission);

function nameTable(codes: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(codes).map(([name, code]) => [code, name]));
}

/** "Topic", "TransactionalId", …; `Unknown(9)` for codes outside the table. */
export function resourceTypeName(code: number): string {
  return RESOURCE_TYPE_NAMES.get(code) ?? `Unknown(${code})`;
}

/** "Literal", "Prefixed", … (Kafka's znode paths use the lower-case form). */
export function patternTypeName(code: number): string {
  return PATTERN_TYPE_NAMES.get(code) ?? `Unknown(${code})`;
}

export function operationName(code: number): string {
  return OPERATION_NAMES.get(code) ?? `Unknown(${code})`;
}

export function permissionName(code: number): string {
  return PERMISSION_NAMES.get(code) ?? `Unknown(${code})`;
}

/**
 * A name → code lookup that ignores case and underscores, as Kafka's fromString does
 * ("TOPIC", "Topic", "transactional_id", "TransactionalId" all parse).
 */
function parser(codes: Record<string, number>): (text: string) => number | undefined {
  const byKey = new Map(Object.entries(codes).map(([name, code]) => [name.toLowerCase(), code]));
  return (text) => byKey.get(text.replaceAll("_", "").toLowerCase());
}

export const parseResourceType = parser(ResourceType);
export const parsePatternType = parser(PatternType);
export const parseOperation = parser(AclOperation);
export const parsePermission = parser(AclPermission);
