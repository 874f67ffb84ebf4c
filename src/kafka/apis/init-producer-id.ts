/**
 * InitProducerId (key 22), versions 0–4: an idempotent or transactional producer gets its
 * producer id and epoch. v1 only changes throttling; v2 is flexible; v3 (KIP-360) lets a
 * producer name the id and epoch it has, so the coordinator bumps that epoch instead of handing
 * out a new id; v4 allows the PRODUCER_FENCED answer (older versions get INVALID_PRODUCER_EPOCH).
 *
 * Request v0–1  => transactional_id NULLABLE_STRING transaction_timeout_ms INT32
 * Request v2    => the same, flexible (COMPACT_NULLABLE_STRING, TAG_BUFFER)
 * Request v3–4  => v2 + producer_id INT64 producer_epoch INT16   (-1, -1 = none)
 *
 * Response v0–4 => throttle_time_ms INT32 error_code INT16 producer_id INT64 producer_epoch INT16
 *                  (+ TAG_BUFFER from v2)
 *
 * Producer ids use all 63 bits, so they are bigint.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import { endStruct, readNullableStringField, skipStructTags, writeStringField } from "./flexible-fields.ts";

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  /** v3+: the id the producer has (-1 = none); default -1. */
  producerId?: bigint;
  /** v3+: its epoch (-1 = none); default -1. */
  producerEpoch?: number;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export function writeInitProducerIdRequest(
  writer: Writer,
  version: number,
  request: InitProducerIdRequest,
): void {
  checkVersion(ApiKey.InitProducerId, version, "write");
  const flexible = version >= 2;
  writeStringField(writer, flexible, request.transactionalId);
  writer.int32(request.transactionTimeoutMs);
  if (version >= 3) writer.int64(request.producerId ?? -1n).int16(request.producerEpoch ?? -1);
  endStruct(writer, flexible);
}

export function readInitProducerIdRequest(reader: Reader, version: number): InitProducerIdRequest {
  checkVersion(ApiKey.InitProducerId, version, "read");
  const flexible = version >= 2;
  const transactionalId = readNullableStringField(reader, flexible);
  const transactionTimeoutMs = reader.int32();
  const producerId = version >= 3 ? reader.int64() : -1n;
  const producerEpoch = version >= 3 ? reader.int16() : -1;
  skipStructTags(reader, flexible);
  return { transactionalId, transactionTimeoutMs, producerId, producerEpoch };
}

export function writeInitProducerIdResponse(
  writer: Writer,
  version: number,
  response: InitProducerIdResponse,
): void {
  checkVersion(ApiKey.InitProducerId, version, "write");
  writer.int32(response.throttleTimeMs).int16(response.errorCode).int64(response.producerId)
    .int16(response.producerEpoch);
  endStruct(writer, version >= 2);
}

export function readInitProducerIdResponse(reader: Reader, version: number): InitProducerIdResponse {
  checkVersion(ApiKey.InitProducerId, version, "read");
  const throttleTimeMs = reader.int32();
  const errorCode = reader.int16();
  const producerId = reader.int64();
  const producerEpoch = reader.int16();
  skipStructTags(reader, version >= 2);
  return { throttleTimeMs, errorCode, producerId, producerEpoch };
}
