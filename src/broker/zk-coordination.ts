/**
 * Coordination over the project's ZooKeeper client (src/zk/client): works against the built-in
 * coordinator or a real ZooKeeper ensemble; the connect string may carry a chroot
 * (`host:port/vltava`). KeeperError codes the broker acts on become typed errors. With
 * coordinator credentials the session authenticates (digest) and every node created through it
 * gets the ACL coordinator-acls.ts decides (Kafka's zookeeper.set.acl): set as the client's
 * defaultAcl, so it holds also for what the controller, the election recipe and the ACL and
 * credential stores create through `client` directly, not only for the methods here.
 *
 * It owns the broker's one session, and outlives it: the client re-attaches the same session
 * after a lost connection by itself, but an expired session is gone for good (its ephemeral
 * nodes with it), so this opens a new one — retrying, with a bounded backoff, for as long as the
 * coordinator stays away — and tells the broker ("expired", then "renewed") so that it can
 * register again. Every operation goes to the current session; the few made on the expired one
 * fail with SESSIONEXPIRED, which their callers already treat as "try again later".
 */
import { parseConnectString, ZooKeeperClient } from "../zk/client/mod.ts";
import { ErrorCode, KeeperError } from "../zk/protocol/mod.ts";
import { type CoordinatorAuth, znodeAcl } from "./coordinator-acls.ts";
import {
  BadVersionError,
  type Coordination,
  type MultiOp,
  NodeExistsError,
  type SessionChange,
  type VersionedData,
} from "./coordination.ts";

const isCode = (error: unknown, code: number) => error instanceof KeeperError && error.code === code;

export interface CoordinationOptions {
  /** Digest credentials: the session authenticates and protects what it creates. */
  auth?: CoordinatorAuth;
  /** Where session renewal reports go (stderr by default). */
  log?: (message: string) => void;
}

/** Connect a session; rejects when no server answers within connectTimeoutMs. */
export async function connectCoordination(
  connectString: string,
  sessionTimeoutMs: number,
  connectTimeoutMs = 30_000,
  options: CoordinationOptions = {},
): Promise<Coordination> {
  let parsed;
  try {
    parsed = parseConnectString(connectString);
  } catch (error) {
    throw new RangeError(`Bad coordinator connect string: ${(error as Error).message}`);
  }
  const { auth, log = (message: string) => console.error(message) } = options;
  const open = async () => {
    try {
      if (parsed.chroot !== "") await ensureChroot(connectString, parsed.chroot, connectTimeoutMs, auth);
      const client = await ZooKeeperClient.connect(connectString, {
        sessionTimeoutMs,
        connectTimeoutMs,
        defaultAcl: (path) => znodeAcl(path, auth),
      });
      // Replayed by the client after every reconnect, so the identity survives connection loss.
      if (auth !== undefined) await client.addAuth("digest", `${auth.user}:${auth.password}`);
      return client;
    } catch (error) {
      throw new Error(
        `Cannot reach the coordinator at ${connectString} (is one running? start it with: vltava coordinator start): ${
          (error as Error).message
        }`,
      );
    }
  };
  return new ZkCoordination(await open(), open, log);
}

/** First and largest pause between attempts to open a new session after an expiry. */
const RENEW_BACKOFF_MS = { first: 250, max: 5_000 };

/** Create the chroot itself (as Kafka does), through a short session without the chroot. */
async function ensureChroot(
  connectString: string,
  chroot: string,
  connectTimeoutMs: number,
  auth: CoordinatorAuth | undefined,
): Promise<void> {
  const root = connectString.slice(0, connectString.indexOf("/"));
  await using client = await ZooKeeperClient.connect(root, { connectTimeoutMs });
  if (auth !== undefined) await client.addAuth("digest", `${auth.user}:${auth.password}`);
  await client.mkdirp(chroot, undefined, (path) => znodeAcl(path, auth));
}

class ZkCoordination implements Coordination {
  #client: ZooKeeperClient;
  readonly #open: () => Promise<ZooKeeperClient>;
  readonly #log: (message: string) => void;
  readonly #listeners: ((change: SessionChange) => void)[] = [];
  #renewing: Promise<void> | null = null;
  #closed = false;

  constructor(
    client: ZooKeeperClient,
    open: () => Promise<ZooKeeperClient>,
    log: (message: string) => void,
  ) {
    this.#client = client;
    this.#open = open;
    this.#log = log;
    this.#followExpiry(client);
  }

  get client(): ZooKeeperClient {
    return this.#client;
  }

  #followExpiry(client: ZooKeeperClient): void {
    const unsubscribe = client.sessionEvents.subscribe((event) => {
      if (event.type === "closed") unsubscribe();
      if (event.type !== "expired") return;
      unsubscribe();
      if (this.#closed || client !== this.#client) return;
      this.#emit("expired");
      this.#renewing ??= this.#renew().finally(() => this.#renewing = null);
    });
  }

  /** Open a new session, as long as it takes (or until closed); then say so. */
  async #renew(): Promise<void> {
    const expired = this.#client;
    // Its requests already failed; closing only releases its timers.
    await expired.close().catch(() => {});
    let backoffMs = RENEW_BACKOFF_MS.first;
    for (let attempt = 1; !this.#closed; attempt++) {
      let client: ZooKeeperClient;
      try {
        client = await this.#open();
      } catch (error) {
        // Logged once and then every tenth attempt: the coordinator may stay away for long.
        if (attempt === 1 || attempt % 10 === 0) {
          this.#log(
            `cannot open a new coordinator session yet (attempt ${attempt}): ${(error as Error).message}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, RENEW_BACKOFF_MS.max);
        continue;
      }
      if (this.#closed) {
        await client.close();
        return;
      }
      this.#client = client;
      this.#followExpiry(client);
      this.#emit("renewed");
      return;
    }
  }

  #emit(change: SessionChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        // A listener's bug must not stop the others or the renewal: report it.
        this.#log(`session listener failed: ${(error as Error).stack}`);
      }
    }
  }

  onSessionChange(listener: (change: SessionChange) => void): void {
    this.#listeners.push(listener);
  }

  ensurePath(path: string): Promise<void> {
    return this.#client.mkdirp(path);
  }

  create(path: string, data: Uint8Array): Promise<void> {
    return this.#create(path, data, false);
  }

  createEphemeral(path: string, data: Uint8Array): Promise<void> {
    return this.#create(path, data, true);
  }

  async #create(path: string, data: Uint8Array, ephemeral: boolean): Promise<void> {
    try {
      await this.#client.create(path, data, { ephemeral });
    } catch (error) {
      if (isCode(error, ErrorCode.nodeExists)) throw new NodeExistsError(path);
      throw error;
    }
  }

  createSequential(prefix: string, data: Uint8Array): Promise<string> {
    return this.#client.create(prefix, data, { sequential: true });
  }

  async put(path: string, data: Uint8Array): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.getData(path);
      try {
        if (current === null) await this.create(path, data);
        else await this.setData(path, data, current.version);
        return;
      } catch (error) {
        if (!(error instanceof NodeExistsError || error instanceof BadVersionError)) throw error;
      }
    }
    throw new Error(`Could not write ${path}: too many concurrent writers`);
  }

  async getData(path: string, watch?: () => void): Promise<VersionedData | null> {
    try {
      const { data, stat } = await this.#client.getData(path, watch ? () => watch() : undefined);
      return { data: data ?? new Uint8Array(), version: stat.version, createdMs: stat.ctime };
    } catch (error) {
      if (isCode(error, ErrorCode.noNode)) return null;
      throw error;
    }
  }

  async setData(path: string, data: Uint8Array, version: number): Promise<void> {
    try {
      await this.#client.setData(path, data, version);
    } catch (error) {
      if (isCode(error, ErrorCode.badVersion)) throw new BadVersionError(path);
      throw error;
    }
  }

  async getChildren(path: string, watch?: () => void): Promise<string[] | null> {
    try {
      return await this.#client.getChildren(path, watch ? () => watch() : undefined);
    } catch (error) {
      if (isCode(error, ErrorCode.noNode)) return null;
      throw error;
    }
  }

  deleteRecursive(path: string): Promise<void> {
    return this.#client.deleteRecursive(path);
  }

  async multi(ops: MultiOp[]): Promise<void> {
    const transaction = this.#client.transaction();
    for (const op of ops) {
      if (op.op === "create") transaction.create(op.path, op.data);
      else if (op.op === "setData") transaction.setData(op.path, op.data, op.version);
      else transaction.delete(op.path, op.version ?? -1);
    }
    try {
      await transaction.commit();
    } catch (error) {
      const path = (error as KeeperError).path ?? ops[0]?.path ?? "/";
      if (isCode(error, ErrorCode.nodeExists)) throw new NodeExistsError(path);
      if (isCode(error, ErrorCode.badVersion)) throw new BadVersionError(path);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#client.close();
    await this.#renewing;
  }
}
