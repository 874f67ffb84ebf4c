/**
 * CreateTopics (key 19), versions 0–4. None of these versions is flexible. v4 changes only
 * semantics (num_partitions / replication_factor may be -1 for the broker's defaults).
 *
 * Request v0    => topics [name STRING num_partitions INT32 replication_factor INT16
 *                          assignments [partition_index INT32 broker_ids [INT32]]
 *                          configs [name STRING value NULLABLE_STRING]]
 *                  timeout_ms INT32
 * Request v1–4  => topics timeout_ms validate_only BOOLEAN
 *
 * Response v0   => topics [name STRING error_code INT16]
 * Response v1   => topics [name error_code error_message NULLABLE_STRING]
 * Response v2–4 => throttle_time_ms INT32 topics [name error_code error_message]
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readInt32s, readString } from "./field-readers.ts";

export interface CreatableReplicaAssignment {
  partitionIndex: number;
  brokerIds: number[];
}

export interface CreatableTopicConfig {
  name: string;
  value: string | null;
}

export interface CreatableTopic {
  name: string;
  /** -1 with manual assignments or (v4+) for the broker default. */
  numPartitions: number;
  /** -1 with manual assignments or (v4+) for the broker default. */
  replicationFactor: number;
  assignments: CreatableReplicaAssignment[];
  configs: CreatableTopicConfig[];
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  /** v1+; default false. */
  validateOnly?: boolean;
}

export interface CreatableTopicResult {
  name: string;
  errorCode: number;
  /** v1+; default null. */
  errorMessage?: string | null;
}

export interface CreateTopicsResponse {
  /** v2+; default 0. */
  throttleTimeMs?: number;
  topics: CreatableTopicResult[];
}

export function writeCreateTopicsRequest(
  writer: Writer,
  version: number,
  request: CreateTopicsRequest,
): void {
  checkVersion(ApiKey.CreateTopics, version, "write");
  writer.array(request.topics, (w, topic) => {
    w.string(topic.name).int32(topic.numPartitions).int16(topic.replicationFactor);
    w.array(
      topic.assignments,
      (w2, a) => w2.int32(a.partitionIndex).array(a.brokerIds, (w3, id) => w3.int32(id)),
    );
    w.array(topic.configs, (w2, config) => w2.string(config.name).string(config.value));
  });
  writer.int32(request.timeoutMs);
  if (version >= 1) writer.bool(request.validateOnly ?? false);
}

export function readCreateTopicsRequest(reader: Reader, version: number): CreateTopicsRequest {
  checkVersion(ApiKey.CreateTopics, version, "read");
  const topics = readArray(reader, "topics", (r) => {
    const name = readString(r, "name");
    const numPartitions = r.int32();
    const replicationFactor = r.int16();
    const assignments = readArray(r, "assignments", (r2) => {
      const partitionIndex = r2.int32();
      return { partitionIndex, brokerIds: readInt32s(r2, "broker_ids") };
    }, 8);
    const configs = readArray(r, "configs", (r2) => {
      const configName = readString(r2, "name");
      return { name: configName, value: r2.string() };
    }, 4);
    return { name, numPartitions, replicationFactor, assignments, configs };
  }, 16);
  const timeoutMs = reader.int32();
  const validateOnly = version >= 1 ? reader.bool() : false;
  return { topics, timeoutMs, validateOnly };
}

export function writeCreateTopicsResponse(
  writer: Writer,
  version: number,
  response: CreateTopicsResponse,
): void {
  checkVersion(ApiKey.CreateTopics, version, "write");
  if (version >= 2) writer.int32(response.throttleTimeMs ?? 0);
  writer.array(response.topics, (w, topic) => {
    w.string(topic.name).int16(topic.errorCode);
    if (version >= 1) w.string(topic.errorMessage ?? null);
  });
}

export function readCreateTopicsResponse(reader: Reader, version: number): CreateTopicsResponse {
  checkVersion(ApiKey.CreateTopics, version, "read");
  const throttleTimeMs = version >= 2 ? reader.int32() : 0;
  const topics = readArray(reader, "topics", (r) => {
    const name = readString(r, "name");
    const errorCode = r.int16();
    const errorMessage = version >= 1 ? r.string() : null;
    return { name, errorCode, errorMessage };
  }, 4);
  return { throttleTimeMs, topics };
}
