/**
 * Coordination over the npm node-zookeeper-client (ZooKeeper wire protocol). A stopgap until the
 * project's own client (src/zk/client) lands; both speak to the built-in coordinator or a real
 * ZooKeeper, and the connect string may carry a chroot (`host:port/vltava`).
 */
import { Buffer } from "node:buffer";
import zookeeper from "node-zookeeper-client";
import {
  BadVersionError,
  type Coordination,
  type MultiOp,
  NodeExistsError,
  type VersionedData,
} from "./coordination.ts";

const NODE_EXISTS = -110;
const NO_NODE = -101;
const BAD_VERSION = -103;

interface ZkError {
  getCode(): number;
  message: string;
}
type Callback<T> = (error: ZkError | null, result: T, stat?: { version: number }) => void;
interface ZkStat {
  version: number;
}
interface ZkTransaction {
  create(path: string, data: Buffer, acls: unknown, mode: number): ZkTransaction;
  setData(path: string, data: Buffer, version: number): ZkTransaction;
  remove(path: string, version: number): ZkTransaction;
  commit(callback: (error: ZkError | null) => void): void;
}
interface ZkClient {
  connect(): void;
  close(): void;
  once(event: string, listener: () => void): void;
  on(event: string, listener: () => void): void;
  mkdirp(path: string, callback: Callback<string>): void;
  create(path: string, data: Buffer, acls: unknown, mode: number, callback: Callback<string>): void;
  getData(
    path: string,
    watcher: (() => void) | undefined,
    callback: (e: ZkError | null, data: Buffer, stat: ZkStat) => void,
  ): void;
  setData(path: string, data: Buffer, version: number, callback: Callback<ZkStat>): void;
  getChildren(path: string, watcher: (() => void) | undefined, callback: Callback<string[]>): void;
  remove(path: string, version: number, callback: (e: ZkError | null) => void): void;
  transaction(): ZkTransaction;
}

// deno-lint-ignore no-explicit-any
const zk = zookeeper as any;

function promise<T>(run: (callback: (error: ZkError | null, result?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    run((error, result) => error ? reject(error) : resolve(result as T))
  );
}

function codeOf(error: unknown): number | undefined {
  return typeof (error as ZkError)?.getCode === "function" ? (error as ZkError).getCode() : undefined;
}

/** Connect a session; rejects if not connected within timeoutMs. */
export async function connectZooKeeper(
  connectString: string,
  sessionTimeoutMs: number,
  timeoutMs = 30_000,
): Promise<Coordination> {
  const client = zk.createClient(connectString, {
    sessionTimeout: sessionTimeoutMs,
    spinDelay: 500,
    retries: 5,
  }) as ZkClient;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Cannot reach the coordinator at ${connectString} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      client.once("connected", () => resolve());
      client.connect();
    });
  } catch (error) {
    client.close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return new ZooKeeperCoordination(client);
}

class ZooKeeperCoordination implements Coordination {
  readonly #client: ZkClient;
  #expiredListeners: (() => void)[] = [];

  constructor(client: ZkClient) {
    this.#client = client;
    client.on("expired", () => {
      for (const listener of this.#expiredListeners) listener();
    });
  }

  async ensurePath(path: string): Promise<void> {
    await promise<string>((callback) => this.#client.mkdirp(path, callback));
  }

  create(path: string, data: Uint8Array): Promise<void> {
    return this.#create(path, data, zk.CreateMode.PERSISTENT);
  }

  createEphemeral(path: string, data: Uint8Array): Promise<void> {
    return this.#create(path, data, zk.CreateMode.EPHEMERAL);
  }

  async #create(path: string, data: Uint8Array, mode: number): Promise<void> {
    try {
      await promise<string>((callback) =>
        this.#client.create(path, Buffer.from(data), zk.ACL.OPEN_ACL_UNSAFE, mode, callback)
      );
    } catch (error) {
      if (codeOf(error) === NODE_EXISTS) throw new NodeExistsError(path);
      throw error;
    }
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

  getData(path: string, watch?: () => void): Promise<VersionedData | null> {
    return new Promise((resolve, reject) =>
      this.#client.getData(path, watch, (error, data, stat) => {
        if (codeOf(error) === NO_NODE) resolve(null);
        else if (error) reject(error);
        else resolve({ data: new Uint8Array(data ?? []), version: stat.version });
      })
    );
  }

  async setData(path: string, data: Uint8Array, version: number): Promise<void> {
    try {
      await promise<ZkStat>((callback) => this.#client.setData(path, Buffer.from(data), version, callback));
    } catch (error) {
      if (codeOf(error) === BAD_VERSION) throw new BadVersionError(path);
      throw error;
    }
  }

  getChildren(path: string, watch?: () => void): Promise<string[] | null> {
    return new Promise((resolve, reject) =>
      this.#client.getChildren(path, watch, (error, children) => {
        if (codeOf(error) === NO_NODE) resolve(null);
        else if (error) reject(error);
        else resolve(children);
      })
    );
  }

  /** Depth first: children, then the node; a node already gone is fine. */
  async deleteRecursive(path: string): Promise<void> {
    const children = await this.getChildren(path);
    if (children === null) return;
    for (const child of children) await this.deleteRecursive(`${path === "/" ? "" : path}/${child}`);
    try {
      await promise<void>((callback) => this.#client.remove(path, -1, callback));
    } catch (error) {
      if (codeOf(error) !== NO_NODE) throw error;
    }
  }

  async multi(ops: MultiOp[]): Promise<void> {
    let transaction = this.#client.transaction();
    for (const op of ops) {
      if (op.op === "create") {
        transaction = transaction.create(
          op.path,
          Buffer.from(op.data),
          zk.ACL.OPEN_ACL_UNSAFE,
          zk.CreateMode.PERSISTENT,
        );
      } else if (op.op === "setData") {
        transaction = transaction.setData(op.path, Buffer.from(op.data), op.version);
      } else {
        transaction = transaction.remove(op.path, op.version ?? -1);
      }
    }
    try {
      await promise<void>((callback) => transaction.commit(callback));
    } catch (error) {
      const code = codeOf(error);
      const path = ops[0]?.path ?? "/";
      if (code === NODE_EXISTS) throw new NodeExistsError(path);
      if (code === BAD_VERSION) throw new BadVersionError(path);
      throw error;
    }
  }

  onExpired(listener: () => void): void {
    this.#expiredListeners.push(listener);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#client.once("disconnected", () => resolve());
      this.#client.close();
      setTimeout(resolve, 2000);
    });
  }
}
