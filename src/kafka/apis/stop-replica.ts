/**
 * StopReplica (key 5), versions 0–1: the controller tells a broker to stop replicating
 * partitions (and, with delete_partitions, to delete them). Broker to broker only; none of
 * these versions is flexible.
 *
 * Request v0    => controller_id INT32 controller_epoch INT32 delete_partitions BOOLEAN
 *                  ungrouped_partitions [topic_name STRING partition_index INT32]
 * Request v1    => controller_id INT32 controller_epoch INT32 broker_epoch INT64
 *                  delete_partitions BOOLEAN topics [name STRING partition_indexes [INT32]]
 *
 * Response v0–1 => error_code INT16
 *                  partition_errors [topic_name STRING partition_index INT32 error_code INT16]
 *
 * Both partition shapes are offered to the caller: readers fill `topics` (grouped, in order of
 * first appearance) and `ungroupedPartitions` (flat) whatever the version; writers take the
 * version's own field, or derive it from the other one when it is missing.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readInt32s, readString } from "./field-readers.ts";

export interface StopReplicaPartitionV0 {
  topicName: string;
  partitionIndex: number;
}

export interface StopReplicaTopic {
  name: string;
  partitionIndexes: number[];
}

export interface StopReplicaRequest {
  controllerId: number;
  controllerEpoch: number;
  /** v1; default -1. */
  brokerEpoch?: number;
  deletePartitions: boolean;
  /** v0 field (filled by readers of every version). */
  ungroupedPartitions?: StopReplicaPartitionV0[];
  /** v1 field (filled by readers of every version). */
  topics?: StopReplicaTopic[];
}

export interface StopReplicaPartitionError {
  topicName: string;
  partitionIndex: number;
  errorCode: number;
}

export interface StopReplicaResponse {
  errorCode: number;
  partitionErrors: StopReplicaPartitionError[];
}

/** Group flat (topic, partition) pairs by topic, keeping the order topics first appear in. */
export function groupStopReplicaPartitions(
  partitions: readonly StopReplicaPartitionV0[],
): StopReplicaTopic[] {
  const byTopic = new Map<string, number[]>();
  for (const { topicName, partitionIndex } of partitions) {
    const list = byTopic.get(topicName);
    if (list === undefined) byTopic.set(topicName, [partitionIndex]);
    else list.push(partitionIndex);
  }
  return Array.from(byTopic, ([name, partitionIndexes]) => ({ name, partitionIndexes }));
}

/** Flatten topics into (topic, partition) pairs. */
export function flattenStopReplicaTopics(topics: readonly StopReplicaTopic[]): StopReplicaPartitionV0[] {
  return topics.flatMap((t) =>
    t.partitionIndexes.map((partitionIndex) => ({ topicName: t.name, partitionIndex }))
  );
}

export function writeStopReplicaRequest(writer: Writer, version: number, request: StopReplicaRequest): void {
  checkVersion(ApiKey.StopReplica, version, "write");
  writer.int32(request.controllerId).int32(request.controllerEpoch);
  if (version >= 1) writer.int64n(request.brokerEpoch ?? -1);
  writer.bool(request.deletePartitions);
  if (version === 0) {
    const partitions = request.ungroupedPartitions ?? flattenStopReplicaTopics(request.topics ?? []);
    writer.array(partitions, (w, p) => w.string(p.topicName).int32(p.partitionIndex));
  } else {
    const topics = request.topics ?? groupStopReplicaPartitions(request.ungroupedPartitions ?? []);
    writer.array(topics, (w, t) => w.string(t.name).array(t.partitionIndexes, (pw, p) => pw.int32(p)));
  }
}

export function readStopReplicaRequest(reader: Reader, version: number): StopReplicaRequest {
  checkVersion(ApiKey.StopReplica, version, "read");
  const controllerId = reader.int32();
  const controllerEpoch = reader.int32();
  const brokerEpoch = version >= 1 ? reader.int64n() : -1;
  const deletePartitions = reader.bool();
  if (version === 0) {
    const ungroupedPartitions = readArray(reader, "ungrouped_partitions", (r) => ({
      topicName: readString(r, "ungrouped_partitions.topic_name"),
      partitionIndex: r.int32(),
    }), 6);
    const topics = groupStopReplicaPartitions(ungroupedPartitions);
    return { controllerId, controllerEpoch, brokerEpoch, deletePartitions, ungroupedPartitions, topics };
  }
  const topics = readArray(reader, "topics", (r) => ({
    name: readString(r, "topics.name"),
    partitionIndexes: readInt32s(r, "topics.partition_indexes"),
  }), 6);
  const ungroupedPartitions = flattenStopReplicaTopics(topics);
  return { controllerId, controllerEpoch, brokerEpoch, deletePartitions, ungroupedPartitions, topics };
}

export function writeStopReplicaResponse(
  writer: Writer,
  version: number,
  response: StopReplicaResponse,
): void {
  checkVersion(ApiKey.StopReplica, version, "write");
  writer.int16(response.errorCode);
  writer.array(
    response.partitionErrors,
    (w, e) => w.string(e.topicName).int32(e.partitionIndex).int16(e.errorCode),
  );
}

export function readStopReplicaResponse(reader: Reader, version: number): StopReplicaResponse {
  checkVersion(ApiKey.StopReplica, version, "read");
  const errorCode = reader.int16();
  const partitionErrors = readArray(reader, "partition_errors", (r) => ({
    topicName: readString(r, "partition_errors.topic_name"),
    partitionIndex: r.int32(),
    errorCode: r.int16(),
  }), 8);
  return { errorCode, partitionErrors };
}
