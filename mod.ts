/**
 * Vltava as a library: wire codecs, the ZooKeeper client and recipes, the Kafka client
 * (Producer, Consumer, Admin), and functions that start a coordinator or broker in-process.
 *
 * @module
 */
export * from "./src/wire/mod.ts";
export { VERSION } from "./src/version.ts";
export { type Coordinator, type CoordinatorOptions, startCoordinator } from "./src/coordinator/mod.ts";
export {
  type ClientOptions,
  type CreateOptions,
  type NodeData,
  type PersistentWatch,
  type SessionEvent,
  type SessionState,
  TransactionError,
  type TransactionResult,
  type Watcher,
  type WatchEvent,
  watchOnce,
  ZooKeeperClient,
} from "./src/zk/client/mod.ts";
export {
  DistributedLock,
  type ElectionEvent,
  GroupMembership,
  LeaderElection,
  type MembershipChange,
} from "./src/zk/recipes/mod.ts";
export {
  type ACL,
  type ClientInfo,
  ErrorCode,
  KeeperError,
  OPEN_ACL_UNSAFE,
  Perms,
  type Stat,
} from "./src/zk/protocol/mod.ts";
