/**
 * SCRAM credentials in the coordinator (`/config/users/<name>`, see user-znodes.ts): a cache
 * for the broker's authenticators, kept current by watches, and the writes that manage users.
 *
 * The cache reads every user once at start, then follows changes through watches: a child
 * watch on /config/users (users added or removed) and a data watch per user (credentials
 * changed). An event re-reads only what it names, so the cost follows the change, not the
 * number of users. Events are applied one at a time, in order. A read that fails (the
 * coordinator connection dropped under it) loses its watch, so a failure schedules one full
 * reload instead of leaving the cache stale; the owner also calls reload() after a new
 * coordinator session.
 *
 * Writes are read-modify-write with the znode version (compare-and-set), retried on a lost
 * race, so two admins changing one user's mechanisms at once both land.
 *
 * @example
 * ```ts
 * const store = await ScramCredentialStore.start(coordination, console.error);
 * const credential = store.lookup("alice", "SCRAM-SHA-512");
 * await upsertScramCredential(coordination, "bob", "SCRAM-SHA-256", await createScramCredential(SCRAM_SHA_256, "pw", 4096));
 * ```
 */
import { BadVersionError, type Coordination, NodeExistsError } from "../broker/coordination.ts";
import type { CredentialLookup } from "./sasl.ts";
import { WatchFedUpdates } from "./watch-fed-cache.ts";
import { formatScramCredential, type ScramCredential } from "./scram.ts";
import {
  credentialsOf,
  decodeUserConfig,
  desanitizeUserName,
  encodeUserConfig,
  sanitizeUserName,
  type ScramCredentialMechanism,
  type UserConfig,
  userConfigPath,
  USERS_CONFIG_PATH,
} from "./user-znodes.ts";

/** Users read at once during a full load. */
const LOAD_CONCURRENCY = 32;
/** Attempts of one compare-and-set write before giving up. */
const MAX_WRITE_ATTEMPTS = 10;

/** What a user has: mechanism → iterations (never keys). */
export interface UserCredentialInfo {
  user: string;
  mechanisms: { mechanism: ScramCredentialMechanism; iterations: number }[];
}

export class ScramCredentialStore {
  readonly #coordination: Coordination;
  readonly #log: (line: string) => void;
  readonly #updates: WatchFedUpdates;
  /** sanitized node name → credentials. */
  #users = new Map<string, Map<ScramCredentialMechanism, ScramCredential>>();

  private constructor(coordination: Coordination, log: (line: string) => void) {
    this.#coordination = coordination;
    this.#log = log;
    this.#updates = new WatchFedUpdates("credential cache", log, () => this.reload());
  }

  /** Load every user and start following changes. */
  static async start(coordination: Coordination, log: (line: string) => void): Promise<ScramCredentialStore> {
    const store = new ScramCredentialStore(coordination, log);
    await coordination.ensurePath(USERS_CONFIG_PATH);
    await store.reload();
    return store;
  }

  /** The credential of `user` for `mechanism`, from the cache (no I/O). */
  readonly lookup: CredentialLookup = (user, mechanism) =>
    this.#users.get(sanitizeUserName(user))?.get(mechanism);

  /** Users with at least one credential, sorted, with their mechanisms and iteration counts. */
  describe(): UserCredentialInfo[] {
    const result: UserCredentialInfo[] = [];
    for (const [node, credentials] of this.#users) {
      if (credentials.size === 0) continue;
      result.push({ user: desanitizeUserName(node), mechanisms: mechanismsOf(credentials) });
    }
    return result.sort((a, b) => a.user < b.user ? -1 : a.user > b.user ? 1 : 0);
  }

  /** Re-read everything (at start, after a new coordinator session, to repair a failed read). */
  reload(): Promise<void> {
    return this.#updates.enqueue(async () => {
      this.#updates.releaseAll();
      const nodes = await this.#listUsers();
      const users = new Map<string, Map<ScramCredentialMechanism, ScramCredential>>();
      for (let at = 0; at < nodes.length; at += LOAD_CONCURRENCY) {
        const batch = nodes.slice(at, at + LOAD_CONCURRENCY);
        const loaded = await Promise.all(batch.map((node) => this.#readUser(node)));
        batch.forEach((node, i) => {
          if (loaded[i] !== undefined) users.set(node, loaded[i]!);
        });
      }
      this.#users = users;
    });
  }

  close(): void {
    this.#updates.close();
  }

  #listUsers(): Promise<string[]> {
    const watch = this.#updates.watcher(USERS_CONFIG_PATH, () => this.#childrenChanged());
    return this.#coordination.getChildren(USERS_CONFIG_PATH, watch).then((nodes) => nodes ?? []);
  }

  #childrenChanged(): void {
    this.#updates.enqueue(async () => {
      const nodes = new Set(await this.#listUsers());
      for (const node of this.#users.keys()) if (!nodes.has(node)) this.#users.delete(node);
      for (const node of nodes) {
        if (this.#users.has(node)) continue;
        const credentials = await this.#readUser(node);
        if (credentials !== undefined) this.#users.set(node, credentials);
      }
    });
  }

  #userChanged(node: string): void {
    this.#updates.enqueue(async () => {
      const credentials = await this.#readUser(node);
      if (credentials === undefined) this.#users.delete(node);
      else this.#users.set(node, credentials);
    });
  }

  /** Read one user with a data watch; undefined when the node is gone. */
  async #readUser(node: string): Promise<Map<ScramCredentialMechanism, ScramCredential> | undefined> {
    const path = `${USERS_CONFIG_PATH}/${node}`;
    const found = await this.#coordination.getData(
      path,
      this.#updates.watcher(path, () => this.#userChanged(node)),
    );
    if (found === null) {
      this.#updates.release(path);
      return undefined;
    }
    let config: UserConfig;
    try {
      config = decodeUserConfig(node, found.data);
    } catch (error) {
      // A broken znode must not stop the broker; that user simply cannot log in until fixed.
      this.#log(`ignoring ${path}: ${(error as Error).message}`);
      return new Map();
    }
    return credentialsOf(
      config,
      (mechanism, error) => this.#log(`ignoring ${mechanism} of ${path}: ${error.message}`),
    );
  }
}

function mechanismsOf(credentials: Map<ScramCredentialMechanism, ScramCredential>) {
  return [...credentials].map(([mechanism, credential]) => ({ mechanism, iterations: credential.iterations }))
    .sort((a, b) => a.mechanism < b.mechanism ? -1 : 1);
}

/** Set (create or replace) one mechanism's credential of a user. */
export async function upsertScramCredential(
  coordination: Coordination,
  user: string,
  mechanism: ScramCredentialMechanism,
  credential: ScramCredential,
): Promise<void> {
  await changeUserCredentials(coordination, user, { set: [[mechanism, credential]] });
}

/**
 * Remove one mechanism's credential of a user; false when there was none. A user left with
 * no settings at all loses its znode.
 */
export async function deleteScramCredential(
  coordination: Coordination,
  user: string,
  mechanism: ScramCredentialMechanism,
): Promise<boolean> {
  const { missing } = await changeUserCredentials(coordination, user, { remove: [mechanism] });
  return missing.length === 0;
}

/** Credentials to set and mechanisms to remove for one user, applied together or not at all. */
export interface CredentialChanges {
  set?: [ScramCredentialMechanism, ScramCredential][];
  remove?: ScramCredentialMechanism[];
}

/**
 * Apply one user's changes in one compare-and-set write. When a mechanism to remove has no
 * credential, nothing is written and `missing` names it (AlterUserScramCredentials answers
 * RESOURCE_NOT_FOUND for the whole user).
 */
export async function changeUserCredentials(
  coordination: Coordination,
  user: string,
  changes: CredentialChanges,
): Promise<{ missing: ScramCredentialMechanism[] }> {
  let missing: ScramCredentialMechanism[] = [];
  await updateUserConfig(coordination, user, (config) => {
    missing = (changes.remove ?? []).filter((mechanism) => config[mechanism] === undefined);
    if (missing.length > 0) return undefined;
    const next: UserConfig = { ...config };
    for (const mechanism of changes.remove ?? []) delete next[mechanism];
    for (const [mechanism, credential] of changes.set ?? []) {
      next[mechanism] = formatScramCredential(credential);
    }
    return next;
  });
  return { missing };
}

/** Read one user's credential info straight from the coordinator (no cache). */
export async function readUserCredentials(
  coordination: Coordination,
  user: string,
): Promise<UserCredentialInfo | null> {
  const found = await coordination.getData(userConfigPath(user));
  if (found === null) return null;
  const credentials = credentialsOf(decodeUserConfig(user, found.data));
  return credentials.size === 0 ? null : { user, mechanisms: mechanismsOf(credentials) };
}

/**
 * Every user with credentials, straight from the coordinator, sorted. A node that does not
 * parse is reported to `onInvalid` and left out, so one broken node does not hide the rest.
 */
export async function listUserCredentials(
  coordination: Coordination,
  onInvalid: (user: string, error: Error) => void = () => {},
): Promise<UserCredentialInfo[]> {
  const nodes = await coordination.getChildren(USERS_CONFIG_PATH) ?? [];
  const users: UserCredentialInfo[] = [];
  const readOne = (user: string) =>
    readUserCredentials(coordination, user).catch((error) => {
      onInvalid(user, error as Error);
      return null;
    });
  for (let at = 0; at < nodes.length; at += LOAD_CONCURRENCY) {
    const batch = nodes.slice(at, at + LOAD_CONCURRENCY).map((node) => desanitizeUserName(node));
    for (const info of await Promise.all(batch.map(readOne))) {
      if (info !== null) users.push(info);
    }
  }
  return users.sort((a, b) => a.user < b.user ? -1 : a.user > b.user ? 1 : 0);
}

/**
 * Compare-and-set one user's config: `change` gets the current config ({} when there is none)
 * and returns the new one, or undefined to leave it alone. An empty result deletes the znode.
 */
async function updateUserConfig(
  coordination: Coordination,
  user: string,
  change: (config: UserConfig) => UserConfig | undefined,
): Promise<void> {
  const path = userConfigPath(user);
  await coordination.ensurePath(USERS_CONFIG_PATH);
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const current = await coordination.getData(path);
    const next = change(current === null ? {} : decodeUserConfig(user, current.data));
    if (next === undefined) return;
    try {
      if (current === null) {
        if (Object.keys(next).length > 0) await coordination.create(path, encodeUserConfig(next));
      } else if (Object.keys(next).length === 0) {
        await coordination.multi([{ op: "delete", path, version: current.version }]);
      } else {
        await coordination.setData(path, encodeUserConfig(next), current.version);
      }
      return;
    } catch (error) {
      if (!(error instanceof BadVersionError || error instanceof NodeExistsError)) throw error;
      // Someone else changed this user between our read and our write: read again.
    }
  }
  throw new Error(`Could not update ${path}: it kept changing under ${MAX_WRITE_ATTEMPTS} attempts`);
}
