/**
 * InitProducerId (key 22), versions 0–1 (identical on the wire; v1 only changes throttling):
 * an idempotent or transactional producer gets its producer id and epoch. Not flexible.
 *
 * Request v0–1  => transactional_id NULLABLE_STRING transaction_timeout_ms INT32
 *
 * Response v0–1 => throttle_time_ms INT32 error_code INT16 producer_id INT64 producer_epoch INT16
 *
 * Producer ids use all 63 bits, so they are bigint.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
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
  writer.string(request.transactionalId).int32(request.transactionTimeoutMs);
}

export function readInitProducerIdRequest(reader: Reader, version: number): InitProducerIdRequest {
  checkVersion(ApiKey.InitProducerId, version, "read");
  const transactionalId = reader.string();
  return { transactionalId, transactionTimeoutMs: reader.int32() };
}

export function writeInitProducerIdResponse(
  writer: Writer,
  version: number,
  response: InitProducerIdResponse,
): void {
  checkVersion(ApiKey.InitProducerId, version, "write");
  writer.int32(response.throttleTimeMs).int16(response.errorCode).int64(response.producerId)
    .int16(response.producerEpoch);
}

export function readInitProducerIdResponse(reader: Reader, version: number): InitProducerIdResponse {
  checkVersion(ApiKey.InitProducerId, version, "read");
  const throttleTimeMs = reader.int32();
  const errorCode = reader.int16();
  const producerId = reader.int64();
  return { throttleTimeMs, errorCode, producerId, producerEpoch: reader.int16() };
}
