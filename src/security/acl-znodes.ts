/**
 * Where ACLs live in the coordinator, in Kafka's ZooKeeper layout and JSON (kafka.zk.ZkData),
 * so ACLs written by Kafka's tools read here and the other way round:
 *
 *   /kafka-acl/<Type>/<name>                     LITERAL patterns
 *   /kafka-acl-extended/prefixed/<Type>/<name>   PREFIXED patterns
 *        {"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow",
 *                              "operation":"Read","host":"*"}]}
 *   /kafka-acl-changes/acl_changes_<seq>           "TOPIC:orders" (a LITERAL pattern changed)
 *   /kafka-acl-extended-changes/acl_changes_<seq>  {"version":1,"resourceType":"TOPIC",
 *                                                   "name":"orders-","patternType":"PREFIXED"}
 *
 * <Type> is Kafka's resource type name (Topic, Group, Cluster, TransactionalId). Every writer
 * of an ACL node also creates a change notification; brokers follow the notifications to
 * re-read only what changed. Everything read back is validated: a znode is untrusted input.
 *
 * @example
 * ```ts
 * aclPath({ resourceType: ResourceType.Topic, resourceName: "orders-", patternType: PatternType.Prefixed });
 * // "/kafka-acl-extended/prefixed/Topic/orders-"
 * ```
 */
import {
  operationName,
  parseOperation,
  parsePatternType,
  parsePermission,
  parseResourceType,
  PatternType,
  permissionName,
  ResourceType,
  resourceTypeName,
} from "../kafka/acl.ts";
import { parseObject, toBytes } from "../broker/zk-layout.ts";
import type { AccessControlEntry, ResourcePattern } from "./acl-bindings.ts";

export const LITERAL_ACL_PATH = "/kafka-acl";
export const EXTENDED_ACL_PATH = "/kafka-acl-extended";
export const PREFIXED_ACL_PATH = `${EXTENDED_ACL_PATH}/prefixed`;
export const LITERAL_ACL_CHANGES_PATH = "/kafka-acl-changes";
export const EXTENDED_ACL_CHANGES_PATH = "/kafka-acl-extended-changes";
export const ACL_CHANGE_PREFIX = "acl_changes_";

/** The resource types whose ACLs are stored (and so the directories a full load reads). */
export const STORED_RESOURCE_TYPES = [
  ResourceType.Topic,
  ResourceType.Group,
  ResourceType.Cluster,
  ResourceType.TransactionalId,
] as const;

/** The directory of one pattern type and resource type, e.g. "/kafka-acl/Topic". */
export function aclTypePath(patternType: number, resourceType: number): string {
  const root = patternType === PatternType.Prefixed ? PREFIXED_ACL_PATH : LITERAL_ACL_PATH;
  return `${root}/${resourceTypeName(resourceType)}`;
}

export function aclPath(pattern: ResourcePattern): string {
  return `${aclTypePath(pattern.patternType, pattern.resourceType)}/${pattern.resourceName}`;
}

/** Where a change of this pattern is announced. */
export function aclChangesPath(patternType: number): string {
  return patternType === PatternType.Literal ? LITERAL_ACL_CHANGES_PATH : EXTENDED_ACL_CHANGES_PATH;
}

export function encodeAcls(entries: readonly AccessControlEntry[]): Uint8Array {
  return toBytes({
    version: 1,
    acls: entries.map((entry) => ({
      principal: entry.principal,
      permissionType: permissionName(entry.permissionType),
      operation: operationName(entry.operation),
      host: entry.host,
    })),
  });
}

/** Parse an ACL node; throws an Error naming the node and the bad field. */
export function decodeAcls(what: string, bytes: Uint8Array | null): AccessControlEntry[] {
  const object = parseObject(bytes, what);
  if (object.version !== 1) throw new Error(`${what}: unsupported version ${JSON.stringify(object.version)}`);
  if (!Array.isArray(object.acls)) throw new Error(`${what}: "acls" must be an array`);
  return object.acls.map((item: unknown, index: number) => {
    const where = `${what} acls[${index}]`;
    if (typeof item !== "object" || item === null) throw new Error(`${where}: expected an object`);
    const fields = item as Record<string, unknown>;
    const text = (key: string) => {
      const value = fields[key];
      if (typeof value !== "string" || value.length === 0) {
        throw new Error(`${where}: "${key}" must be a string`);
      }
      return value;
    };
    const operation = parseOperation(text("operation"));
    const permissionType = parsePermission(text("permissionType"));
    if (operation === undefined) throw new Error(`${where}: unknown operation "${fields.operation}"`);
    if (permissionType === undefined) {
      throw new Error(`${where}: unknown permissionType "${fields.permissionType}"`);
    }
    return { principal: text("principal"), host: text("host"), operation, permissionType };
  });
}

/** The notification for a changed pattern (Kafka's two formats: legacy text for LITERAL, JSON otherwise). */
export function encodeAclChange(pattern: ResourcePattern): Uint8Array {
  const type = javaEnumName(resourceTypeName(pattern.resourceType));
  if (pattern.patternType === PatternType.Literal) {
    return new TextEncoder().encode(`${type}:${pattern.resourceName}`);
  }
  return toBytes({ version: 1, resourceType: type, name: pattern.resourceName, patternType: "PREFIXED" });
}

/** Parse a notification read from `changesPath`; throws an Error on anything malformed. */
export function decodeAclChange(changesPath: string, bytes: Uint8Array | null): ResourcePattern {
  const what = `ACL change in ${changesPath}`;
  if (changesPath === LITERAL_ACL_CHANGES_PATH) {
    const text = new TextDecoder().decode(bytes ?? new Uint8Array());
    const at = text.indexOf(":");
    const resourceType = at > 0 ? parseResourceType(text.slice(0, at)) : undefined;
    if (resourceType === undefined || at === text.length - 1) {
      throw new Error(`${what}: expected ResourceType:name, got "${text.slice(0, 64)}"`);
    }
    return { resourceType, resourceName: text.slice(at + 1), patternType: PatternType.Literal };
  }
  const object = parseObject(bytes, what);
  if (object.version !== 1) throw new Error(`${what}: unsupported version ${JSON.stringify(object.version)}`);
  const resourceType = typeof object.resourceType === "string"
    ? parseResourceType(object.resourceType)
    : undefined;
  const patternType = typeof object.patternType === "string"
    ? parsePatternType(object.patternType)
    : undefined;
  if (resourceType === undefined || patternType !== PatternType.Prefixed || typeof object.name !== "string") {
    throw new Error(`${what}: expected resourceType, name and patternType PREFIXED`);
  }
  return { resourceType, resourceName: object.name, patternType };
}

/** "TransactionalId" → "TRANSACTIONAL_ID", the Java enum constant Kafka writes in notifications. */
function javaEnumName(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The sequence number of a notification node name, or undefined for a foreign child. */
export function changeSequence(node: string): number | undefined {
  if (!node.startsWith(ACL_CHANGE_PREFIX)) return undefined;
  const digits = node.slice(ACL_CHANGE_PREFIX.length);
  return /^\d{10}$/.test(digits) ? Number(digits) : undefined;
}
