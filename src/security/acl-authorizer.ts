/**
 * The ACL authorizer as pure logic, with Kafka's AclAuthorizer semantics, over an in-memory
 * index of ACLs that the ACL cache (acl-store.ts) keeps current. No I/O: handlers call
 * authorize() on every request, so it answers from memory.
 *
 * A request (principal, client host, operation, resource type and name) is allowed when:
 * - the principal is a super user; or
 * - no ACL applies to the resource and allow.everyone.if.no.acl.found is set (default: not); or
 * - no DENY applies and an ALLOW does.
 * ACLs that apply to a resource: LITERAL ones of that exact name, LITERAL "*", and PREFIXED
 * ones whose name starts the resource name. An entry matches when its principal is the
 * request's or "User:*", its host is the client's or "*", and its operation is the one asked
 * for or All. Deny wins. Allowing Read, Write, Delete or Alter implies Describe, and allowing
 * AlterConfigs implies DescribeConfigs (never the other way, and never for DENY).
 *
 * Decisions are memoized per (resource, operation, principal, host) until the next ACL change
 * (a bounded map, emptied when full), so the hot path is one map lookup.
 *
 * @example
 * ```ts
 * const authorizer = new AclAuthorizer({ superUsers: ["User:admin"] });
 * authorizer.setAcls({ resourceType: ResourceType.Topic, resourceName: "orders", patternType: PatternType.Literal },
 *   [{ principal: "User:alice", host: "*", operation: AclOperation.Write, permissionType: AclPermission.Allow }]);
 * authorizer.authorize({ principal: "User:alice", host: "10.0.0.7", operation: AclOperation.Write,
 *   resourceType: ResourceType.Topic, resourceName: "orders" }); // true
 * ```
 */
import {
  AclOperation,
  AclPermission,
  PatternType,
  WILDCARD_HOST,
  WILDCARD_PRINCIPAL,
  WILDCARD_RESOURCE,
} from "../kafka/acl.ts";
import {
  type AccessControlEntry,
  type AclBinding,
  type AclBindingFilter,
  matchesEntryFilter,
  matchesPatternFilter,
  type ResourcePattern,
} from "./acl-bindings.ts";

export interface AuthorizerOptions {
  /** Principals allowed everything, e.g. ["User:admin", "User:broker"]. */
  superUsers?: readonly string[];
  /** Kafka's allow.everyone.if.no.acl.found (default false). */
  allowEveryoneIfNoAclFound?: boolean;
  /** Memoized decisions kept before the memo is emptied (default 100,000). */
  maxCachedDecisions?: number;
}

/** One authorization question. */
export interface AuthorizationRequest {
  /** "User:alice", "User:ANONYMOUS", "User:CN=…". */
  principal: string;
  /** The client's IP address as text. */
  host: string;
  operation: number;
  resourceType: number;
  resourceName: string;
}

interface TypeIndex {
  literal: Map<string, readonly AccessControlEntry[]>;
  prefixed: Map<string, readonly AccessControlEntry[]>;
}

/** Resource names Kafka probes when asking "may this principal do X to any resource of a type". */
const ANY_RESOURCE_PROBE = "hardcode";

export class AclAuthorizer {
  readonly #superUsers: ReadonlySet<string>;
  readonly #allowEveryoneIfNoAclFound: boolean;
  readonly #maxCachedDecisions: number;
  readonly #byType = new Map<number, TypeIndex>();
  #decisions = new Map<string, boolean>();
  #aclCount = 0;

  constructor(options: AuthorizerOptions = {}) {
    this.#superUsers = new Set(options.superUsers ?? []);
    this.#allowEveryoneIfNoAclFound = options.allowEveryoneIfNoAclFound ?? false;
    this.#maxCachedDecisions = options.maxCachedDecisions ?? 100_000;
  }

  /** Number of stored entries (for metrics and logs). */
  get aclCount(): number {
    return this.#aclCount;
  }

  isSuperUser(principal: string): boolean {
    return this.#superUsers.has(principal);
  }

  /** Replace the entries of one resource pattern (an empty list removes the pattern). */
  setAcls(pattern: ResourcePattern, entries: readonly AccessControlEntry[]): void {
    const index = this.#typeIndex(pattern.resourceType);
    const map = pattern.patternType === PatternType.Prefixed ? index.prefixed : index.literal;
    this.#aclCount += entries.length - (map.get(pattern.resourceName)?.length ?? 0);
    if (entries.length === 0) map.delete(pattern.resourceName);
    else map.set(pattern.resourceName, [...entries]);
    this.#decisions = new Map();
  }

  /** The entries stored for exactly this pattern. */
  getAcls(pattern: ResourcePattern): readonly AccessControlEntry[] {
    const index = this.#byType.get(pattern.resourceType);
    const map = pattern.patternType === PatternType.Prefixed ? index?.prefixed : index?.literal;
    return map?.get(pattern.resourceName) ?? [];
  }

  /** Forget every ACL (before a full reload). */
  clear(): void {
    this.#byType.clear();
    this.#aclCount = 0;
    this.#decisions = new Map();
  }

  /** Every stored binding that matches the filter (DescribeAcls, DeleteAcls). */
  acls(filter: AclBindingFilter): AclBinding[] {
    const result: AclBinding[] = [];
    for (const [resourceType, index] of this.#byType) {
      for (
        const [patternType, map] of [[PatternType.Literal, index.literal], [
          PatternType.Prefixed,
          index.prefixed,
        ]] as const
      ) {
        for (const [resourceName, entries] of map) {
          const pattern = { resourceType, resourceName, patternType };
          if (!matchesPatternFilter(pattern, filter)) continue;
          for (const entry of entries) {
            if (matchesEntryFilter(entry, filter)) result.push({ ...pattern, ...entry });
          }
        }
      }
    }
    return result;
  }

  /** Kafka's Authorizer.authorize for one action. */
  authorize(request: AuthorizationRequest): boolean {
    if (this.#superUsers.has(request.principal)) return true;
    const key =
      `${request.resourceType}\0${request.resourceName}\0${request.operation}\0${request.principal}\0${request.host}`;
    const known = this.#decisions.get(key);
    if (known !== undefined) return known;
    const decision = this.#decide(request);
    if (this.#decisions.size >= this.#maxCachedDecisions) this.#decisions = new Map();
    this.#decisions.set(key, decision);
    return decision;
  }

  /**
   * May the principal do `operation` on at least one resource of the type? (Kafka's
   * authorizeByResourceType: e.g. InitProducerId without a transactional id needs Write on
   * some topic.) An ALLOW counts unless a DENY covers everything it allows.
   */
  authorizeAny(principal: string, host: string, operation: number, resourceType: number): boolean {
    // Kafka probes a made-up literal name first: super users, and "*"-wide ALLOWs without a DENY.
    if (this.authorize({ principal, host, operation, resourceType, resourceName: ANY_RESOURCE_PROBE })) {
      return true;
    }
    const index = this.#byType.get(resourceType);
    if (index === undefined) return false;
    const applies = (entry: AccessControlEntry) =>
      (entry.principal === principal || entry.principal === WILDCARD_PRINCIPAL) &&
      (entry.host === host || entry.host === WILDCARD_HOST) &&
      (entry.operation === operation || entry.operation === AclOperation.All);
    const denyLiterals = new Set<string>();
    const denyPrefixes = new Set<string>();
    const allowLiterals: string[] = [];
    const allowPrefixes: string[] = [];
    for (const [name, entries] of index.literal) {
      for (const entry of entries) {
        if (!applies(entry)) continue;
        if (entry.permissionType === AclPermission.Deny) {
          if (name === WILDCARD_RESOURCE) return false;
          denyLiterals.add(name);
        } else if (entry.permissionType === AclPermission.Allow) {
          if (name === WILDCARD_RESOURCE) return true;
          allowLiterals.push(name);
        }
      }
    }
    for (const [name, entries] of index.prefixed) {
      for (const entry of entries) {
        if (!applies(entry)) continue;
        if (entry.permissionType === AclPermission.Deny) denyPrefixes.add(name);
        else if (entry.permissionType === AclPermission.Allow) allowPrefixes.push(name);
      }
    }
    const deniedByPrefix = (name: string) => {
      for (let length = 1; length <= name.length; length++) {
        if (denyPrefixes.has(name.slice(0, length))) return true;
      }
      return false;
    };
    return allowLiterals.some((name) => !denyLiterals.has(name) && !deniedByPrefix(name)) ||
      allowPrefixes.some((name) => !deniedByPrefix(name));
  }

  #decide(request: AuthorizationRequest): boolean {
    const matching = this.#matchingAcls(request.resourceType, request.resourceName);
    if (matching.length === 0) return this.#allowEveryoneIfNoAclFound;
    const { principal, host, operation } = request;
    const applies = (entry: AccessControlEntry, permission: number, operations: readonly number[]) =>
      entry.permissionType === permission &&
      (entry.principal === principal || entry.principal === WILDCARD_PRINCIPAL) &&
      (entry.host === host || entry.host === WILDCARD_HOST) &&
      (entry.operation === AclOperation.All || operations.includes(entry.operation));
    const denyOperations = [operation];
    const allowOperations = impliedBy(operation);
    let allowed = false;
    for (const entries of matching) {
      for (const entry of entries) {
        if (applies(entry, AclPermission.Deny, denyOperations)) return false;
        if (!allowed && applies(entry, AclPermission.Allow, allowOperations)) allowed = true;
      }
    }
    return allowed;
  }

  /** The entry lists that apply to a resource: exact literal, literal "*", and every matching prefix. */
  #matchingAcls(resourceType: number, resourceName: string): (readonly AccessControlEntry[])[] {
    const index = this.#byType.get(resourceType);
    if (index === undefined) return [];
    const lists: (readonly AccessControlEntry[])[] = [];
    const exact = index.literal.get(resourceName);
    if (exact) lists.push(exact);
    const wildcard = resourceName === WILDCARD_RESOURCE ? undefined : index.literal.get(WILDCARD_RESOURCE);
    if (wildcard) lists.push(wildcard);
    if (index.prefixed.size > 0) {
      // Whichever is shorter: the name's prefixes, or the stored prefixes.
      if (index.prefixed.size < resourceName.length) {
        for (const [prefix, entries] of index.prefixed) {
          if (resourceName.startsWith(prefix)) lists.push(entries);
        }
      } else {
        for (let length = 1; length <= resourceName.length; length++) {
          const entries = index.prefixed.get(resourceName.slice(0, length));
          if (entries) lists.push(entries);
        }
      }
    }
    return lists;
  }

  #typeIndex(resourceType: number): TypeIndex {
    let index = this.#byType.get(resourceType);
    if (index === undefined) {
      index = { literal: new Map(), prefixed: new Map() };
      this.#byType.set(resourceType, index);
    }
    return index;
  }
}

const IMPLIED_BY_DESCRIBE = [
  AclOperation.Describe,
  AclOperation.Read,
  AclOperation.Write,
  AclOperation.Delete,
  AclOperation.Alter,
];
const IMPLIED_BY_DESCRIBE_CONFIGS = [AclOperation.DescribeConfigs, AclOperation.AlterConfigs];

/** The ALLOWed operations that grant `operation` (itself, plus Kafka's implications). */
function impliedBy(operation: number): readonly number[] {
  if (operation === AclOperation.Describe) return IMPLIED_BY_DESCRIBE;
  if (operation === AclOperation.DescribeConfigs) return IMPLIED_BY_DESCRIBE_CONFIGS;
  return [operation];
}
