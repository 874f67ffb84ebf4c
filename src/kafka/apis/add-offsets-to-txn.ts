/**
 * AddOffsetsToTxn (key 25), versions 0–3: a transactional producer tells its coordinator it
 * will commit a group's offsets in the transaction (TxnOffsetCommit follows, to the group's
 * coordinator); the coordinator adds that group's `__consumer_offsets` partition to the
 * transaction, so the markers reach it. v2 allows PRODUCER_FENCED, v3 is flexible.
 *
 * Request v0–3  => transactional_id STRING producer_id INT64 producer_epoch INT16 group_id STRING
 * Response v0–3 => throttle_time_ms INT32 error_code INT16
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import { endStruct, readStringField, skipStructTags, writeStringField } from "./flexible-fields.ts";

export interface AddOffsetsToTxnRequest {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  groupId: string;
}

export interface AddOffsetsToTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
}

export function writeAddOffsetsToTxnRequest(
  writer: Writer,
  version: number,
  request: AddOffsetsToTxnRequest,
): void {
  checkVersion(ApiKey.AddOffsetsToTxn, version, "write");
  const flexible = version >= 3;
  writeStringField(writer, flexible, request.transactionalId);
  writer.int64(request.producerId).int16(request.producerEpoch);
  writeStringField(writer, flexible, request.groupId);
  endStruct(writer, flexible);
}

export function readAddOffsetsToTxnRequest(reader: Reader, version: number): AddOffsetsToTxnRequest {
  checkVersion(ApiKey.AddOffsetsToTxn, version, "read");
  const flexible = version >= 3;
  const transactionalId = readStringField(reader, flexible, "transactional_id");
  const producerId = reader.int64();
  const producerEpoch = reader.int16();
  const groupId = readStringField(reader, flexible, "group_id");
  skipStructTags(reader, flexible);
  return { transactionalId, producerId, producerEpoch, groupId };
}

export function writeAddOffsetsToTxnResponse(
  writer: Writer,
  version: number,
  response: AddOffsetsToTxnResponse,
): void {
  checkVersion(ApiKey.AddOffsetsToTxn, version, "write");
  writer.int32(response.throttleTimeMs).int16(response.errorCode);
  endStruct(writer, version >= 3);
}

export function readAddOffsetsToTxnResponse(reader: Reader, version: number): AddOffsetsToTxnResponse {
  checkVersion(ApiKey.AddOffsetsToTxn, version, "read");
  const throttleTimeMs = reader.int32();
  const errorCode = reader.int16();
  skipStructTags(reader, version >= 3);
  return { throttleTimeMs, errorCode };
}
