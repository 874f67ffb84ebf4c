/**
 * OffsetFetch (key 9), versions 0–7: a consumer reads the positions its group committed.
 * Flexible (compact strings and arrays, tag sections) from v6.
 *
 * Request v0–1  => group_id STRING topics [name STRING partition_indexes [INT32]]
 * Request v2–6  => the same, but topics may be null (-1): every topic the group committed
 * Request v7    => the same plus require_stable BOOLEAN: a partition whose offset a still-open
 *                  transaction commits answers UNSTABLE_OFFSET_COMMIT (retriable) instead
 *
 * Response v0–1 => topics [name STRING partitions [partition_index INT32 committed_offset INT64
 *                                                  metadata NULLABLE_STRING error_code INT16]]
 * Response v2   => topics error_code INT16                          (group-level error)
 * Response v3–4 => throttle_time_ms INT32 topics error_code INT16
 * Response v5–7 => as v3, each partition with committed_leader_epoch INT32 after committed_offset
 *
 * committed_offset -1 means nothing is committed for that partition.
 */
import type { Reader } from "../../wire/reader.ts";
import { WireError } from "../../wire/wire-error.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import {
  endStruct,
  readArrayField,
  readNullableArrayField,
  readNullableStringField,
  readStringField,
  readStructArray,
  skipStructTags,
  writeArrayField,
  writeStringField,
  writeStructArray,
} from "./flexible-fields.ts";

export interface OffsetFetchRequestTopic {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchRequest {
  groupId: string;
  /** null (v2+ only) = all topics the group has offsets for. */
  topics: OffsetFetchRequestTopic[] | null;
  /** v7+; default false. */
  requireStable?: boolean;
}

export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  /** -1 when nothing is committed. */
  committedOffset: number;
  /** v5+; default -1. */
  committedLeaderEpoch?: number;
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

const FIRST_FLEXIBLE = 6;

export function writeOffsetFetchRequest(writer: Writer, version: number, request: OffsetFetchRequest): void {
  checkVersion(ApiKey.OffsetFetch, version, "write");
  if (request.topics === null && version < 2) {
    throw new RangeError(`OffsetFetch v${version} cannot ask for all topics (null topics needs v2+)`);
  }
  const flexible = version >= FIRST_FLEXIBLE;
  writeStringField(writer, flexible, request.groupId);
  writeArrayField(writer, flexible, request.topics, (w, t) => {
    writeStringField(w, flexible, t.name);
    writeArrayField(w, flexible, t.partitionIndexes, (iw, i) => iw.int32(i));
    endStruct(w, flexible);
  });
  if (version >= 7) writer.bool(request.requireStable ?? false);
  endStruct(writer, flexible);
}

export function readOffsetFetchRequest(reader: Reader, version: number): OffsetFetchRequest {
  checkVersion(ApiKey.OffsetFetch, version, "read");
  const flexible = version >= FIRST_FLEXIBLE;
  const groupId = readStringField(reader, flexible, "group_id");
  const topics = readNullableArrayField(reader, flexible, (r) => {
    const name = readStringField(r, flexible, "topics.name");
    const partitionIndexes = readArrayField(r, flexible, "topics.partition_indexes", (ir) => ir.int32(), 4);
    skipStructTags(r, flexible);
    return { name, partitionIndexes };
  }, flexible ? 2 : 6);
  if (topics === null && version < 2) throw new WireError(`Null in non-nullable field topics`);
  const requireStable = version >= 7 ? reader.bool() : undefined;
  skipStructTags(reader, flexible);
  return requireStable === undefined ? { groupId, topics } : { groupId, topics, requireStable };
}

export function writeOffsetFetchResponse(
  writer: Writer,
  version: number,
  response: OffsetFetchResponse,
): void {
  checkVersion(ApiKey.OffsetFetch, version, "write");
  const flexible = version >= FIRST_FLEXIBLE;
  if (version >= 3) writer.int32(response.throttleTimeMs ?? 0);
  writeStructArray(writer, flexible, response.topics, (w, topic) => {
    writeStringField(w, flexible, topic.name);
    writeStructArray(w, flexible, topic.partitions, (pw, p) => {
      pw.int32(p.partitionIndex).int64n(p.committedOffset);
      if (version >= 5) pw.int32(p.committedLeaderEpoch ?? -1);
      writeStringField(pw, flexible, p.metadata);
      pw.int16(p.errorCode);
    });
  });
  if (version >= 2) writer.int16(response.errorCode ?? 0);
  endStruct(writer, flexible);
}

export function readOffsetFetchResponse(reader: Reader, version: number): OffsetFetchResponse {
  checkVersion(ApiKey.OffsetFetch, version, "read");
  const flexible = version >= FIRST_FLEXIBLE;
  const throttleTimeMs = version >= 3 ? reader.int32() : 0;
  const topics = readStructArray(reader, flexible, "topics", (r) => ({
    name: readStringField(r, flexible, "topics.name"),
    partitions: readStructArray(r, flexible, "topics.partitions", (pr) => {
      const partitionIndex = pr.int32();
      const committedOffset = pr.int64n();
      const committedLeaderEpoch = version >= 5 ? pr.int32() : undefined;
      const metadata = readNullableStringField(pr, flexible);
      const errorCode = pr.int16();
      return committedLeaderEpoch === undefined
        ? { partitionIndex, committedOffset, metadata, errorCode }
        : { partitionIndex, committedOffset, committedLeaderEpoch, metadata, errorCode };
    }, flexible ? 15 : 16),
  }), flexible ? 2 : 6);
  const errorCode = version >= 2 ? reader.int16() : 0;
  skipStructTags(reader, flexible);
  return { throttleTimeMs, topics, errorCode };
}
