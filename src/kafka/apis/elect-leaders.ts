/**
 * ElectLeaders (key 43), versions 0–2 (v2 flexible): ask the controller to elect leaders —
 * PREFERRED (0) moves leadership to each partition's first assigned replica when it is live and
 * in sync; UNCLEAN (1) gives a partition without a leader any live replica. v0 is PREFERRED only.
 *
 * Request v0    => topic_partitions [topic STRING partitions [INT32]] (nullable: null = all)
 *                  timeout_ms INT32
 * Request v1–2  => election_type INT8 topic_partitions timeout_ms
 * Response v0   => throttle_time_ms INT32
 *                  replica_election_results [topic STRING
 *                    partition_result [partition_id INT32 error_code INT16 error_message NULLABLE_STRING]]
 * Response v1–2 => throttle_time_ms error_code INT16 replica_election_results
 *
 * @example
 * ```ts
 * writeElectLeadersRequest(writer, 1, {
 *   electionType: ElectionType.preferred,
 *   topicPartitions: [{ topic: "orders", partitions: [0, 1] }],
 *   timeoutMs: 30_000,
 * });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey, isFlexible } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import {
  endStruct,
  type ErrorFields,
  readArrayField,
  readErrorFields,
  readNullableArrayField,
  readStringField,
  readStructArray,
  skipStructTags,
  writeArrayField,
  writeErrorFields,
  writeStringField,
  writeStructArray,
} from "./flexible-fields.ts";

export const ElectionType = { preferred: 0, unclean: 1 } as const;

export interface ElectLeadersTopic {
  topic: string;
  partitions: number[];
}

export interface ElectLeadersRequest {
  /** v1+; v0 requests are PREFERRED. */
  electionType: number;
  /** null = every partition. */
  topicPartitions: ElectLeadersTopic[] | null;
  timeoutMs: number;
}

export interface ElectLeadersPartitionResult extends ErrorFields {
  partitionId: number;
}

export interface ElectLeadersTopicResult {
  topic: string;
  partitionResult: ElectLeadersPartitionResult[];
}

export interface ElectLeadersResponse {
  throttleTimeMs: number;
  /** v1+ (a top-level error); 0 when reading v0. */
  errorCode: number;
  replicaElectionResults: ElectLeadersTopicResult[];
}

export function writeElectLeadersRequest(
  writer: Writer,
  version: number,
  request: ElectLeadersRequest,
): void {
  checkVersion(ApiKey.ElectLeaders, version, "write");
  const flexible = isFlexible(ApiKey.ElectLeaders, version);
  if (version >= 1) writer.int8(request.electionType);
  writeArrayField(writer, flexible, request.topicPartitions, (w, topic) => {
    writeStringField(w, flexible, topic.topic);
    writeArrayField(w, flexible, topic.partitions, (w2, partition) => w2.int32(partition));
    endStruct(w, flexible);
  });
  writer.int32(request.timeoutMs);
  endStruct(writer, flexible);
}

export function readElectLeadersRequest(reader: Reader, version: number): ElectLeadersRequest {
  checkVersion(ApiKey.ElectLeaders, version, "read");
  const flexible = isFlexible(ApiKey.ElectLeaders, version);
  const electionType = version >= 1 ? reader.int8() : ElectionType.preferred;
  const topicPartitions = readNullableArrayField(reader, flexible, (r) => {
    const topic = readStringField(r, flexible, "topic");
    const partitions = readArrayField(r, flexible, "partitions", (r2) => r2.int32(), 4);
    skipStructTags(r, flexible);
    return { topic, partitions };
  }, 3);
  const timeoutMs = reader.int32();
  skipStructTags(reader, flexible);
  return { electionType, topicPartitions, timeoutMs };
}

export function writeElectLeadersResponse(
  writer: Writer,
  version: number,
  response: ElectLeadersResponse,
): void {
  checkVersion(ApiKey.ElectLeaders, version, "write");
  const flexible = isFlexible(ApiKey.ElectLeaders, version);
  writer.int32(response.throttleTimeMs);
  if (version >= 1) writer.int16(response.errorCode);
  writeStructArray(writer, flexible, response.replicaElectionResults, (w, topic) => {
    writeStringField(w, flexible, topic.topic);
    writeStructArray(w, flexible, topic.partitionResult, (w2, result) => {
      w2.int32(result.partitionId);
      writeErrorFields(w2, flexible, result);
    });
  });
  endStruct(writer, flexible);
}

export function readElectLeadersResponse(reader: Reader, version: number): ElectLeadersResponse {
  checkVersion(ApiKey.ElectLeaders, version, "read");
  const flexible = isFlexible(ApiKey.ElectLeaders, version);
  const throttleTimeMs = reader.int32();
  const errorCode = version >= 1 ? reader.int16() : 0;
  const replicaElectionResults = readStructArray(reader, flexible, "replica_election_results", (r) => {
    const topic = readStringField(r, flexible, "topic");
    const partitionResult = readStructArray(r, flexible, "partition_result", (r2) => {
      const partitionId = r2.int32();
      return { partitionId, ...readErrorFields(r2, flexible) };
    }, 7);
    return { topic, partitionResult };
  }, 3);
  skipStructTags(reader, flexible);
  return { throttleTimeMs, errorCode, replicaElectionResults };
}
