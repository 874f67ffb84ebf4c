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
  BrokerIdInUseError,
  type BrokerOptions,
  type RunningBroker,
  startBroker,
} from "./src/broker/broker.ts";
export type { BrokerConfig, FsyncPolicy } from "./src/broker/config.ts";
export { parseSnowflake, Snowflake, type SnowflakeOptions } from "./src/ids/snowflake.ts";
export * from "./src/client/mod.ts";
export {
  AssignmentEvent,
  GroupConsumer,
  type GroupConsumerOptions,
  type TopicPartition,
} from "./src/client/group-consumer.ts";
export {
  GroupAdmin,
  type GroupDescription,
  GroupNotEmptyError,
  type ResetSpec,
} from "./src/client/group-admin.ts";
export {
  type BrokerStatus,
  type ClusterStatus,
  readClusterStatus,
} from "./src/broker/controller/cluster-status.ts";
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
  CREATOR_ALL_ACL,
  ErrorCode as KeeperErrorCode,
  KeeperError,
  OPEN_ACL_UNSAFE,
  Perms,
  type Stat,
} from "./src/zk/protocol/mod.ts";
