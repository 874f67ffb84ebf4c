/**
 * Fetch (key 1), versions 4–11: consumers and follower replicas read record batches. Records
 * are raw RecordBatch bytes, never parsed here. None of these versions is flexible.
 *
 * Request v4     => replica_id INT32 max_wait_ms INT32 min_bytes INT32 max_bytes INT32
 *                   isolation_level INT8
 *                   topics [topic STRING partitions [partition INT32 fetch_offset INT64
 *                                                    partition_max_bytes INT32]]
 * Request v5–6   => ... partitions [partition fetch_offset log_start_offset INT64 partition_max_bytes]
 * Request v7–8   => replica_id max_wait_ms min_bytes max_bytes isolation_level
 *                   session_id INT32 session_epoch INT32 topics
 *                   forgotten_topics_data [topic STRING partitions [INT32]]
 * Request v9–10  => ... partitions [partition current_leader_epoch INT32 fetch_offset
 *                                   log_start_offset partition_max_bytes]
 * Request v11    => ... forgotten_topics_data rack_id STRING
 *
 * Response v4    => throttle_time_ms INT32
 *                   responses [topic STRING partitions [partition_index INT32 error_code INT16
 *                              high_watermark INT64 last_stable_offset INT64
 *                              aborted_transactions [producer_id INT64 first_offset INT64] (nullable)
 *                              records NULLABLE_BYTES]]
 * Response v5–6  => ... partitions [partition_index error_code high_watermark last_stable_offset
 *                                   log_start_offset INT64 aborted_transactions records]
 * Response v7–10 => throttle_time_ms error_code INT16 session_id INT32 responses
 * Response v11   => ... partitions [... log_start_offset aborted_transactions
 *                                   preferred_read_replica INT32 records]
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readInt32s, readString } from "./field-readers.ts";

export interface FetchPartition {
  partition: number;
  /** v9+; default -1. */
  currentLeaderEpoch?: number;
  fetchOffset: number;
  /** v5+; default -1 (only followers set it). */
  logStartOffset?: number;
  partitionMaxBytes: number;
}

export interface FetchTopic {
  topic: string;
  partitions: FetchPartition[];
}

export interface ForgottenTopic {
  topic: string;
  partitions: number[];
}

export interface FetchRequest {
  /** -1 for consumers; the follower's broker id for replicas. */
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  /** 0 read uncommitted, 1 read committed. */
  isolationLevel: number;
  /** v7+; default 0. */
  sessionId?: number;
  /** v7+; default -1. */
  sessionEpoch?: number;
  topics: FetchTopic[];
  /** v7+; default []. */
  forgottenTopicsData?: ForgottenTopic[];
  /** v11+; default "". */
  rackId?: string;
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: number;
}

export interface FetchPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  /** v5+; default -1. */
  logStartOffset?: number;
  abortedTransactions: AbortedTransaction[] | null;
  /** v11+; default -1 (and must be -1: we have no read replicas). */
  preferredReadReplica?: number;
  /** Raw RecordBatch bytes; send an empty array, not null, when there are none. */
  records: Uint8Array | null;
}

export interface FetchTopicResponse {
  topic: string;
  partitions: FetchPartitionResponse[];
}

export interface FetchResponse {
  throttleTimeMs: number;
  /** v7+; default 0. */
  errorCode?: number;
  /** v7+; default 0 (0 = no fetch session). */
  sessionId?: number;
  responses: FetchTopicResponse[];
}

export function writeFetchRequest(writer: Writer, version: number, request: FetchRequest): void {
  checkVersion(ApiKey.Fetch, version, "write");
  writer.int32(request.replicaId).int32(request.maxWaitMs).int32(request.minBytes).int32(request.maxBytes)
    .int8(request.isolationLevel);
  if (version >= 7) writer.int32(request.sessionId ?? 0).int32(request.sessionEpoch ?? -1);
  writer.array(request.topics, (w, topic) => {
    w.string(topic.topic).array(topic.partitions, (w2, p) => {
      w2.int32(p.partition);
      if (version >= 9) w2.int32(p.currentLeaderEpoch ?? -1);
      w2.int64n(p.fetchOffset);
      if (version >= 5) w2.int64n(p.logStartOffset ?? -1);
      w2.int32(p.partitionMaxBytes);
    });
  });
  if (version >= 7) {
    writer.array(request.forgottenTopicsData ?? [], (w, forgotten) => {
      w.string(forgotten.topic).array(forgotten.partitions, (w2, index) => w2.int32(index));
    });
  }
  if (version >= 11) writer.string(request.rackId ?? "");
}

export function readFetchRequest(reader: Reader, version: number): FetchRequest {
  checkVersion(ApiKey.Fetch, version, "read");
  const replicaId = reader.int32();
  const maxWaitMs = reader.int32();
  const minBytes = reader.int32();
  const maxBytes = reader.int32();
  const isolationLevel = reader.int8();
  const sessionId = version >= 7 ? reader.int32() : 0;
  const sessionEpoch = version >= 7 ? reader.int32() : -1;
  const topics = readArray(reader, "topics", (r) => {
    const topic = readString(r, "topic");
    const partitions = readArray(r, "partitions", (r2) => {
      const partition = r2.int32();
      const currentLeaderEpoch = version >= 9 ? r2.int32() : -1;
      const fetchOffset = r2.int64n();
      const logStartOffset = version >= 5 ? r2.int64n() : -1;
      const partitionMaxBytes = r2.int32();
      return { partition, currentLeaderEpoch, fetchOffset, logStartOffset, partitionMaxBytes };
    }, 16);
    return { topic, partitions };
  }, 6);
  const forgottenTopicsData = version >= 7
    ? readArray(reader, "forgotten_topics_data", (r) => {
      const topic = readString(r, "topic");
      return { topic, partitions: readInt32s(r, "partitions") };
    }, 6)
    : [];
  const rackId = version >= 11 ? readString(reader, "rack_id") : "";
  return {
    replicaId,
    maxWaitMs,
    minBytes,
    maxBytes,
    isolationLevel,
    sessionId,
    sessionEpoch,
    topics,
    forgottenTopicsData,
    rackId,
  };
}

export function writeFetchResponse(writer: Writer, version: number, response: FetchResponse): void {
  checkVersion(ApiKey.Fetch, version, "write");
  writer.int32(response.throttleTimeMs);
  if (version >= 7) writer.int16(response.errorCode ?? 0).int32(response.sessionId ?? 0);
  writer.array(response.responses, (w, topic) => {
    w.string(topic.topic).array(topic.partitions, (w2, p) => writePartition(w2, version, p));
  });
}

function writePartition(writer: Writer, version: number, p: FetchPartitionResponse): void {
  writer.int32(p.partitionIndex).int16(p.errorCode).int64n(p.highWatermark).int64n(p.lastStableOffset);
  if (version >= 5) writer.int64n(p.logStartOffset ?? -1);
  writer.array(p.abortedTransactions, (w, t) => w.int64(t.producerId).int64n(t.firstOffset));
  if (version >= 11) writer.int32(p.preferredReadReplica ?? -1);
  // The stored batches go out by reference: no copy into the response buffer.
  if (p.records === null) writer.int32(-1);
  else writer.int32(p.records.length).rawShared(p.records);
}

export function readFetchResponse(reader: Reader, version: number): FetchResponse {
  checkVersion(ApiKey.Fetch, version, "read");
  const throttleTimeMs = reader.int32();
  const errorCode = version >= 7 ? reader.int16() : 0;
  const sessionId = version >= 7 ? reader.int32() : 0;
  const responses = readArray(reader, "responses", (r) => {
    const topic = readString(r, "topic");
    return { topic, partitions: readArray(r, "partitions", (r2) => readPartition(r2, version), 34) };
  }, 6);
  return { throttleTimeMs, errorCode, sessionId, responses };
}

function readPartition(reader: Reader, version: number): FetchPartitionResponse {
  const partitionIndex = reader.int32();
  const errorCode = reader.int16();
  const highWatermark = reader.int64n();
  const lastStableOffset = reader.int64n();
  const logStartOffset = version >= 5 ? reader.int64n() : -1;
  const abortedTransactions = reader.array((r) => ({ producerId: r.int64(), firstOffset: r.int64n() }), 16);
  const preferredReadReplica = version >= 11 ? reader.int32() : -1;
  const records = reader.bytes();
  return {
    partitionIndex,
    errorCode,
    highWatermark,
    lastStableOffset,
    logStartOffset,
    abortedTransactions,
    preferredReadReplica,
    records,
  };
}
