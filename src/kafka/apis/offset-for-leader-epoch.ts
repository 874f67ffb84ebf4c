/**
 * OffsetForLeaderEpoch (key 23), versions 0–3: a follower (or a consumer) asks where a
 * leader epoch ended, to truncate its log exactly there (KIP-101) rather than to a stale high
 * watermark. None of these versions is flexible.
 *
 * Request v0–1  => topics [topic STRING partitions [partition INT32 leader_epoch INT32]]
 * Request v2    => topics [topic partitions [partition current_leader_epoch INT32 leader_epoch]]
 * Request v3    => replica_id INT32 topics (as v2)
 *
 * Response v0   => topics [topic STRING partitions [error_code INT16 partition INT32
 *                                                   end_offset INT64]]
 * Response v1   => topics [topic partitions [error_code partition leader_epoch INT32 end_offset]]
 * Response v2–3 => throttle_time_ms INT32 topics (as v1)
 *
 * current_leader_epoch (KIP-320) fences callers with stale metadata: older than the broker's
 * → FENCED_LEADER_EPOCH, newer → UNKNOWN_LEADER_EPOCH; -1 skips the check. replica_id is the
 * follower's broker id, -1 for a consumer, -2 (default) for a debug client.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readString } from "./field-readers.ts";

/** replica_id of a request that does not say (versions before 3). */
export const DEBUG_REPLICA_ID = -2;

export interface OffsetForLeaderPartition {
  partition: number;
  /** v2+; default -1 (no fencing). */
  currentLeaderEpoch?: number;
  /** The epoch whose end offset is asked for. */
  leaderEpoch: number;
}

export interface OffsetForLeaderTopic {
  topic: string;
  partitions: OffsetForLeaderPartition[];
}

export interface OffsetForLeaderEpochRequest {
  /** v3+; default -2. */
  replicaId?: number;
  topics: OffsetForLeaderTopic[];
}

export interface OffsetForLeaderPartitionResult {
  errorCode: number;
  partition: number;
  /** v1+; default -1. The largest epoch at or below the one asked for. */
  leaderEpoch?: number;
  /** The start offset of the next epoch after leaderEpoch (or the log end offset). */
  endOffset: number;
}

export interface OffsetForLeaderTopicResult {
  topic: string;
  partitions: OffsetForLeaderPartitionResult[];
}

export interface OffsetForLeaderEpochResponse {
  /** v2+; default 0. */
  throttleTimeMs?: number;
  topics: OffsetForLeaderTopicResult[];
}

export function writeOffsetForLeaderEpochRequest(
  writer: Writer,
  version: number,
  request: OffsetForLeaderEpochRequest,
): void {
  checkVersion(ApiKey.OffsetForLeaderEpoch, version, "write");
  if (version >= 3) writer.int32(request.replicaId ?? DEBUG_REPLICA_ID);
  writer.array(request.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (pw, p) => {
      pw.int32(p.partition);
      if (version >= 2) pw.int32(p.currentLeaderEpoch ?? -1);
      pw.int32(p.leaderEpoch);
    });
  });
}

export function readOffsetForLeaderEpochRequest(
  reader: Reader,
  version: number,
): OffsetForLeaderEpochRequest {
  checkVersion(ApiKey.OffsetForLeaderEpoch, version, "read");
  const replicaId = version >= 3 ? reader.int32() : DEBUG_REPLICA_ID;
  const topics = readArray(reader, "topics", (r) => ({
    topic: readString(r, "topics.topic"),
    partitions: readArray(r, "topics.partitions", (pr) => {
      const partition = pr.int32();
      const currentLeaderEpoch = version >= 2 ? pr.int32() : -1;
      const leaderEpoch = pr.int32();
      return { partition, currentLeaderEpoch, leaderEpoch };
    }, version >= 2 ? 12 : 8),
  }), 6);
  return { replicaId, topics };
}

export function writeOffsetForLeaderEpochResponse(
  writer: Writer,
  version: number,
  response: OffsetForLeaderEpochResponse,
): void {
  checkVersion(ApiKey.OffsetForLeaderEpoch, version, "write");
  if (version >= 2) writer.int32(response.throttleTimeMs ?? 0);
  writer.array(response.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (pw, p) => {
      pw.int16(p.errorCode).int32(p.partition);
      if (version >= 1) pw.int32(p.leaderEpoch ?? -1);
      pw.int64n(p.endOffset);
    });
  });
}

export function readOffsetForLeaderEpochResponse(
  reader: Reader,
  version: number,
): OffsetForLeaderEpochResponse {
  checkVersion(ApiKey.OffsetForLeaderEpoch, version, "read");
  const throttleTimeMs = version >= 2 ? reader.int32() : 0;
  const topics = readArray(reader, "topics", (r) => ({
    topic: readString(r, "topics.topic"),
    partitions: readArray(r, "topics.partitions", (pr) => {
      const errorCode = pr.int16();
      const partition = pr.int32();
      const leaderEpoch = version >= 1 ? pr.int32() : -1;
      const endOffset = pr.int64n();
      return { errorCode, partition, leaderEpoch, endOffset };
    }, version >= 1 ? 18 : 14),
  }), 6);
  return { throttleTimeMs, topics };
}
