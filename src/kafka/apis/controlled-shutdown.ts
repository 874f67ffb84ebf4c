/**
 * ControlledShutdown (key 7), versions 1–2: a broker that is about to stop asks the
 * controller to move its leaderships away first. Broker to broker only; none of these
 * versions is flexible. (v0 used a request header without client id; we do not support it.)
 *
 * Request v1    => broker_id INT32
 * Request v2    => broker_id INT32 broker_epoch INT64
 *
 * Response v1–2 => error_code INT16 remaining_partitions [topic_name STRING partition_index INT32]
 *
 * remaining_partitions are those the broker still leads; the broker retries until it is empty
 * (or gives up after its retry budget).
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readString } from "./field-readers.ts";

export interface ControlledShutdownRequest {
  brokerId: number;
  /** v2+; default -1. */
  brokerEpoch?: number;
}

export interface RemainingPartition {
  topicName: string;
  partitionIndex: number;
}

export interface ControlledShutdownResponse {
  errorCode: number;
  remainingPartitions: RemainingPartition[];
}

export function writeControlledShutdownRequest(
  writer: Writer,
  version: number,
  request: ControlledShutdownRequest,
): void {
  checkVersion(ApiKey.ControlledShutdown, version, "write");
  writer.int32(request.brokerId);
  if (version >= 2) writer.int64n(request.brokerEpoch ?? -1);
}

export function readControlledShutdownRequest(reader: Reader, version: number): ControlledShutdownRequest {
  checkVersion(ApiKey.ControlledShutdown, version, "read");
  const brokerId = reader.int32();
  const brokerEpoch = version >= 2 ? reader.int64n() : -1;
  return { brokerId, brokerEpoch };
}

export function writeControlledShutdownResponse(
  writer: Writer,
  version: number,
  response: ControlledShutdownResponse,
): void {
  checkVersion(ApiKey.ControlledShutdown, version, "write");
  writer.int16(response.errorCode);
  writer.array(response.remainingPartitions, (w, p) => w.string(p.topicName).int32(p.partitionIndex));
}

export function readControlledShutdownResponse(reader: Reader, version: number): ControlledShutdownResponse {
  checkVersion(ApiKey.ControlledShutdown, version, "read");
  const errorCode = reader.int16();
  const remainingPartitions = readArray(reader, "remaining_partitions", (r) => ({
    topicName: readString(r, "remaining_partitions.topic_name"),
    partitionIndex: r.int32(),
  }), 6);
  return { errorCode, remainingPartitions };
}
