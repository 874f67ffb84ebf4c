/**
 * A client's link to a group's coordinator: FindCoordinator (retried while the broker answers
 * COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS), a dedicated connection to it (so a
 * parked JoinGroup never queues behind fetches, nor fetches behind it), and the group requests
 * sent on it. Used by the group consumer and the group admin, and (with keyType Transaction) by a
 * transactional producer for its transaction coordinator.
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import type { Reader, Writer } from "../wire/mod.ts";
import {
  CoordinatorKeyType,
  readFindCoordinatorResponse,
  writeFindCoordinatorRequest,
} from "../kafka/apis/find-coordinator.ts";
import type { Cluster } from "./cluster.ts";
import { Connection } from "./connection.ts";
import { isRetriable } from "./errors.ts";

/** Errors after which the coordinator must be looked up again. */
export const COORDINATOR_MOVED: ReadonlySet<number> = new Set([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
]);

/** A coordinator connection that finds (and re-finds) the coordinator on demand. */
export class GroupCoordinatorLink {
  readonly #cluster: Cluster;
  readonly #groupId: string;
  readonly #retryBackoffMs: number;
  readonly #lookupTimeoutMs: number;
  readonly #keyType: number;
  #connection: Promise<Connection> | undefined;
  #closed = false;
  /** The coordinator's node id, -1 until found. */
  nodeId = -1;

  constructor(
    cluster: Cluster,
    groupId: string,
    options: { retryBackoffMs?: number; lookupTimeoutMs?: number; keyType?: number } = {},
  ) {
    this.#cluster = cluster;
    this.#groupId = groupId;
    this.#retryBackoffMs = options.retryBackoffMs ?? 100;
    this.#lookupTimeoutMs = options.lookupTimeoutMs ?? 30_000;
    this.#keyType = options.keyType ?? CoordinatorKeyType.Group;
  }

  /** The connection to the coordinator, finding it first if needed. */
  connection(): Promise<Connection> {
    if (this.#closed) return Promise.reject(new Error("Client is closed"));
    this.#connection ??= this.#connect();
    const pending = this.#connection;
    pending.catch(() => {
      if (this.#connection === pending) this.#connection = undefined;
    });
    return pending;
  }

  /** Forget the coordinator (after NOT_COORDINATOR or a broken connection). */
  reset(): void {
    const old = this.#connection;
    this.#connection = undefined;
    this.nodeId = -1;
    old?.then((c) => c.close(), () => {});
  }

  /**
   * One request to the coordinator. Connection failures reset the link and are rethrown (the
   * caller decides whether to retry).
   */
  async request<T>(
    apiKey: number,
    write: (writer: Writer, version: number) => void,
    read: (reader: Reader, version: number) => T,
    timeoutMs?: number,
  ): Promise<T> {
    const connection = await this.connection();
    const version = connection.versionFor(apiKey);
    try {
      return await connection.request(
        apiKey,
        version,
        (w) => write(w, version),
        (r) => read(r, version),
        timeoutMs,
      );
    } catch (error) {
      if (!(error instanceof KafkaError)) this.reset();
      throw error;
    }
  }

  close(): void {
    this.#closed = true;
    this.reset();
  }

  async #connect(): Promise<Connection> {
    const deadline = Date.now() + this.#lookupTimeoutMs;
    let backoffMs = this.#retryBackoffMs;
    for (;;) {
      try {
        const found = await findCoordinator(this.#cluster, this.#groupId, this.#keyType);
        const connection = await Connection.connect(this.#cluster.connectionOptions(found.host, found.port));
        if (this.#closed) {
          connection.close();
          throw new Error("Client is closed");
        }
        this.nodeId = found.nodeId;
        connection.onClose(() => {
          if (this.nodeId === found.nodeId) this.reset();
        });
        return connection;
      } catch (error) {
        if (this.#closed || !isRetriable(error) || Date.now() + backoffMs > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 2000);
      }
    }
  }
}

/** FindCoordinator once: the node and address, or a KafkaError with the broker's code. */
export async function findCoordinator(
  cluster: Cluster,
  groupId: string,
  keyType: number = CoordinatorKeyType.Group,
): Promise<{ nodeId: number; host: string; port: number }> {
  const connection = await cluster.anyConnection();
  const version = connection.versionFor(ApiKey.FindCoordinator);
  const response = await connection.request(
    ApiKey.FindCoordinator,
    version,
    (w) => writeFindCoordinatorRequest(w, version, { key: groupId, keyType }),
    (r) => readFindCoordinatorResponse(r, version),
  );
  if (response.errorCode !== ErrorCode.NONE) {
    const what = keyType === CoordinatorKeyType.Transaction ? "transactional id" : "group";
    throw new KafkaError(response.errorCode, `finding the coordinator of ${what} "${groupId}"`);
  }
  return { nodeId: response.nodeId, host: response.host, port: response.port };
}
