/**
 * OffsetFetch (key 9), versions 0–4: a consumer reads the positions its group committed.
 * None of these versions is flexible.
 *
 * Request v0–1  => group_id STRING topics [name STRING partition_indexes [INT32]]
 * Request v2–4  => the same, but topics may be null (-1): every topic the group committed
 *
 * Response v0–1 => topics [name STRING partitions [partition_index INT32 committed_offset INT64
 *                                                  metadata NULLABLE_STRING error_code INT16]]
 * Response v2   => topics error_code INT16                          (group-level error)
 * Response v3–4 => throttle_time_ms INT32 topics error_code INT16
 *
 * committed_offset -1 means nothing is committed for that partition.
 */
import type { Reader } from "../../wire/reader.ts";
import { WireError } from "../../wire/wire-error.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readInt32s, readString } from "./field-readers.ts";

export interface OffsetFetchRequestTopic {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchRequest {
  groupId: string;
  /** null (v2+ only) = all topics the group has offsets for. */
  topics: OffsetFetchRequestTopic[] | null;
}

export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  /** -1 when nothing is committed. */
  committedOffset: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchResponseTopic {
  name: string;
  partitions: OffsetFetchResponsePartition[];
}

export interface OffsetFetchResponse {
  /** v3+; default 0. */
  throttleTimeMs?: number;
  topics: OffsetFetchResponseTopic[];
  /** v2+; default 0. */
  errorCode?: number;
}

export function writeOffsetFetchRequest(writer: Writer, version: number, request: OffsetFetchRequest): void {
  checkVersion(ApiKey.OffsetFetch, version, "write");
  if (request.topics === null && version < 2) {
    throw new RangeError(`OffsetFetch v${version} cannot ask for all topics (null topics needs v2+)`);
  }
  writer.string(request.groupId);
  writer.array(request.topics, (w, t) => w.string(t.name).array(t.partitionIndexes, (iw, i) => iw.int32(i)));
}

export function readOffsetFetchRequest(reader: Reader, version: number): OffsetFetchRequest {
  checkVersion(ApiKey.OffsetFetch, version, "read");
  const groupId = readString(reader, "group_id");
  const topics = reader.array((r) => ({
    name: readString(r, "topics.name"),
    partitionIndexes: readInt32s(r, "topics.partition_indexes"),
  }), 6);
  if (topics === null && version < 2) throw new WireError(`Null in non-nullable field topics`);
  return { groupId, topics };
}

export function writeOffsetFetchResponse(
  writer: Writer,
  version: number,
  response: OffsetFetchResponse,
): void {
  checkVersion(ApiKey.OffsetFetch, version, "write");
  if (version >= 3) writer.int32(response.throttleTimeMs ?? 0);
  writer.array(response.topics, (w, topic) => {
    w.string(topic.name);
    w.array(topic.partitions, (pw, p) => {
      pw.int32(p.partitionIndex).int64n(p.committedOffset).string(p.metadata).int16(p.errorCode);
    });
  });
  if (version >= 2) writer.int16(response.errorCode ?? 0);
}

export function readOffsetFetchResponse(reader: Reader, version: number): OffsetFetchResponse {
  checkVersion(ApiKey.OffsetFetch, version, "read");
  const throttleTimeMs = version >= 3 ? reader.int32() : 0;
  const topics = readArray(reader, "topics", (r) => ({
    name: readString(r, "topics.name"),
    partitions: readArray(r, "topics.partitions", (pr) => ({
      partitionIndex: pr.int32(),
      committedOffset: pr.int64n(),
      metadata: pr.string(),
      errorCode: pr.int16(),
    }), 16),
  }), 6);
  const errorCode = version >= 2 ? reader.int16() : 0;
  return { throttleTimeMs, topics, errorCode };
}
