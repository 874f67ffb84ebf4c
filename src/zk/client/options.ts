/** Knobs of the ZooKeeper client, each with a bounded default. */
import type { ACL } from "../protocol/mod.ts";

/** Options for {@linkcode ZooKeeperClient.connect}. */
export interface ClientOptions {
  /** Session timeout to ask for; the server clamps it (ZooKeeper: to [2, 20] ticks). Default 30000. */
  sessionTimeoutMs?: number;
  /** Give up the first connect after this long (every host tried in turn). Default 30000. */
  connectTimeoutMs?: number;
  /** Fail a request that has no reply after this long with OPERATIONTIMEOUT. Default 60000. */
  requestTimeoutMs?: number;
  /** Requests sent or waiting for a connection, at most; more throw RangeError. Default 10000. */
  maxPendingRequests?: number;
  /** Largest reply frame accepted; a bigger one drops the connection. Default 4 MiB. */
  maxFrameBytes?: number;
  /** Wait before reconnecting, and after each round of failed attempts (doubling up to maxReconnectDelayMs). Default 50. */
  reconnectDelayMs?: number;
  /** Upper bound of the reconnect wait. Default 1000. */
  maxReconnectDelayMs?: number;
  /** Unread events an async iterator may hold (session events, persistent watches). Default 1000. */
  maxQueuedEvents?: number;
  /** Attach to an existing session instead of creating one (with sessionPassword). */
  sessionId?: bigint;
  /** The 16-byte password of sessionId. */
  sessionPassword?: Uint8Array;
  /**
   * The ACL of every node this client creates without naming one (create, create2, mkdirp,
   * transaction creates), given the path as the caller wrote it (a sequential node: its prefix).
   * Default: OPEN_ACL_UNSAFE. Lets a program protect all it writes in one place, as Kafka's
   * zookeeper.set.acl does, instead of at every call.
   */
  defaultAcl?: (path: string) => readonly ACL[];
}

/** Options with every default filled in. */
export type ResolvedClientOptions = Required<
  Omit<ClientOptions, "sessionId" | "sessionPassword" | "defaultAcl">
>;

/** Fill in defaults and check ranges (RangeError names the bad knob). */
export function resolveOptions(options: ClientOptions): ResolvedClientOptions {
  const resolved: ResolvedClientOptions = {
    sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
    maxPendingRequests: options.maxPendingRequests ?? 10_000,
    maxFrameBytes: options.maxFrameBytes ?? 4 * 1024 * 1024,
    reconnectDelayMs: options.reconnectDelayMs ?? 50,
    maxReconnectDelayMs: options.maxReconnectDelayMs ?? 1000,
    maxQueuedEvents: options.maxQueuedEvents ?? 1000,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Client option ${name} must be a positive integer, got ${value}`);
    }
  }
  if (resolved.sessionTimeoutMs > 0x7fffffff) {
    throw new RangeError("Client option sessionTimeoutMs is too large");
  }
  return resolved;
}
