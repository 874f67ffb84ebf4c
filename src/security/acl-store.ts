/**
 * ACLs in the coordinator (layout in acl-znodes.ts): the cache that keeps a broker's
 * AclAuthorizer current, and the writes behind CreateAcls, DeleteAcls and `vltava acl`.
 *
 * The cache follows Kafka's design: read every ACL node once, then watch the two change
 * notification directories and, for each new notification, re-read only the one resource
 * pattern it names. Before the full read it notes the newest notification, so a change made
 * during the read is either in the read or announced after it (re-reading is harmless).
 * Notifications older than `changeExpirationMs` (Kafka: 15 minutes) are deleted by whichever
 * broker sees them. A read that fails schedules one full reload (its watch is lost); the owner
 * also reloads after a new coordinator session.
 *
 * Writes are compare-and-set on the ACL node's version, retried on a lost race, followed by a
 * change notification. An ACL node left with no entries is deleted.
 *
 * @example
 * ```ts
 * const authorizer = new AclAuthorizer({ superUsers: ["User:admin"] });
 * const cache = await AclCache.start(coordination, authorizer, console.error);
 * await createAcls(coordination, [{ resourceType: 2, resourceName: "orders", patternType: 3,
 *   principal: "User:alice", host: "*", operation: 4, permissionType: 3 }]);
 * ```
 */
import { BadVersionError, type Coordination, NodeExistsError } from "../broker/coordination.ts";
import { PatternType } from "../kafka/acl.ts";
import type { AclAuthorizer } from "./acl-authorizer.ts";
import {
  type AccessControlEntry,
  type AclBinding,
  type AclBindingFilter,
  matchesFilter,
  matchesPatternFilter,
  patternKey,
  type ResourcePattern,
  sameEntry,
} from "./acl-bindings.ts";
import {
  ACL_CHANGE_PREFIX,
  aclChangesPath,
  aclPath,
  aclTypePath,
  changeSequence,
  decodeAclChange,
  decodeAcls,
  encodeAclChange,
  encodeAcls,
  EXTENDED_ACL_CHANGES_PATH,
  LITERAL_ACL_CHANGES_PATH,
  STORED_RESOURCE_TYPES,
} from "./acl-znodes.ts";
import { WatchFedUpdates } from "./watch-fed-cache.ts";

const PATTERN_TYPES = [PatternType.Literal, PatternType.Prefixed] as const;
const CHANGE_PATHS = [LITERAL_ACL_CHANGES_PATH, EXTENDED_ACL_CHANGES_PATH] as const;
/** ACL nodes read at once during a full load. */
const LOAD_CONCURRENCY = 32;
/** Attempts of one compare-and-set write before giving up. */
const MAX_WRITE_ATTEMPTS = 10;
/** Kafka's ZkNodeChangeNotificationListener keeps notifications this long. */
const DEFAULT_CHANGE_EXPIRATION_MS = 15 * 60 * 1000;

export interface AclCacheOptions {
  /** Delete notifications older than this (default 15 minutes, as Kafka). */
  changeExpirationMs?: number;
  /** The clock to age notifications by (tests). */
  nowMs?: () => number;
}

export class AclCache {
  readonly #coordination: Coordination;
  readonly #authorizer: AclAuthorizer;
  readonly #log: (line: string) => void;
  readonly #changeExpirationMs: number;
  readonly #nowMs: () => number;
  readonly #updates: WatchFedUpdates;
  /** Per change directory: the newest notification already applied. */
  readonly #applied = new Map<string, number>();
  /** Creation time of each notification present, so ageing them needs no re-read. */
  readonly #createdMs = new Map<string, number>();

  private constructor(
    coordination: Coordination,
    authorizer: AclAuthorizer,
    log: (line: string) => void,
    options: AclCacheOptions,
  ) {
    this.#coordination = coordination;
    this.#authorizer = authorizer;
    this.#log = log;
    this.#changeExpirationMs = options.changeExpirationMs ?? DEFAULT_CHANGE_EXPIRATION_MS;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#updates = new WatchFedUpdates("ACL cache", log, () => this.reload());
  }

  /** Load every ACL into `authorizer` and start following changes. */
  static async start(
    coordination: Coordination,
    authorizer: AclAuthorizer,
    log: (line: string) => void,
    options: AclCacheOptions = {},
  ): Promise<AclCache> {
    const cache = new AclCache(coordination, authorizer, log, options);
    for (const path of CHANGE_PATHS) await coordination.ensurePath(path);
    await cache.reload();
    return cache;
  }

  /** Re-read every ACL (at start, after a new coordinator session, to repair a failed read). */
  async reload(): Promise<void> {
    await this.#updates.enqueue(async () => {
      this.#updates.releaseAll();
      // Note the newest notification first: anything announced later is applied after the read.
      for (const path of CHANGE_PATHS) {
        const nodes = await this.#listChanges(path);
        this.#applied.set(path, Math.max(-1, ...nodes.map((node) => changeSequence(node) ?? -1)));
      }
      const stored = await readAllAcls(
        this.#coordination,
        (path, error) => this.#log(`ignoring ${path}: ${error.message}`),
      );
      this.#authorizer.clear();
      for (const { pattern, entries } of stored.values()) this.#authorizer.setAcls(pattern, entries);
    });
    // Age the notifications that were already there, so old ones get purged without a new change.
    for (const path of CHANGE_PATHS) this.#changesAnnounced(path);
  }

  close(): void {
    this.#updates.close();
  }

  #listChanges(path: string): Promise<string[]> {
    const watch = this.#updates.watcher(path, () => this.#changesAnnounced(path));
    return this.#coordination.getChildren(path, watch).then((nodes) => nodes ?? []);
  }

  #changesAnnounced(path: string): void {
    this.#updates.enqueue(async () => {
      const sequenced = (await this.#listChanges(path)).flatMap((node) => {
        const sequence = changeSequence(node);
        return sequence === undefined ? [] : [{ node, sequence }];
      }).sort((a, b) => a.sequence - b.sequence);
      const present = new Set(sequenced.map(({ node }) => `${path}/${node}`));
      for (const known of this.#createdMs.keys()) {
        if (known.startsWith(`${path}/`) && !present.has(known)) this.#createdMs.delete(known);
      }
      for (const { node, sequence } of sequenced) {
        const notificationPath = `${path}/${node}`;
        const applied = this.#applied.get(path) ?? -1;
        let createdMs = this.#createdMs.get(notificationPath);
        // Read a notification once: to apply it when new, or to learn its age when it predates us.
        if (sequence > applied || createdMs === undefined) {
          const notification = await this.#coordination.getData(notificationPath);
          if (notification === null) continue; // purged by another broker meanwhile
          createdMs = notification.createdMs;
          this.#createdMs.set(notificationPath, createdMs);
          if (sequence > applied) {
            await this.#applyNotification(path, node, notification.data);
            this.#applied.set(path, sequence);
          }
        }
        if (this.#nowMs() - createdMs > this.#changeExpirationMs) {
          await this.#coordination.multi([{ op: "delete", path: notificationPath }]).catch(() => {
            // Another broker deleted it first; either way it is gone.
          });
          this.#createdMs.delete(notificationPath);
        }
      }
    });
  }

  async #applyNotification(path: string, node: string, data: Uint8Array): Promise<void> {
    let pattern: ResourcePattern;
    try {
      pattern = decodeAclChange(path, data);
    } catch (error) {
      // A malformed notification names nothing we can re-read; skip it, as Kafka does.
      this.#log(`ignoring ${path}/${node}: ${(error as Error).message}`);
      return;
    }
    const found = await this.#coordination.getData(aclPath(pattern));
    let entries: AccessControlEntry[] = [];
    if (found !== null) {
      try {
        entries = decodeAcls(aclPath(pattern), found.data);
      } catch (error) {
        // A broken ACL node grants nothing (deny by default) until someone rewrites it.
        this.#log(`ignoring ${aclPath(pattern)}: ${(error as Error).message}`);
      }
    }
    this.#authorizer.setAcls(pattern, entries);
  }
}

/** One stored pattern and its entries. */
export interface StoredAcls {
  pattern: ResourcePattern;
  entries: AccessControlEntry[];
}

/**
 * Every ACL node, keyed by patternKey. A node that does not parse is reported to `onInvalid`
 * and left out (it grants nothing).
 */
export async function readAllAcls(
  coordination: Coordination,
  onInvalid: (path: string, error: Error) => void = () => {},
): Promise<Map<string, StoredAcls>> {
  const patterns: ResourcePattern[] = [];
  for (const patternType of PATTERN_TYPES) {
    for (const resourceType of STORED_RESOURCE_TYPES) {
      const names = await coordination.getChildren(aclTypePath(patternType, resourceType)) ?? [];
      for (const resourceName of names) patterns.push({ resourceType, resourceName, patternType });
    }
  }
  const result = new Map<string, StoredAcls>();
  for (let at = 0; at < patterns.length; at += LOAD_CONCURRENCY) {
    const batch = patterns.slice(at, at + LOAD_CONCURRENCY);
    const nodes = await Promise.all(batch.map((pattern) => coordination.getData(aclPath(pattern))));
    batch.forEach((pattern, i) => {
      const node = nodes[i];
      if (node === null) return; // deleted between the listing and the read
      try {
        result.set(patternKey(pattern), { pattern, entries: decodeAcls(aclPath(pattern), node.data) });
      } catch (error) {
        onInvalid(aclPath(pattern), error as Error);
      }
    });
  }
  return result;
}

/** Every stored binding, flattened (for listings). */
export function bindingsOf(stored: Map<string, StoredAcls>): AclBinding[] {
  return [...stored.values()].flatMap(({ pattern, entries }) =>
    entries.map((entry) => ({ ...pattern, ...entry }))
  );
}

/**
 * Store bindings (already validated: see invalidBindingReason). One write per resource
 * pattern; entries already present are kept once. Resolves to one error message (or
 * undefined) per binding, in order.
 */
export async function createAcls(
  coordination: Coordination,
  bindings: readonly AclBinding[],
  onWritten?: WrittenListener,
): Promise<(string | undefined)[]> {
  const groups = groupByPattern(bindings);
  const errors = new Map<string, string>();
  for (const { pattern, entries } of groups.values()) {
    try {
      await updatePatternAcls(coordination, pattern, onWritten, (current) => {
        const added = entries.filter((entry, i) =>
          !current.some((existing) => sameEntry(existing, entry)) &&
          entries.findIndex((other) => sameEntry(other, entry)) === i
        );
        return added.length === 0 ? undefined : [...current, ...added];
      });
    } catch (error) {
      errors.set(patternKey(pattern), (error as Error).message);
    }
  }
  return bindings.map((binding) => errors.get(patternKey(binding)));
}

/**
 * Delete every stored binding that matches a filter. `candidates` are the bindings known to
 * exist (a broker's cache, or readAllAcls for a tool); each affected node is re-read and
 * changed with compare-and-set, so what is reported deleted is what was in the node. Resolves
 * to, per filter, the bindings it deleted.
 */
export async function deleteAcls(
  coordination: Coordination,
  filters: readonly AclBindingFilter[],
  candidates: readonly AclBinding[],
  onWritten?: WrittenListener,
): Promise<AclBinding[][]> {
  const patterns = new Map<string, ResourcePattern>();
  for (const binding of candidates) {
    if (filters.some((filter) => matchesPatternFilter(binding, filter))) {
      patterns.set(patternKey(binding), {
        resourceType: binding.resourceType,
        resourceName: binding.resourceName,
        patternType: binding.patternType,
      });
    }
  }
  const deleted: AclBinding[][] = filters.map(() => []);
  for (const pattern of patterns.values()) {
    let removed: AclBinding[] = [];
    await updatePatternAcls(coordination, pattern, onWritten, (current) => {
      removed = [];
      const kept = current.filter((entry) => {
        const binding = { ...pattern, ...entry };
        const matched = filters.some((filter) => matchesFilter(binding, filter));
        if (matched) removed.push(binding);
        return !matched;
      });
      return removed.length === 0 ? undefined : kept;
    });
    for (const binding of removed) {
      filters.forEach((filter, i) => {
        if (matchesFilter(binding, filter)) deleted[i].push(binding);
      });
    }
  }
  return deleted;
}

function groupByPattern(bindings: readonly AclBinding[]): Map<string, StoredAcls> {
  const groups = new Map<string, StoredAcls>();
  for (const binding of bindings) {
    const key = patternKey(binding);
    let group = groups.get(key);
    if (group === undefined) {
      const { resourceType, resourceName, patternType } = binding;
      group = { pattern: { resourceType, resourceName, patternType }, entries: [] };
      groups.set(key, group);
    }
    const { principal, host, operation, permissionType } = binding;
    group.entries.push({ principal, host, operation, permissionType });
  }
  return groups;
}

/**
 * Told what a pattern's entries became after a write: the broker that wrote applies it to its
 * own authorizer at once (as Kafka's AclAuthorizer does), without waiting for the notification.
 */
export type WrittenListener = (pattern: ResourcePattern, entries: readonly AccessControlEntry[]) => void;

/**
 * Compare-and-set one ACL node: `change` gets the current entries ([] when there is no node)
 * and returns the new ones, or undefined to leave the node alone. Empty → the node is deleted.
 * Every change is announced with a notification.
 */
async function updatePatternAcls(
  coordination: Coordination,
  pattern: ResourcePattern,
  onWritten: WrittenListener | undefined,
  change: (entries: AccessControlEntry[]) => AccessControlEntry[] | undefined,
): Promise<void> {
  const path = aclPath(pattern);
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const current = await coordination.getData(path);
    const next = change(current === null ? [] : decodeAcls(path, current.data));
    if (next === undefined) return;
    try {
      if (current === null) {
        await coordination.ensurePath(aclTypePath(pattern.patternType, pattern.resourceType));
        await coordination.create(path, encodeAcls(next));
      } else if (next.length === 0) {
        await coordination.multi([{ op: "delete", path, version: current.version }]);
      } else {
        await coordination.setData(path, encodeAcls(next), current.version);
      }
    } catch (error) {
      if (error instanceof BadVersionError || error instanceof NodeExistsError) continue; // lost a race: again
      throw error;
    }
    const changes = aclChangesPath(pattern.patternType);
    await coordination.ensurePath(changes);
    await coordination.createSequential(`${changes}/${ACL_CHANGE_PREFIX}`, encodeAclChange(pattern));
    onWritten?.(pattern, next);
    return;
  }
  throw new Error(`Could not update ${path}: it kept changing under ${MAX_WRITE_ATTEMPTS} attempts`);
}
