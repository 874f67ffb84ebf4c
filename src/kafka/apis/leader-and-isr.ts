/**
 * LeaderAndIsr (key 4), versions 0–1: the controller tells a broker which partitions it
 * leads or follows, with leader epoch, ISR and replicas. Broker to broker only; none of
 * these versions is flexible.
 *
 * Request v0    => controller_id INT32 controller_epoch INT32
 *                  ungrouped_partition_states [topic_name STRING partition_index INT32
 *                    controller_epoch INT32 leader INT32 leader_epoch INT32 isr [INT32]
 *                    zk_version INT32 replicas [INT32]]
 *                  live_leaders [broker_id INT32 host_name STRING port INT32]
 * Request v1    => as v0, each partition state ends with is_new BOOLEAN
 *
 * Response v0–1 => error_code INT16
 *                  partition_errors [topic_name STRING partition_index INT32 error_code INT16]
 *
 * zk_version is the version of the partition state node the controller wrote (its CAS
 * token); a broker keeps it to reject state older than what it has.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readInt32s, readString } from "./field-readers.ts";

export interface LeaderAndIsrPartitionState {
  topicName: string;
  partitionIndex: number;
  controllerEpoch: number;
  leader: number;
  leaderEpoch: number;
  isr: number[];
  zkVersion: number;
  replicas: number[];
  /** v1+; default false. True when the replica is created by this request (no log yet). */
  isNew?: boolean;
}

export interface LeaderAndIsrLiveLeader {
  brokerId: number;
  hostName: string;
  port: number;
}

export interface LeaderAndIsrRequest {
  controllerId: number;
  controllerEpoch: number;
  ungroupedPartitionStates: LeaderAndIsrPartitionState[];
  liveLeaders: LeaderAndIsrLiveLeader[];
}

export interface LeaderAndIsrPartitionError {
  topicName: string;
  partitionIndex: number;
  errorCode: number;
}

export interface LeaderAndIsrResponse {
  errorCode: number;
  partitionErrors: LeaderAndIsrPartitionError[];
}

export function writeLeaderAndIsrRequest(
  writer: Writer,
  version: number,
  request: LeaderAndIsrRequest,
): void {
  checkVersion(ApiKey.LeaderAndIsr, version, "write");
  writer.int32(request.controllerId).int32(request.controllerEpoch);
  writer.array(request.ungroupedPartitionStates, (w, s) => {
    w.string(s.topicName).int32(s.partitionIndex).int32(s.controllerEpoch).int32(s.leader).int32(
      s.leaderEpoch,
    );
    w.array(s.isr, (iw, id) => iw.int32(id)).int32(s.zkVersion).array(s.replicas, (rw, id) => rw.int32(id));
    if (version >= 1) w.bool(s.isNew ?? false);
  });
  writer.array(request.liveLeaders, (w, l) => w.int32(l.brokerId).string(l.hostName).int32(l.port));
}

function readPartitionState(reader: Reader, version: number): LeaderAndIsrPartitionState {
  const topicName = readString(reader, "partition_states.topic_name");
  const partitionIndex = reader.int32();
  const controllerEpoch = reader.int32();
  const leader = reader.int32();
  const leaderEpoch = reader.int32();
  const isr = readInt32s(reader, "partition_states.isr");
  const zkVersion = reader.int32();
  const replicas = readInt32s(reader, "partition_states.replicas");
  const isNew = version >= 1 ? reader.bool() : false;
  return { topicName, partitionIndex, controllerEpoch, leader, leaderEpoch, isr, zkVersion, replicas, isNew };
}

export function readLeaderAndIsrRequest(reader: Reader, version: number): LeaderAndIsrRequest {
  checkVersion(ApiKey.LeaderAndIsr, version, "read");
  const controllerId = reader.int32();
  const controllerEpoch = reader.int32();
  const ungroupedPartitionStates = readArray(
    reader,
    "ungrouped_partition_states",
    (r) => readPartitionState(r, version),
    30,
  );
  const liveLeaders = readArray(reader, "live_leaders", (r) => ({
    brokerId: r.int32(),
    hostName: readString(r, "live_leaders.host_name"),
    port: r.int32(),
  }), 10);
  return { controllerId, controllerEpoch, ungroupedPartitionStates, liveLeaders };
}

export function writeLeaderAndIsrResponse(
  writer: Writer,
  version: number,
  response: LeaderAndIsrResponse,
): void {
  checkVersion(ApiKey.LeaderAndIsr, version, "write");
  writer.int16(response.errorCode);
  writer.array(
    response.partitionErrors,
    (w, e) => w.string(e.topicName).int32(e.partitionIndex).int16(e.errorCode),
  );
}

export function readLeaderAndIsrResponse(reader: Reader, version: number): LeaderAndIsrResponse {
  checkVersion(ApiKey.LeaderAndIsr, version, "read");
  const errorCode = reader.int16();
  const partitionErrors = readArray(reader, "partition_errors", (r) => ({
    topicName: readString(r, "partition_errors.topic_name"),
    partitionIndex: r.int32(),
    errorCode: r.int16(),
  }), 8);
  return { errorCode, partitionErrors };
}
