/**
 * WriteTxnMarkers: a transaction coordinator ends a producer's transaction on the partitions this
 * broker leads by appending its COMMIT or ABORT marker — one control batch (transactional, the
 * producer's id and epoch, no sequence) whose record key is (version 0, type) and value
 * (version 0, coordinator epoch). The partition's producer state closes the transaction (the
 * last stable offset may move) and remembers an abort for read_committed fetches. Each marker is
 * answered once replicated (as acks=all): the coordinator may only forget a transaction whose
 * markers a new leader cannot lose. A marker older than the producer epoch the partition knows
 * is INVALID_PRODUCER_EPOCH. A marker committed on a `__consumer_offsets` partition also settles
 * the offsets the producer committed there (TxnOffsetCommit) in the group coordinator: visible on
 * COMMIT, dropped on ABORT (Kafka's onTransactionCompleted). Only brokers may write markers: ClusterAction on the cluster, else
 * every partition answers CLUSTER_AUTHORIZATION_FAILED (as Kafka).
 */
import {
  readWriteTxnMarkersRequest,
  writeWriteTxnMarkersResponse,
} from "../../kafka/apis/write-txn-markers.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { encodeRecordBatch } from "../../kafka/record-batch.ts";
import { clusterActionAllowed } from "../authorization.ts";
import { ControlType } from "../partition/producer-state.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { partitionErrorCode } from "./common.ts";
import { OFFSETS_TOPIC } from "../groups/mod.ts";

/** How long a marker waits for its partition's ISR. */
const MARKER_COMMIT_TIMEOUT_MS = 30_000;

/** The control batch of a transaction marker. */
export function markerBatch(
  producerId: bigint,
  producerEpoch: number,
  commit: boolean,
  coordinatorEpoch: number,
): Uint8Array {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setInt16(2, commit ? ControlType.commit : ControlType.abort);
  const value = new Uint8Array(6);
  new DataView(value.buffer).setInt32(2, coordinatorEpoch);
  return encodeRecordBatch({
    records: [{ key, value }],
    producerId,
    producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
  });
}

export function writeTxnMarkersHandler(context: BrokerContext): RequestHandler {
  return async (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readWriteTxnMarkersRequest(body, version);
    const permitted = clusterActionAllowed(context, request_);
    const timeoutMs = Math.min(MARKER_COMMIT_TIMEOUT_MS, context.config.maxWaitMs);
    const markers = await Promise.all(request.markers.map(async (marker) => ({
      producerId: marker.producerId,
      topics: await Promise.all(marker.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(topic.partitionIndexes.map(async (partitionIndex) => {
          if (!permitted) return { partitionIndex, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED };
          const lookup = context.replicas.leaderFor(topic.name, partitionIndex);
          if (lookup.partition === null) return { partitionIndex, errorCode: lookup.errorCode };
          const partition = lookup.partition;
          try {
            const batch = markerBatch(
              marker.producerId,
              marker.producerEpoch,
              marker.transactionResult,
              marker.coordinatorEpoch,
            );
            const appended = await partition.appendAsLeader(batch, {
              requiredAcks: -1,
              origin: "coordinator",
            });
            const errorCode = await partition.waitForCommit(appended.nextOffset, timeoutMs);
            if (errorCode === 0 && topic.name === OFFSETS_TOPIC) {
              // The group side of the transaction: its offsets become visible (or are dropped).
              context.groups.coordinator.completeTransaction(
                partitionIndex,
                marker.producerId,
                marker.transactionResult,
              );
            }
            return { partitionIndex, errorCode };
          } catch (error) {
            return { partitionIndex, errorCode: partitionErrorCode(error, `marker ${partition.key}`) };
          }
        })),
      }))),
    })));
    return (writer) => writeWriteTxnMarkersResponse(writer, version, { markers });
  };
}
