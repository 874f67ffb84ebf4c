/**
 * WriteTxnMarkers (key 27), version 0 (not flexible): a transaction coordinator tells partition
 * leaders to write the COMMIT or ABORT marker (a control batch) of a producer's transaction.
 *
 * Request v0  => markers [producer_id INT64 producer_epoch INT16 transaction_result BOOLEAN
 *                         topics [name STRING partition_indexes [INT32]] coordinator_epoch INT32]
 *
 * Response v0 => markers [producer_id INT64 topics [name STRING partitions [partition_index INT32
 *                         error_code INT16]]]
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readInt32s, readString } from "./field-readers.ts";

export interface WritableTxnMarker {
  producerId: bigint;
  producerEpoch: number;
  /** true = COMMIT, false = ABORT. */
  transactionResult: boolean;
  topics: { name: string; partitionIndexes: number[] }[];
  coordinatorEpoch: number;
}

export interface WriteTxnMarkersRequest {
  markers: WritableTxnMarker[];
}

export interface WriteTxnMarkersResponse {
  markers: {
    producerId: bigint;
    topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
  }[];
}

export function writeWriteTxnMarkersRequest(
  writer: Writer,
  version: number,
  request: WriteTxnMarkersRequest,
): void {
  checkVersion(ApiKey.WriteTxnMarkers, version, "write");
  writer.array(request.markers, (w, marker) => {
    w.int64(marker.producerId).int16(marker.producerEpoch).bool(marker.transactionResult);
    w.array(
      marker.topics,
      (w2, topic) => w2.string(topic.name).array(topic.partitionIndexes, (w3, p) => w3.int32(p)),
    );
    w.int32(marker.coordinatorEpoch);
  });
}

export function readWriteTxnMarkersRequest(reader: Reader, version: number): WriteTxnMarkersRequest {
  checkVersion(ApiKey.WriteTxnMarkers, version, "read");
  const markers = readArray(reader, "markers", (r) => {
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const transactionResult = r.bool();
    const topics = readArray(
      r,
      "topics",
      (r2) => ({ name: readString(r2, "name"), partitionIndexes: readInt32s(r2, "partition_indexes") }),
      6,
    );
    return { producerId, producerEpoch, transactionResult, topics, coordinatorEpoch: r.int32() };
  }, 19);
  return { markers };
}

export function writeWriteTxnMarkersResponse(
  writer: Writer,
  version: number,
  response: WriteTxnMarkersResponse,
): void {
  checkVersion(ApiKey.WriteTxnMarkers, version, "write");
  writer.array(response.markers, (w, marker) => {
    w.int64(marker.producerId).array(marker.topics, (w2, topic) => {
      w2.string(topic.name).array(topic.partitions, (w3, p) => w3.int32(p.partitionIndex).int16(p.errorCode));
    });
  });
}

export function readWriteTxnMarkersResponse(reader: Reader, version: number): WriteTxnMarkersResponse {
  checkVersion(ApiKey.WriteTxnMarkers, version, "read");
  const markers = readArray(reader, "markers", (r) => {
    const producerId = r.int64();
    const topics = readArray(r, "topics", (r2) => {
      const name = readString(r2, "name");
      const partitions = readArray(
        r2,
        "partitions",
        (r3) => ({ partitionIndex: r3.int32(), errorCode: r3.int16() }),
        6,
      );
      return { name, partitions };
    }, 6);
    return { producerId, topics };
  }, 12);
  return { markers };
}
