/**
 * Produce (key 0), versions 0–7: record batches (raw bytes, never parsed here) for topic
 * partitions. None of these versions is flexible. v4–7 change only the errors and compression
 * codecs a client must accept (zstd from v7); v5 adds log_start_offset.
 *
 * Versions 0–2 are implemented because librdkafka (kcat) enables gzip, snappy and lz4 only when
 * the broker's Produce range starts at 0 (it still sends v7). Their requests are decoded like any
 * other; the broker accepts RecordBatch v2 in them and refuses the old magic 0/1 message sets.
 *
 * Request v0–2  => acks INT16 timeout_ms INT32
 *                  topic_data [name STRING partition_data [index INT32 records NULLABLE_BYTES]]
 * Request v3–7  => transactional_id NULLABLE_STRING acks INT16 timeout_ms INT32 topic_data (as v0)
 *
 * Response v0   => responses [name STRING partition_responses [index INT32 error_code INT16
 *                             base_offset INT64]]
 * Response v1   => v0 + throttle_time_ms INT32
 * Response v2–4 => responses [name partition_responses [index error_code base_offset
 *                             log_append_time_ms INT64]]
 *                  throttle_time_ms INT32
 * Response v5–7 => responses [name partition_responses [index error_code base_offset
 *                             log_append_time_ms log_start_offset INT64]]
 *                  throttle_time_ms
 *
 * acks = 0 gets no response at all (the broker's job, not the codec's).
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readString } from "./field-readers.ts";

export interface ProducePartitionData {
  index: number;
  /** Raw RecordBatch bytes (a view into the request when read). */
  records: Uint8Array | null;
}

export interface ProduceTopicData {
  name: string;
  partitionData: ProducePartitionData[];
}

export interface ProduceRequest {
  transactionalId: string | null;
  /** 0, 1 or -1 (all). */
  acks: number;
  timeoutMs: number;
  topicData: ProduceTopicData[];
}

export interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTimeMs: number;
  /** v5+; default -1. */
  logStartOffset?: number;
}

export interface ProduceTopicResponse {
  name: string;
  partitionResponses: ProducePartitionResponse[];
}

export interface ProduceResponse {
  responses: ProduceTopicResponse[];
  throttleTimeMs: number;
}

export function writeProduceRequest(writer: Writer, version: number, request: ProduceRequest): void {
  checkVersion(ApiKey.Produce, version, "write");
  if (version >= 3) writer.string(request.transactionalId);
  writer.int16(request.acks).int32(request.timeoutMs);
  writer.array(request.topicData, (w, topic) => {
    w.string(topic.name).array(topic.partitionData, (w2, p) => {
      // Batches go out by reference: the request is sent as chunks, not copied into the writer.
      w2.int32(p.index);
      if (p.records === null) w2.int32(-1);
      else w2.int32(p.records.length).rawShared(p.records);
    });
  });
}

export function readProduceRequest(reader: Reader, version: number): ProduceRequest {
  checkVersion(ApiKey.Produce, version, "read");
  const transactionalId = version >= 3 ? reader.string() : null;
  const acks = reader.int16();
  const timeoutMs = reader.int32();
  const topicData = readArray(reader, "topic_data", (r) => {
    const name = readString(r, "name");
    const partitionData = readArray(
      r,
      "partition_data",
      (r2) => ({ index: r2.int32(), records: r2.bytes() }),
      8,
    );
    return { name, partitionData };
  }, 6);
  return { transactionalId, acks, timeoutMs, topicData };
}

export function writeProduceResponse(writer: Writer, version: number, response: ProduceResponse): void {
  checkVersion(ApiKey.Produce, version, "write");
  writer.array(response.responses, (w, topic) => {
    w.string(topic.name).array(topic.partitionResponses, (w2, p) => {
      w2.int32(p.index).int16(p.errorCode).int64n(p.baseOffset);
      if (version >= 2) w2.int64n(p.logAppendTimeMs);
      if (version >= 5) w2.int64n(p.logStartOffset ?? -1);
    });
  });
  if (version >= 1) writer.int32(response.throttleTimeMs);
}

export function readProduceResponse(reader: Reader, version: number): ProduceResponse {
  checkVersion(ApiKey.Produce, version, "read");
  const responses = readArray(reader, "responses", (r) => {
    const name = readString(r, "name");
    const partitionResponses = readArray(r, "partition_responses", (r2) => {
      const index = r2.int32();
      const errorCode = r2.int16();
      const baseOffset = r2.int64n();
      const logAppendTimeMs = version >= 2 ? r2.int64n() : -1;
      const logStartOffset = version >= 5 ? r2.int64n() : -1;
      return { index, errorCode, baseOffset, logAppendTimeMs, logStartOffset };
    }, 14);
    return { name, partitionResponses };
  }, 6);
  const throttleTimeMs = version >= 1 ? reader.int32() : 0;
  return { responses, throttleTimeMs };
}
