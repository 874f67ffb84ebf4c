/**
 * EndTxn (key 26), versions 0–3: a transactional producer asks its coordinator to commit
 * (committed = true) or abort its transaction. v2 allows PRODUCER_FENCED, v3 is flexible.
 *
 * Request v0–3  => transactional_id STRING producer_id INT64 producer_epoch INT16 committed BOOLEAN
 * Response v0–3 => throttle_time_ms INT32 error_code INT16
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import { endStruct, readStringField, skipStructTags, writeStringField } from "./flexible-fields.ts";

export interface EndTxnRequest {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  /** true = commit, false = abort. */
  committed: boolean;
}

export interface EndTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
}

export function writeEndTxnRequest(writer: Writer, version: number, request: EndTxnRequest): void {
  checkVersion(ApiKey.EndTxn, version, "write");
  const flexible = version >= 3;
  writeStringField(writer, flexible, request.transactionalId);
  writer.int64(request.producerId).int16(request.producerEpoch).bool(request.committed);
  endStruct(writer, flexible);
}

export function readEndTxnRequest(reader: Reader, version: number): EndTxnRequest {
  checkVersion(ApiKey.EndTxn, version, "read");
  const flexible = version >= 3;
  const transactionalId = readStringField(reader, flexible, "transactional_id");
  const producerId = reader.int64();
  const producerEpoch = reader.int16();
  const committed = reader.bool();
  skipStructTags(reader, flexible);
  return { transactionalId, producerId, producerEpoch, committed };
}

export function writeEndTxnResponse(writer: Writer, version: number, response: EndTxnResponse): void {
  checkVersion(ApiKey.EndTxn, version, "write");
  writer.int32(response.throttleTimeMs).int16(response.errorCode);
  endStruct(writer, version >= 3);
}

export function readEndTxnResponse(reader: Reader, version: number): EndTxnResponse {
  checkVersion(ApiKey.EndTxn, version, "read");
  const throttleTimeMs = reader.int32();
  const errorCode = reader.int16();
  skipStructTags(reader, version >= 3);
  return { throttleTimeMs, errorCode };
}
