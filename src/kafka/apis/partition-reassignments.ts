/**
 * AlterPartitionReassignments (key 45) and ListPartitionReassignments (key 46), version 0 of
 * each (both flexible from v0): move a partition's replicas to a target set (null cancels a
 * reassignment in progress), and list the reassignments in progress. Only the controller
 * answers them.
 *
 * Alter request v0   => timeout_ms INT32
 *                       topics [name COMPACT_STRING partitions [partition_index INT32
 *                               replicas COMPACT_NULLABLE_ARRAY[INT32] TAG_BUFFER] TAG_BUFFER] TAG_BUFFER
 * Alter response v0  => throttle_time_ms INT32 error_code INT16 error_message COMPACT_NULLABLE_STRING
 *                       responses [name partitions [partition_index error_code error_message TAG_BUFFER]
 *                                  TAG_BUFFER] TAG_BUFFER
 * List request v0    => timeout_ms INT32
 *                       topics COMPACT_NULLABLE_ARRAY[name partition_indexes [INT32] TAG_BUFFER] TAG_BUFFER
 * List response v0   => throttle_time_ms error_code error_message
 *                       topics [name partitions [partition_index replicas [INT32] adding_replicas [INT32]
 *                               removing_replicas [INT32] TAG_BUFFER] TAG_BUFFER] TAG_BUFFER
 *
 * @example
 * ```ts
 * writeAlterPartitionReassignmentsRequest(writer, 0, {
 *   timeoutMs: 30_000,
 *   topics: [{ name: "orders", partitions: [{ partitionIndex: 0, replicas: [2, 3, 4] }] }],
 * });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import {
  type ErrorFields,
  readArrayField,
  readErrorFields,
  readNullableArrayField,
  readStringField,
  readStructArray,
  writeArrayField,
  writeErrorFields,
  writeStructArray,
} from "./flexible-fields.ts";

export interface AlterPartitionReassignmentsRequest {
  timeoutMs: number;
  topics: { name: string; partitions: { partitionIndex: number; replicas: number[] | null }[] }[];
}

export interface AlterPartitionReassignmentsResponse extends ErrorFields {
  throttleTimeMs: number;
  responses: { name: string; partitions: ({ partitionIndex: number } & ErrorFields)[] }[];
}

export interface ListPartitionReassignmentsRequest {
  timeoutMs: number;
  /** null = every reassignment in progress. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
}

export interface ListedReassignment {
  partitionIndex: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export interface ListPartitionReassignmentsResponse extends ErrorFields {
  throttleTimeMs: number;
  topics: { name: string; partitions: ListedReassignment[] }[];
}

const int32s = (w: Writer, ids: number[] | null) => writeArrayField(w, true, ids, (w2, id) => w2.int32(id));
const readInt32s = (r: Reader, field: string) => readArrayField(r, true, field, (r2) => r2.int32(), 4);

export function writeAlterPartitionReassignmentsRequest(
  writer: Writer,
  version: number,
  request: AlterPartitionReassignmentsRequest,
): void {
  checkVersion(ApiKey.AlterPartitionReassignments, version, "write");
  writer.int32(request.timeoutMs);
  writeStructArray(writer, true, request.topics, (w, topic) => {
    w.compactString(topic.name);
    writeStructArray(w, true, topic.partitions, (w2, p) => {
      w2.int32(p.partitionIndex);
      int32s(w2, p.replicas);
    });
  });
  writer.emptyTags();
}

export function readAlterPartitionReassignmentsRequest(
  reader: Reader,
  version: number,
): AlterPartitionReassignmentsRequest {
  checkVersion(ApiKey.AlterPartitionReassignments, version, "read");
  const timeoutMs = reader.int32();
  const topics = readStructArray(reader, true, "topics", (r) => {
    const name = readStringField(r, true, "topics.name");
    const partitions = readStructArray(r, true, "partitions", (r2) => {
      const partitionIndex = r2.int32();
      return { partitionIndex, replicas: readNullableArrayField(r2, true, (r3) => r3.int32(), 4) };
    }, 6);
    return { name, partitions };
  }, 3);
  reader.skipTags();
  return { timeoutMs, topics };
}

export function writeAlterPartitionReassignmentsResponse(
  writer: Writer,
  version: number,
  response: AlterPartitionReassignmentsResponse,
): void {
  checkVersion(ApiKey.AlterPartitionReassignments, version, "write");
  writer.int32(response.throttleTimeMs);
  writeErrorFields(writer, true, response);
  writeStructArray(writer, true, response.responses, (w, topic) => {
    w.compactString(topic.name);
    writeStructArray(w, true, topic.partitions, (w2, p) => {
      w2.int32(p.partitionIndex);
      writeErrorFields(w2, true, p);
    });
  });
  writer.emptyTags();
}

export function readAlterPartitionReassignmentsResponse(
  reader: Reader,
  version: number,
): AlterPartitionReassignmentsResponse {
  checkVersion(ApiKey.AlterPartitionReassignments, version, "read");
  const throttleTimeMs = reader.int32();
  const errors = readErrorFields(reader, true);
  const responses = readStructArray(reader, true, "responses", (r) => {
    const name = readStringField(r, true, "responses.name");
    const partitions = readStructArray(r, true, "partitions", (r2) => {
      const partitionIndex = r2.int32();
      return { partitionIndex, ...readErrorFields(r2, true) };
    }, 8);
    return { name, partitions };
  }, 3);
  reader.skipTags();
  return { throttleTimeMs, ...errors, responses };
}

export function writeListPartitionReassignmentsRequest(
  writer: Writer,
  version: number,
  request: ListPartitionReassignmentsRequest,
): void {
  checkVersion(ApiKey.ListPartitionReassignments, version, "write");
  writer.int32(request.timeoutMs);
  writeArrayField(writer, true, request.topics, (w, topic) => {
    w.compactString(topic.name);
    int32s(w, topic.partitionIndexes);
    w.emptyTags();
  });
  writer.emptyTags();
}

export function readListPartitionReassignmentsRequest(
  reader: Reader,
  version: number,
): ListPartitionReassignmentsRequest {
  checkVersion(ApiKey.ListPartitionReassignments, version, "read");
  const timeoutMs = reader.int32();
  const topics = readNullableArrayField(reader, true, (r) => {
    const name = readStringField(r, true, "topics.name");
    const partitionIndexes = readInt32s(r, "partition_indexes");
    r.skipTags();
    return { name, partitionIndexes };
  }, 3);
  reader.skipTags();
  return { timeoutMs, topics };
}

export function writeListPartitionReassignmentsResponse(
  writer: Writer,
  version: number,
  response: ListPartitionReassignmentsResponse,
): void {
  checkVersion(ApiKey.ListPartitionReassignments, version, "write");
  writer.int32(response.throttleTimeMs);
  writeErrorFields(writer, true, response);
  writeStructArray(writer, true, response.topics, (w, topic) => {
    w.compactString(topic.name);
    writeStructArray(w, true, topic.partitions, (w2, p) => {
      w2.int32(p.partitionIndex);
      int32s(w2, p.replicas);
      int32s(w2, p.addingReplicas);
      int32s(w2, p.removingReplicas);
    });
  });
  writer.emptyTags();
}

export function readListPartitionReassignmentsResponse(
  reader: Reader,
  version: number,
): ListPartitionReassignmentsResponse {
  checkVersion(ApiKey.ListPartitionReassignments, version, "read");
  const throttleTimeMs = reader.int32();
  const errors = readErrorFields(reader, true);
  const topics = readStructArray(reader, true, "topics", (r) => {
    const name = readStringField(r, true, "topics.name");
    const partitions = readStructArray(r, true, "partitions", (r2) => ({
      partitionIndex: r2.int32(),
      replicas: readInt32s(r2, "replicas"),
      addingReplicas: readInt32s(r2, "adding_replicas"),
      removingReplicas: readInt32s(r2, "removing_replicas"),
    }), 8);
    return { name, partitions };
  }, 3);
  reader.skipTags();
  return { throttleTimeMs, ...errors, topics };
}
