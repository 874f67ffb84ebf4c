/**
 * The broker's view of the coordinator: the few ZooKeeper operations its data path needs (ISR
 * writes, topic administration, registration), with the failures callers act on as typed errors,
 * so those modules read as intent and unit tests can fake the coordinator in a few lines. The
 * broker has one coordinator session at a time (zk-coordination.ts; a new one after an expiry);
 * the controller, which needs fenced multi-op transactions, uses the same session's
 * ZooKeeperClient (`client`).
 */
import type { ZooKeeperClient } from "../zk/client/mod.ts";

/** The node already exists (e.g. a second broker with the same id). */
export class NodeExistsError extends Error {
  constructor(readonly path: string) {
    super(`Node exists: ${path}`);
  }
}

/** A versioned write lost a race (compare-and-set failed). */
export class BadVersionError extends Error {
  constructor(readonly path: string) {
    super(`Version mismatch writing ${path}`);
  }
}

/** Data and its version (for compare-and-set writes). */
export interface VersionedData {
  data: Uint8Array;
  version: number;
  /** When the node was created, in the server's clock (ms since the epoch). */
  createdMs: number;
}

/** "expired": the session and its ephemeral nodes are gone; "renewed": a new session is up. */
export type SessionChange = "expired" | "renewed";

/** One operation of an atomic multi. */
export type MultiOp =
  | { op: "create"; path: string; data: Uint8Array }
  | { op: "setData"; path: string; data: Uint8Array; version: number }
  | { op: "delete"; path: string; version?: number };

export interface Coordination {
  /** Create every missing persistent node on the way to path (no error if it exists). */
  ensurePath(path: string): Promise<void>;
  /** Create a persistent node; NodeExistsError if it exists. */
  create(path: string, data: Uint8Array): Promise<void>;
  /** Create an ephemeral node tied to this session; NodeExistsError if it exists. */
  createEphemeral(path: string, data: Uint8Array): Promise<void>;
  /**
   * Create a persistent sequential node: the server appends a 10-digit counter to `prefix`.
   * Resolves to the node's path.
   */
  createSequential(prefix: string, data: Uint8Array): Promise<string>;
  /** Create or overwrite a persistent node. */
  put(path: string, data: Uint8Array): Promise<void>;
  /** Data, or null when the node is missing. `watch` fires once on the next change. */
  getData(path: string, watch?: () => void): Promise<VersionedData | null>;
  /** Compare-and-set write; BadVersionError on a lost race. */
  setData(path: string, data: Uint8Array, version: number): Promise<void>;
  /** Child names, or null when the node is missing. `watch` fires once on the next change. */
  getChildren(path: string, watch?: () => void): Promise<string[] | null>;
  /** Delete a node and everything under it (no error if missing). */
  deleteRecursive(path: string): Promise<void>;
  /** Apply all ops or none. */
  multi(ops: MultiOp[]): Promise<void>;
  /**
   * Told when the session expires (its ephemeral nodes are gone; a new session is being opened)
   * and when the new session is up: whatever was tied to the old one must be made again.
   */
  onSessionChange(listener: (change: SessionChange) => void): void;
  /**
   * The current session's client, for the controller's fenced transactions and the election
   * recipe; a new one after each expiry (read it again, never keep it).
   */
  readonly client: ZooKeeperClient;
  /** Close the session (ephemeral nodes vanish at once). */
  close(): Promise<void>;
}
