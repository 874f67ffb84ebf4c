/**
 * OffsetCommit (key 8), versions 0–5: a consumer stores its positions with the group
 * coordinator. None of these versions is flexible.
 *
 * Request v0    => group_id STRING
 *                  topics [name STRING partitions [partition_index INT32 committed_offset INT64
 *                                                  committed_metadata NULLABLE_STRING]]
 * Request v1    => group_id generation_id INT32 member_id STRING
 *                  topics [name partitions [partition_index committed_offset
 *                                           commit_timestamp INT64 committed_metadata]]
 * Request v2–4  => group_id generation_id member_id retention_time_ms INT64
 *                  topics [name partitions [partition_index committed_offset committed_metadata]]
 * Request v5    => group_id generation_id member_id topics (as v2, no retention time)
 *
 * Response v0–2 => topics [name STRING partitions [partition_index INT32 error_code INT16]]
 * Response v3–5 => throttle_time_ms INT32 topics
 *
 * generation_id -1 with an empty member_id is a commit from outside any group (simple consumer).
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readString } from "./field-readers.ts";

export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  /** v1 only; default -1 (the broker stamps the commit time). */
  commitTimestamp?: number;
  committedMetadata: string | null;
}

export interface OffsetCommitRequestTopic {
  name: string;
  partitions: OffsetCommitRequestPartition[];
}

export interface OffsetCommitRequest {
  groupId: string;
  /** v1+; default -1. */
  generationId?: number;
  /** v1+; default "". */
  memberId?: string;
  /** v2–4; default -1 (the broker's retention applies). */
  retentionTimeMs?: number;
  topics: OffsetCommitRequestTopic[];
}

export interface OffsetCommitResponsePartition {
  partitionIndex: number;
  errorCode: number;
}

export interface OffsetCommitResponseTopic {
  name: string;
  partitions: OffsetCommitResponsePartition[];
}

export interface OffsetCommitResponse {
  /** v3+; default 0. */
  throttleTimeMs?: number;
  topics: OffsetCommitResponseTopic[];
}

export function writeOffsetCommitRequest(
  writer: Writer,
  version: number,
  request: OffsetCommitRequest,
): void {
  checkVersion(ApiKey.OffsetCommit, version, "write");
  writer.string(request.groupId);
  if (version >= 1) writer.int32(request.generationId ?? -1).string(request.memberId ?? "");
  if (version >= 2 && version <= 4) writer.int64n(request.retentionTimeMs ?? -1);
  writer.array(request.topics, (w, topic) => {
    w.string(topic.name);
    w.array(topic.partitions, (pw, p) => {
      pw.int32(p.partitionIndex).int64n(p.committedOffset);
      if (version === 1) pw.int64n(p.commitTimestamp ?? -1);
      pw.string(p.committedMetadata);
    });
  });
}

export function readOffsetCommitRequest(reader: Reader, version: number): OffsetCommitRequest {
  checkVersion(ApiKey.OffsetCommit, version, "read");
  const groupId = readString(reader, "group_id");
  const generationId = version >= 1 ? reader.int32() : -1;
  const memberId = version >= 1 ? readString(reader, "member_id") : "";
  const retentionTimeMs = version >= 2 && version <= 4 ? reader.int64n() : -1;
  const partitionBytes = version === 1 ? 22 : 14;
  const topics = readArray(reader, "topics", (r) => ({
    name: readString(r, "topics.name"),
    partitions: readArray(r, "topics.partitions", (pr) => {
      const partitionIndex = pr.int32();
      const committedOffset = pr.int64n();
      const commitTimestamp = version === 1 ? pr.int64n() : -1;
      const committedMetadata = pr.string();
      return { partitionIndex, committedOffset, commitTimestamp, committedMetadata };
    }, partitionBytes),
  }), 6);
  return { groupId, generationId, memberId, retentionTimeMs, topics };
}

export function writeOffsetCommitResponse(
  writer: Writer,
  version: number,
  response: OffsetCommitResponse,
): void {
  checkVersion(ApiKey.OffsetCommit, version, "write");
  if (version >= 3) writer.int32(response.throttleTimeMs ?? 0);
  writer.array(response.topics, (w, topic) => {
    w.string(topic.name);
    w.array(topic.partitions, (pw, p) => pw.int32(p.partitionIndex).int16(p.errorCode));
  });
}

export function readOffsetCommitResponse(reader: Reader, version: number): OffsetCommitResponse {
  checkVersion(ApiKey.OffsetCommit, version, "read");
  const throttleTimeMs = version >= 3 ? reader.int32() : 0;
  const topics = readArray(reader, "topics", (r) => ({
    name: readString(r, "topics.name"),
    partitions: readArray(r, "topics.partitions", (pr) => ({
      partitionIndex: pr.int32(),
      errorCode: pr.int16(),
    }), 6),
  }), 6);
  return { throttleTimeMs, topics };
}
