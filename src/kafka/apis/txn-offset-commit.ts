/**
 * TxnOffsetCommit (key 28), versions 0–3 (flexible from 3): a transactional producer stores a
 * consumer group's positions as part of its transaction (consume-transform-produce). The group
 * coordinator keeps them pending until the transaction's COMMIT marker reaches the group's
 * `__consumer_offsets` partition; an ABORT marker drops them.
 *
 * Request v0–1 => transactional_id STRING group_id STRING producer_id INT64 producer_epoch INT16
 *                 topics [name STRING partitions [partition_index INT32 committed_offset INT64
 *                                                 committed_metadata NULLABLE_STRING]]
 * Request v2   => as v1, each partition with committed_leader_epoch INT32 after committed_offset
 * Request v3   => as v2 plus generation_id INT32 member_id STRING group_instance_id NULLABLE_STRING
 *                 after producer_epoch (flexible: compact strings and arrays, tag sections)
 *
 * Response     => throttle_time_ms INT32 topics [name STRING partitions [partition_index INT32
 *                                                                      error_code INT16]]
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import {
  endStruct,
  readNullableStringField,
  readStringField,
  readStructArray,
  skipStructTags,
  writeStringField,
  writeStructArray,
} from "./flexible-fields.ts";

export interface TxnOffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  /** v2+; default -1. */
  committedLeaderEpoch?: number;
  committedMetadata: string | null;
}

export interface TxnOffsetCommitRequestTopic {
  name: string;
  partitions: TxnOffsetCommitRequestPartition[];
}

export interface TxnOffsetCommitRequest {
  transactionalId: string;
  groupId: string;
  producerId: bigint;
  producerEpoch: number;
  /** v3+; default -1 (no generation check). */
  generationId?: number;
  /** v3+; default "". */
  memberId?: string;
  /** v3+; default null. */
  groupInstanceId?: string | null;
  topics: TxnOffsetCommitRequestTopic[];
}

export interface TxnOffsetCommitResponse {
  throttleTimeMs?: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

const FIRST_FLEXIBLE = 3;

export function writeTxnOffsetCommitRequest(
  writer: Writer,
  version: number,
  request: TxnOffsetCommitRequest,
): void {
  checkVersion(ApiKey.TxnOffsetCommit, version, "write");
  const flexible = version >= FIRST_FLEXIBLE;
  writeStringField(writer, flexible, request.transactionalId);
  writeStringField(writer, flexible, request.groupId);
  writer.int64(request.producerId).int16(request.producerEpoch);
  if (version >= 3) {
    writer.int32(request.generationId ?? -1);
    writeStringField(writer, flexible, request.memberId ?? "");
    writeStringField(writer, flexible, request.groupInstanceId ?? null);
  }
  writeStructArray(writer, flexible, request.topics, (w, topic) => {
    writeStringField(w, flexible, topic.name);
    writeStructArray(w, flexible, topic.partitions, (pw, p) => {
      pw.int32(p.partitionIndex).int64n(p.committedOffset);
      if (version >= 2) pw.int32(p.committedLeaderEpoch ?? -1);
      writeStringField(pw, flexible, p.committedMetadata);
    });
  });
  endStruct(writer, flexible);
}

export function readTxnOffsetCommitRequest(reader: Reader, version: number): TxnOffsetCommitRequest {
  checkVersion(ApiKey.TxnOffsetCommit, version, "read");
  const flexible = version >= FIRST_FLEXIBLE;
  const transactionalId = readStringField(reader, flexible, "transactional_id");
  const groupId = readStringField(reader, flexible, "group_id");
  const producerId = reader.int64();
  const producerEpoch = reader.int16();
  let generationId = -1;
  let memberId = "";
  let groupInstanceId: string | null = null;
  if (version >= 3) {
    generationId = reader.int32();
    memberId = readStringField(reader, flexible, "member_id");
    groupInstanceId = readNullableStringField(reader, flexible);
  }
  const topics = readStructArray(reader, flexible, "topics", (r) => ({
    name: readStringField(r, flexible, "topics.name"),
    partitions: readStructArray(r, flexible, "topics.partitions", (pr) => {
      const partitionIndex = pr.int32();
      const committedOffset = pr.int64n();
      const committedLeaderEpoch = version >= 2 ? pr.int32() : -1;
      const committedMetadata = readNullableStringField(pr, flexible);
      return { partitionIndex, committedOffset, committedLeaderEpoch, committedMetadata };
    }, 13),
  }), 2);
  skipStructTags(reader, flexible);
  return {
    transactionalId,
    groupId,
    producerId,
    producerEpoch,
    generationId,
    memberId,
    groupInstanceId,
    topics,
  };
}

export function writeTxnOffsetCommitResponse(
  writer: Writer,
  version: number,
  response: TxnOffsetCommitResponse,
): void {
  checkVersion(ApiKey.TxnOffsetCommit, version, "write");
  const flexible = version >= FIRST_FLEXIBLE;
  writer.int32(response.throttleTimeMs ?? 0);
  writeStructArray(writer, flexible, response.topics, (w, topic) => {
    writeStringField(w, flexible, topic.name);
    writeStructArray(w, flexible, topic.partitions, (pw, p) => pw.int32(p.partitionIndex).int16(p.errorCode));
  });
  endStruct(writer, flexible);
}

export function readTxnOffsetCommitResponse(reader: Reader, version: number): TxnOffsetCommitResponse {
  checkVersion(ApiKey.TxnOffsetCommit, version, "read");
  const flexible = version >= FIRST_FLEXIBLE;
  const throttleTimeMs = reader.int32();
  const topics = readStructArray(reader, flexible, "topics", (r) => ({
    name: readStringField(r, flexible, "topics.name"),
    partitions: readStructArray(r, flexible, "topics.partitions", (pr) => ({
      partitionIndex: pr.int32(),
      errorCode: pr.int16(),
    }), 6),
  }), 2);
  skipStructTags(reader, flexible);
  return { throttleTimeMs, topics };
}
