/**
 * ListOffsets (key 2), versions 0–2: the offset for a timestamp, or -1 (latest) / -2 (earliest).
 * None of these versions is flexible.
 *
 * Request v0   => replica_id INT32
 *                 topics [name STRING partitions [partition_index INT32 timestamp INT64
 *                                                 max_num_offsets INT32]]
 * Request v1   => replica_id topics [name partitions [partition_index timestamp]]
 * Request v2   => replica_id isolation_level INT8 topics
 *
 * Response v0  => topics [name STRING partitions [partition_index INT32 error_code INT16
 *                                                  old_style_offsets [INT64]]]
 * Response v1  => topics [name partitions [partition_index error_code timestamp INT64 offset INT64]]
 * Response v2  => throttle_time_ms INT32 topics
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readString } from "./field-readers.ts";

/** Special request timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export interface ListOffsetsPartition {
  partitionIndex: number;
  timestamp: number;
  /** v0 only; default 1. */
  maxNumOffsets?: number;
}

export interface ListOffsetsTopic {
  name: string;
  partitions: ListOffsetsPartition[];
}

export interface ListOffsetsRequest {
  replicaId: number;
  /** v2+; default 0. */
  isolationLevel?: number;
  topics: ListOffsetsTopic[];
}

export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  /** v0 only; default []. */
  oldStyleOffsets?: number[];
  /** v1+; default -1. */
  timestamp?: number;
  /** v1+; default -1. */
  offset?: number;
}

export interface ListOffsetsTopicResponse {
  name: string;
  partitions: ListOffsetsPartitionResponse[];
}

export interface ListOffsetsResponse {
  /** v2+; default 0. */
  throttleTimeMs?: number;
  topics: ListOffsetsTopicResponse[];
}

export function writeListOffsetsRequest(writer: Writer, version: number, request: ListOffsetsRequest): void {
  checkVersion(ApiKey.ListOffsets, version, "write");
  writer.int32(request.replicaId);
  if (version >= 2) writer.int8(request.isolationLevel ?? 0);
  writer.array(request.topics, (w, topic) => {
    w.string(topic.name).array(topic.partitions, (w2, p) => {
      w2.int32(p.partitionIndex).int64n(p.timestamp);
      if (version === 0) w2.int32(p.maxNumOffsets ?? 1);
    });
  });
}

export function readListOffsetsRequest(reader: Reader, version: number): ListOffsetsRequest {
  checkVersion(ApiKey.ListOffsets, version, "read");
  const replicaId = reader.int32();
  const isolationLevel = version >= 2 ? reader.int8() : 0;
  const topics = readArray(reader, "topics", (r) => {
    const name = readString(r, "name");
    const partitions = readArray(r, "partitions", (r2) => {
      const partitionIndex = r2.int32();
      const timestamp = r2.int64n();
      const maxNumOffsets = version === 0 ? r2.int32() : 1;
      return { partitionIndex, timestamp, maxNumOffsets };
    }, version === 0 ? 16 : 12);
    return { name, partitions };
  }, 6);
  return { replicaId, isolationLevel, topics };
}

export function writeListOffsetsResponse(
  writer: Writer,
  version: number,
  response: ListOffsetsResponse,
): void {
  checkVersion(ApiKey.ListOffsets, version, "write");
  if (version >= 2) writer.int32(response.throttleTimeMs ?? 0);
  writer.array(response.topics, (w, topic) => {
    w.string(topic.name).array(topic.partitions, (w2, p) => {
      w2.int32(p.partitionIndex).int16(p.errorCode);
      if (version === 0) w2.array(p.oldStyleOffsets ?? [], (w3, offset) => w3.int64n(offset));
      else w2.int64n(p.timestamp ?? -1).int64n(p.offset ?? -1);
    });
  });
}

export function readListOffsetsResponse(reader: Reader, version: number): ListOffsetsResponse {
  checkVersion(ApiKey.ListOffsets, version, "read");
  const throttleTimeMs = version >= 2 ? reader.int32() : 0;
  const topics = readArray(reader, "topics", (r) => {
    const name = readString(r, "name");
    const partitions = readArray(r, "partitions", (r2) => {
      const partitionIndex = r2.int32();
      const errorCode = r2.int16();
      if (version === 0) {
        const oldStyleOffsets = readArray(r2, "old_style_offsets", (r3) => r3.int64n(), 8);
        return { partitionIndex, errorCode, oldStyleOffsets, timestamp: -1, offset: -1 };
      }
      return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp: r2.int64n(), offset: r2.int64n() };
    }, 10);
    return { name, partitions };
  }, 6);
  return { throttleTimeMs, topics };
}
