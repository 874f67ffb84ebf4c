/**
 * Metadata (key 3), versions 0–8: brokers, controller and topic/partition leadership.
 * None of these versions is flexible.
 *
 * Request v0    => topics [name STRING]                 (an empty array means all topics)
 * Request v1–3  => topics [name STRING] (nullable)      (null = all topics, empty = none)
 * Request v4–7  => topics allow_auto_topic_creation BOOLEAN
 * Request v8    => topics allow_auto_topic_creation include_cluster_authorized_operations BOOLEAN
 *                  include_topic_authorized_operations BOOLEAN
 *
 * Response v0   => brokers [node_id INT32 host STRING port INT32]
 *                  topics [error_code INT16 name STRING
 *                          partitions [error_code INT16 partition_index INT32 leader_id INT32
 *                                      replica_nodes [INT32] isr_nodes [INT32]]]
 * Response v1   => brokers [node_id host port rack NULLABLE_STRING] controller_id INT32
 *                  topics [error_code name is_internal BOOLEAN partitions]
 * Response v2   => brokers cluster_id NULLABLE_STRING controller_id topics
 * Response v3–4 => throttle_time_ms INT32 brokers cluster_id controller_id topics
 * Response v5–6 => ... partitions [error_code partition_index leader_id replica_nodes isr_nodes
 *                                  offline_replicas [INT32]]
 * Response v7   => ... partitions [error_code partition_index leader_id leader_epoch INT32
 *                                  replica_nodes isr_nodes offline_replicas]
 * Response v8   => ... topics [error_code name is_internal partitions topic_authorized_operations INT32]
 *                  cluster_authorized_operations INT32
 *
 * In the interface, `topics: null` always means "all topics": readers turn a v0 empty array
 * into null and writers write null as an empty array at v0 (v0 cannot ask for no topics).
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readInt32s, readString } from "./field-readers.ts";

/** Default of the *_authorized_operations fields: "not requested". */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export interface MetadataRequest {
  /** Topic names; null = all topics. */
  topics: string[] | null;
  /** v4+; default true. */
  allowAutoTopicCreation?: boolean;
  /** v8+; default false. */
  includeClusterAuthorizedOperations?: boolean;
  /** v8+; default false. */
  includeTopicAuthorizedOperations?: boolean;
}

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
  /** v1+; default null. */
  rack?: string | null;
}

export interface MetadataPartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  /** v7+; default -1. */
  leaderEpoch?: number;
  replicaNodes: number[];
  isrNodes: number[];
  /** v5+; default []. */
  offlineReplicas?: number[];
}

export interface MetadataTopic {
  errorCode: number;
  name: string;
  /** v1+; default false. */
  isInternal?: boolean;
  partitions: MetadataPartition[];
  /** v8+; default -2^31. */
  topicAuthorizedOperations?: number;
}

export interface MetadataResponse {
  /** v3+; default 0. */
  throttleTimeMs?: number;
  brokers: MetadataBroker[];
  /** v2+; default null. */
  clusterId?: string | null;
  /** v1+; default -1. */
  controllerId?: number;
  topics: MetadataTopic[];
  /** v8+; default -2^31. */
  clusterAuthorizedOperations?: number;
}

export function writeMetadataRequest(writer: Writer, version: number, request: MetadataRequest): void {
  checkVersion(ApiKey.Metadata, version, "write");
  const topics = version === 0 && request.topics === null ? [] : request.topics;
  writer.array(topics, (w, name) => w.string(name));
  if (version >= 4) writer.bool(request.allowAutoTopicCreation ?? true);
  if (version >= 8) {
    writer.bool(request.includeClusterAuthorizedOperations ?? false);
    writer.bool(request.includeTopicAuthorizedOperations ?? false);
  }
}

export function readMetadataRequest(reader: Reader, version: number): MetadataRequest {
  checkVersion(ApiKey.Metadata, version, "read");
  let topics: string[] | null;
  if (version === 0) {
    const names = readArray(reader, "topics", (r) => readString(r, "name"), 2);
    topics = names.length === 0 ? null : names;
  } else {
    topics = reader.array((r) => readString(r, "name"), 2);
  }
  const allowAutoTopicCreation = version >= 4 ? reader.bool() : true;
  const includeClusterAuthorizedOperations = version >= 8 ? reader.bool() : false;
  const includeTopicAuthorizedOperations = version >= 8 ? reader.bool() : false;
  return {
    topics,
    allowAutoTopicCreation,
    includeClusterAuthorizedOperations,
    includeTopicAuthorizedOperations,
  };
}

export function writeMetadataResponse(writer: Writer, version: number, response: MetadataResponse): void {
  checkVersion(ApiKey.Metadata, version, "write");
  if (version >= 3) writer.int32(response.throttleTimeMs ?? 0);
  writer.array(response.brokers, (w, broker) => {
    w.int32(broker.nodeId).string(broker.host).int32(broker.port);
    if (version >= 1) w.string(broker.rack ?? null);
  });
  if (version >= 2) writer.string(response.clusterId ?? null);
  if (version >= 1) writer.int32(response.controllerId ?? -1);
  writer.array(response.topics, (w, topic) => writeTopic(w, version, topic));
  if (version >= 8) writer.int32(response.clusterAuthorizedOperations ?? AUTHORIZED_OPERATIONS_OMITTED);
}

function writeTopic(writer: Writer, version: number, topic: MetadataTopic): void {
  writer.int16(topic.errorCode).string(topic.name);
  if (version >= 1) writer.bool(topic.isInternal ?? false);
  writer.array(topic.partitions, (w, partition) => {
    w.int16(partition.errorCode).int32(partition.partitionIndex).int32(partition.leaderId);
    if (version >= 7) w.int32(partition.leaderEpoch ?? -1);
    w.array(partition.replicaNodes, (w2, id) => w2.int32(id));
    w.array(partition.isrNodes, (w2, id) => w2.int32(id));
    if (version >= 5) w.array(partition.offlineReplicas ?? [], (w2, id) => w2.int32(id));
  });
  if (version >= 8) writer.int32(topic.topicAuthorizedOperations ?? AUTHORIZED_OPERATIONS_OMITTED);
}

export function readMetadataResponse(reader: Reader, version: number): MetadataResponse {
  checkVersion(ApiKey.Metadata, version, "read");
  const throttleTimeMs = version >= 3 ? reader.int32() : 0;
  const brokers = readArray(reader, "brokers", (r) => {
    const nodeId = r.int32();
    const host = readString(r, "host");
    const port = r.int32();
    const rack = version >= 1 ? r.string() : null;
    return { nodeId, host, port, rack };
  }, 10);
  const clusterId = version >= 2 ? reader.string() : null;
  const controllerId = version >= 1 ? reader.int32() : -1;
  const topics = readArray(reader, "topics", (r) => readTopic(r, version), 8);
  const clusterAuthorizedOperations = version >= 8 ? reader.int32() : AUTHORIZED_OPERATIONS_OMITTED;
  return { throttleTimeMs, brokers, clusterId, controllerId, topics, clusterAuthorizedOperations };
}

function readTopic(reader: Reader, version: number): MetadataTopic {
  const errorCode = reader.int16();
  const name = readString(reader, "name");
  const isInternal = version >= 1 ? reader.bool() : false;
  const partitions = readArray(reader, "partitions", (r) => {
    const errorCode = r.int16();
    const partitionIndex = r.int32();
    const leaderId = r.int32();
    const leaderEpoch = version >= 7 ? r.int32() : -1;
    const replicaNodes = readInt32s(r, "replica_nodes");
    const isrNodes = readInt32s(r, "isr_nodes");
    const offlineReplicas = version >= 5 ? readInt32s(r, "offline_replicas") : [];
    return { errorCode, partitionIndex, leaderId, leaderEpoch, replicaNodes, isrNodes, offlineReplicas };
  }, 18);
  const topicAuthorizedOperations = version >= 8 ? reader.int32() : AUTHORIZED_OPERATIONS_OMITTED;
  return { errorCode, name, isInternal, partitions, topicAuthorizedOperations };
}
