/**
 * CreatePartitions (key 37), versions 0–1 (identical on the wire; v1 only changes throttling).
 * Neither version is flexible.
 *
 * Request v0–1  => topics [name STRING count INT32 assignments [broker_ids [INT32]] (nullable)]
 *                  timeout_ms INT32 validate_only BOOLEAN
 *
 * Response v0–1 => throttle_time_ms INT32
 *                  results [name STRING error_code INT16 error_message NULLABLE_STRING]
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readInt32s, readString } from "./field-readers.ts";

export interface CreatePartitionsAssignment {
  brokerIds: number[];
}

export interface CreatePartitionsTopic {
  name: string;
  /** The new total partition count. */
  count: number;
  /** One entry per new partition, or null for automatic placement. */
  assignments: CreatePartitionsAssignment[] | null;
}

export interface CreatePartitionsRequest {
  topics: CreatePartitionsTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsTopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface CreatePartitionsResponse {
  throttleTimeMs: number;
  results: CreatePartitionsTopicResult[];
}

export function writeCreatePartitionsRequest(
  writer: Writer,
  version: number,
  request: CreatePartitionsRequest,
): void {
  checkVersion(ApiKey.CreatePartitions, version, "write");
  writer.array(request.topics, (w, topic) => {
    w.string(topic.name).int32(topic.count);
    w.array(topic.assignments, (w2, a) => w2.array(a.brokerIds, (w3, id) => w3.int32(id)));
  });
  writer.int32(request.timeoutMs).bool(request.validateOnly);
}

export function readCreatePartitionsRequest(reader: Reader, version: number): CreatePartitionsRequest {
  checkVersion(ApiKey.CreatePartitions, version, "read");
  const topics = readArray(reader, "topics", (r) => {
    const name = readString(r, "name");
    const count = r.int32();
    const assignments = r.array((r2) => ({ brokerIds: readInt32s(r2, "broker_ids") }), 4);
    return { name, count, assignments };
  }, 10);
  const timeoutMs = reader.int32();
  const validateOnly = reader.bool();
  return { topics, timeoutMs, validateOnly };
}

export function writeCreatePartitionsResponse(
  writer: Writer,
  version: number,
  response: CreatePartitionsResponse,
): void {
  checkVersion(ApiKey.CreatePartitions, version, "write");
  writer.int32(response.throttleTimeMs);
  writer.array(response.results, (w, result) => {
    w.string(result.name).int16(result.errorCode).string(result.errorMessage);
  });
}

export function readCreatePartitionsResponse(reader: Reader, version: number): CreatePartitionsResponse {
  checkVersion(ApiKey.CreatePartitions, version, "read");
  const throttleTimeMs = reader.int32();
  const results = readArray(reader, "results", (r) => {
    const name = readString(r, "name");
    return { name, errorCode: r.int16(), errorMessage: r.string() };
  }, 6);
  return { throttleTimeMs, results };
}
