/**
 * AddPartitionsToTxn (key 24), versions 0–3: a transactional producer tells its transaction
 * coordinator which partitions it is about to write, before its first batch to each (so the
 * coordinator knows where to send the COMMIT / ABORT markers). v1 is v0 with throttling
 * semantics, v2 allows PRODUCER_FENCED, v3 is flexible. (v4, the brokers' batched form of
 * KIP-890, is not implemented.)
 *
 * Request v0–3  => transactional_id STRING producer_id INT64 producer_epoch INT16
 *                  topics [name STRING partitions [INT32]]
 * Response v0–3 => throttle_time_ms INT32
 *                  results [name STRING results [partition_index INT32 error_code INT16]]
 *
 * @example
 * ```ts
 * writeAddPartitionsToTxnRequest(writer, 1, { transactionalId: "tx", producerId: 7n,
 *   producerEpoch: 0, topics: [{ name: "orders", partitions: [0, 1] }] });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import {
  endStruct,
  readArrayField,
  readStringField,
  readStructArray,
  skipStructTags,
  writeArrayField,
  writeStringField,
  writeStructArray,
} from "./flexible-fields.ts";

export interface AddPartitionsToTxnTopic {
  name: string;
  partitions: number[];
}

export interface AddPartitionsToTxnRequest {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  topics: AddPartitionsToTxnTopic[];
}

export interface AddPartitionsToTxnResult {
  name: string;
  results: { partitionIndex: number; errorCode: number }[];
}

export interface AddPartitionsToTxnResponse {
  throttleTimeMs: number;
  results: AddPartitionsToTxnResult[];
}

export function writeAddPartitionsToTxnRequest(
  writer: Writer,
  version: number,
  request: AddPartitionsToTxnRequest,
): void {
  checkVersion(ApiKey.AddPartitionsToTxn, version, "write");
  const flexible = version >= 3;
  writeStringField(writer, flexible, request.transactionalId);
  writer.int64(request.producerId).int16(request.producerEpoch);
  writeStructArray(writer, flexible, request.topics, (w, topic) => {
    writeStringField(w, flexible, topic.name);
    writeArrayField(w, flexible, topic.partitions, (w2, p) => w2.int32(p));
  });
  endStruct(writer, flexible);
}

export function readAddPartitionsToTxnRequest(reader: Reader, version: number): AddPartitionsToTxnRequest {
  checkVersion(ApiKey.AddPartitionsToTxn, version, "read");
  const flexible = version >= 3;
  const transactionalId = readStringField(reader, flexible, "transactional_id");
  const producerId = reader.int64();
  const producerEpoch = reader.int16();
  const topics = readStructArray(reader, flexible, "topics", (r) => ({
    name: readStringField(r, flexible, "name"),
    partitions: readArrayField(r, flexible, "partitions", (r2) => r2.int32(), 4),
  }), 2);
  skipStructTags(reader, flexible);
  return { transactionalId, producerId, producerEpoch, topics };
}

export function writeAddPartitionsToTxnResponse(
  writer: Writer,
  version: number,
  response: AddPartitionsToTxnResponse,
): void {
  checkVersion(ApiKey.AddPartitionsToTxn, version, "write");
  const flexible = version >= 3;
  writer.int32(response.throttleTimeMs);
  writeStructArray(writer, flexible, response.results, (w, topic) => {
    writeStringField(w, flexible, topic.name);
    writeStructArray(w, flexible, topic.results, (w2, p) => w2.int32(p.partitionIndex).int16(p.errorCode));
  });
  endStruct(writer, flexible);
}

export function readAddPartitionsToTxnResponse(reader: Reader, version: number): AddPartitionsToTxnResponse {
  checkVersion(ApiKey.AddPartitionsToTxn, version, "read");
  const flexible = version >= 3;
  const throttleTimeMs = reader.int32();
  const results = readStructArray(reader, flexible, "results", (r) => ({
    name: readStringField(r, flexible, "name"),
    results: readStructArray(
      r,
      flexible,
      "results",
      (r2) => ({ partitionIndex: r2.int32(), errorCode: r2.int16() }),
      6,
    ),
  }), 2);
  skipStructTags(reader, flexible);
  return { throttleTimeMs, results };
}
