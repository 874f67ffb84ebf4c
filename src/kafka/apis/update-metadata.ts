/**
 * UpdateMetadata (key 6), versions 0–5: the controller pushes the cluster view (live brokers
 * and every partition's leader, epoch, ISR, replicas) to each broker, which answers client
 * Metadata requests from it. Broker to broker only; none of these versions is flexible.
 *
 * PartitionState v0–3 => topic_name STRING partition_index INT32 controller_epoch INT32 leader INT32
 *                        leader_epoch INT32 isr [INT32] zk_version INT32 replicas [INT32]
 * PartitionState v4   => as v0 + offline_replicas [INT32]
 * PartitionState v5   => as v4 without topic_name (it moved to the enclosing topic state)
 *
 * Request v0 => controller_id INT32 controller_epoch INT32 ungrouped_partition_states [PartitionState]
 *               live_brokers [id INT32 v0_host STRING v0_port INT32]
 * Request v1 => ... live_brokers [id endpoints [port INT32 host STRING security_protocol INT16]]
 * Request v2 => ... live_brokers [id endpoints rack NULLABLE_STRING]
 * Request v3 => ... endpoints [port host listener STRING security_protocol]
 * Request v4 => as v3 (partition states gain offline_replicas)
 * Request v5 => controller_id controller_epoch broker_epoch INT64
 *               topic_states [topic_name STRING partition_states [PartitionState]] live_brokers
 *
 * Response v0–5 => error_code INT16
 *
 * Both partition layouts and both broker address layouts are offered to the caller: readers
 * fill ungroupedPartitionStates and topicStates (grouped in order of first appearance), and
 * endpoints and v0Host/v0Port (the first endpoint), whatever the version. Writers use the
 * version's own field, or derive it from the other one when it is missing.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readInt32s, readString } from "./field-readers.ts";

/** Kafka's security_protocol codes (PLAINTEXT is the only one Vltava speaks). */
export const SecurityProtocol = { Plaintext: 0, Ssl: 1, SaslPlaintext: 2, SaslSsl: 3 } as const;

export interface UpdateMetadataPartitionState {
  /** On the wire in v0–4; in v5 it comes from the enclosing topic state. */
  topicName: string;
  partitionIndex: number;
  controllerEpoch: number;
  leader: number;
  leaderEpoch: number;
  isr: number[];
  zkVersion: number;
  replicas: number[];
  /** v4+; default []. */
  offlineReplicas?: number[];
}

export interface UpdateMetadataTopicState {
  topicName: string;
  partitionStates: UpdateMetadataPartitionState[];
}

export interface UpdateMetadataEndpoint {
  port: number;
  host: string;
  /** v3+; default "". */
  listener?: string;
  securityProtocol: number;
}

export interface UpdateMetadataBroker {
  id: number;
  /** The v0 address (readers of v1+ copy the first endpoint's host, or ""). */
  v0Host?: string;
  /** The v0 address (readers of v1+ copy the first endpoint's port, or 0). */
  v0Port?: number;
  /** v1+ (readers of v0 make one PLAINTEXT endpoint from v0Host/v0Port). */
  endpoints?: UpdateMetadataEndpoint[];
  /** v2+; default null. */
  rack?: string | null;
}

export interface UpdateMetadataRequest {
  controllerId: number;
  controllerEpoch: number;
  /** v5; default -1. */
  brokerEpoch?: number;
  /** v0–4 layout. */
  ungroupedPartitionStates?: UpdateMetadataPartitionState[];
  /** v5 layout. */
  topicStates?: UpdateMetadataTopicState[];
  liveBrokers: UpdateMetadataBroker[];
}

export interface UpdateMetadataResponse {
  errorCode: number;
}

/** Group partition states by topic, keeping the order topics first appear in. */
export function groupUpdateMetadataPartitions(
  states: readonly UpdateMetadataPartitionState[],
): UpdateMetadataTopicState[] {
  const byTopic = new Map<string, UpdateMetadataPartitionState[]>();
  for (const state of states) {
    const list = byTopic.get(state.topicName);
    if (list === undefined) byTopic.set(state.topicName, [state]);
    else list.push(state);
  }
  return Array.from(byTopic, ([topicName, partitionStates]) => ({ topicName, partitionStates }));
}

/** Flatten topic states; each partition takes its topic's name. */
export function flattenUpdateMetadataTopics(
  topics: readonly UpdateMetadataTopicState[],
): UpdateMetadataPartitionState[] {
  return topics.flatMap((t) => t.partitionStates.map((s) => ({ ...s, topicName: t.topicName })));
}

function writePartitionState(writer: Writer, version: number, s: UpdateMetadataPartitionState): void {
  if (version <= 4) writer.string(s.topicName);
  writer.int32(s.partitionIndex).int32(s.controllerEpoch).int32(s.leader).int32(s.leaderEpoch);
  writer.array(s.isr, (w, id) => w.int32(id)).int32(s.zkVersion).array(s.replicas, (w, id) => w.int32(id));
  if (version >= 4) writer.array(s.offlineReplicas ?? [], (w, id) => w.int32(id));
}

function readPartitionState(reader: Reader, version: number, topic: string): UpdateMetadataPartitionState {
  const topicName = version <= 4 ? readString(reader, "partition_states.topic_name") : topic;
  const partitionIndex = reader.int32();
  const controllerEpoch = reader.int32();
  const leader = reader.int32();
  const leaderEpoch = reader.int32();
  const isr = readInt32s(reader, "partition_states.isr");
  const zkVersion = reader.int32();
  const replicas = readInt32s(reader, "partition_states.replicas");
  const offlineReplicas = version >= 4 ? readInt32s(reader, "partition_states.offline_replicas") : [];
  return {
    topicName,
    partitionIndex,
    controllerEpoch,
    leader,
    leaderEpoch,
    isr,
    zkVersion,
    replicas,
    offlineReplicas,
  };
}

function endpointsOf(broker: UpdateMetadataBroker): UpdateMetadataEndpoint[] {
  if (broker.endpoints !== undefined) return broker.endpoints;
  if (broker.v0Host === undefined) return [];
  return [{ port: broker.v0Port ?? 0, host: broker.v0Host, listener: "", securityProtocol: 0 }];
}

function writeBroker(writer: Writer, version: number, broker: UpdateMetadataBroker): void {
  writer.int32(broker.id);
  if (version === 0) {
    const first = broker.endpoints?.[0];
    const host = broker.v0Host ?? first?.host;
    if (host === undefined) throw new RangeError(`UpdateMetadata v0 needs a host for broker ${broker.id}`);
    writer.string(host).int32(broker.v0Port ?? first?.port ?? 0);
    return;
  }
  writer.array(endpointsOf(broker), (w, e) => {
    w.int32(e.port).string(e.host);
    if (version >= 3) w.string(e.listener ?? "");
    w.int16(e.securityProtocol);
  });
  if (version >= 2) writer.string(broker.rack ?? null);
}

function readBroker(reader: Reader, version: number): UpdateMetadataBroker {
  const id = reader.int32();
  if (version === 0) {
    const v0Host = readString(reader, "live_brokers.v0_host");
    const v0Port = reader.int32();
    const endpoints = [{
      port: v0Port,
      host: v0Host,
      listener: "",
      securityProtocol: SecurityProtocol.Plaintext,
    }];
    return { id, v0Host, v0Port, endpoints, rack: null };
  }
  const endpoints = readArray(reader, "live_brokers.endpoints", (r) => {
    const port = r.int32();
    const host = readString(r, "endpoints.host");
    const listener = version >= 3 ? readString(r, "endpoints.listener") : "";
    const securityProtocol = r.int16();
    return { port, host, listener, securityProtocol };
  }, version >= 3 ? 10 : 8);
  const rack = version >= 2 ? reader.string() : null;
  return { id, v0Host: endpoints[0]?.host ?? "", v0Port: endpoints[0]?.port ?? 0, endpoints, rack };
}

export function writeUpdateMetadataRequest(
  writer: Writer,
  version: number,
  request: UpdateMetadataRequest,
): void {
  checkVersion(ApiKey.UpdateMetadata, version, "write");
  writer.int32(request.controllerId).int32(request.controllerEpoch);
  if (version >= 5) {
    writer.int64n(request.brokerEpoch ?? -1);
    const topics = request.topicStates ??
      groupUpdateMetadataPartitions(request.ungroupedPartitionStates ?? []);
    writer.array(topics, (w, t) => {
      w.string(t.topicName).array(t.partitionStates, (pw, s) => writePartitionState(pw, version, s));
    });
  } else {
    const states = request.ungroupedPartitionStates ?? flattenUpdateMetadataTopics(request.topicStates ?? []);
    writer.array(states, (w, s) => writePartitionState(w, version, s));
  }
  writer.array(request.liveBrokers, (w, b) => writeBroker(w, version, b));
}

export function readUpdateMetadataRequest(reader: Reader, version: number): UpdateMetadataRequest {
  checkVersion(ApiKey.UpdateMetadata, version, "read");
  const controllerId = reader.int32();
  const controllerEpoch = reader.int32();
  let brokerEpoch = -1;
  let topicStates: UpdateMetadataTopicState[];
  let ungroupedPartitionStates: UpdateMetadataPartitionState[];
  if (version >= 5) {
    brokerEpoch = reader.int64n();
    topicStates = readArray(reader, "topic_states", (r) => {
      const topicName = readString(r, "topic_states.topic_name");
      const partitionStates = readArray(
        r,
        "partition_states",
        (pr) => readPartitionState(pr, version, topicName),
        32,
      );
      return { topicName, partitionStates };
    }, 6);
    ungroupedPartitionStates = flattenUpdateMetadataTopics(topicStates);
  } else {
    ungroupedPartitionStates = readArray(
      reader,
      "ungrouped_partition_states",
      (r) => readPartitionState(r, version, ""),
      30,
    );
    topicStates = groupUpdateMetadataPartitions(ungroupedPartitionStates);
  }
  const liveBrokers = readArray(reader, "live_brokers", (r) => readBroker(r, version), 8);
  return { controllerId, controllerEpoch, brokerEpoch, ungroupedPartitionStates, topicStates, liveBrokers };
}

export function writeUpdateMetadataResponse(
  writer: Writer,
  version: number,
  response: UpdateMetadataResponse,
): void {
  checkVersion(ApiKey.UpdateMetadata, version, "write");
  writer.int16(response.errorCode);
}

export function readUpdateMetadataResponse(reader: Reader, version: number): UpdateMetadataResponse {
  checkVersion(ApiKey.UpdateMetadata, version, "read");
  return { errorCode: reader.int16() };
}
