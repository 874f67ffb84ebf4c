/** The ZooKeeper client: connect, operations, watches, transactions. */
export {
  createFlags,
  type CreateOptions,
  type NodeData,
  type PersistentWatch,
  toBytes,
  watchOnce,
  type WatchType,
  ZooKeeperClient,
} from "./client.ts";
export { type ConnectString, type HostPort, parseConnectString } from "./connect-string.ts";
export { EventStream } from "./event-stream.ts";
export type { ClientOptions } from "./options.ts";
export { baseName, joinPath, parentPath, validatePath } from "./paths.ts";
export type { SessionEvent, SessionState } from "./session.ts";
export { Transaction, TransactionError, type TransactionResult } from "./transaction.ts";
export type { Watcher, WatchEvent, WatchEventType } from "./watch-registry.ts";
