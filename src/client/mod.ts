/**
 * The Kafka client: Producer, Consumer and Admin, plus the pieces a group layer or a tool
 * builds on (Cluster metadata, Connection, partitioners, retry policy, errors).
 *
 * @example
 * ```ts
 * import { Consumer, Producer } from "./mod.ts";
 * await using producer = new Producer({ bootstrap: "127.0.0.1:9092" });
 * await producer.send({ topic: "orders", value: "hello" });
 * ```
 *
 * @module
 */
export {
  type Partitioner,
  ProduceError,
  Producer,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
} from "./producer.ts";
export type { CompressionName, RecordHeader } from "./producer.ts";
export {
  Consumer,
  type ConsumerOptions,
  type ConsumerRecord,
  type ConsumerRecordHeader,
  type PartitionAssignment,
  type StartPosition,
} from "./consumer.ts";
export {
  Admin,
  type AdminOptions,
  type ClusterDescription,
  type NewTopic,
  type PartitionDescription,
  type TopicDescription,
} from "./admin.ts";
export {
  type BrokerInfo,
  Cluster,
  type ClusterOptions,
  type PartitionInfo,
  type TopicInfo,
} from "./cluster.ts";
export { Connection, type ConnectionOptions } from "./connection.ts";
export { keyedPartition, StickyPartitioner } from "./partitioner.ts";
export { type RetryOptions, RetryPolicy, withRetries } from "./retry.ts";
export { listOffsets, type OffsetQuery, type OffsetResult, type OffsetSpec } from "./list-offsets.ts";
export {
  AuthenticationError,
  BrokerUnreachableError,
  ConnectionClosedError,
  isRetriable,
  RequestTimeoutError,
  TlsHandshakeError,
} from "./errors.ts";
export type { ClientSecurity, SaslCredentials } from "./security.ts";
export { SecurityAdmin, type UserScramCredentials } from "./security-admin.ts";
export { ErrorCode, KafkaError } from "../kafka/errors.ts";
