/**
 * Raw-protocol steps of a transactional producer, for the transaction tests: find the
 * coordinator, InitProducerId, AddPartitionsToTxn, transactional produce, EndTxn, describe, a
 * coordinator's WriteTxnMarkers — and what a read_committed consumer keeps of a partition. Each step is one request, so a test can
 * stop between any two (and kill a broker there).
 */
import assert from "node:assert/strict";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import {
  readAddPartitionsToTxnResponse,
  writeAddPartitionsToTxnRequest,
} from "../../src/kafka/apis/add-partitions-to-txn.ts";
import {
  readDescribeTransactionsResponse,
  writeDescribeTransactionsRequest,
} from "../../src/kafka/apis/describe-transactions.ts";
import { readEndTxnResponse, writeEndTxnRequest } from "../../src/kafka/apis/end-txn.ts";
import {
  readFindCoordinatorResponse,
  writeFindCoordinatorRequest,
} from "../../src/kafka/apis/find-coordinator.ts";
import {
  readInitProducerIdResponse,
  writeInitProducerIdRequest,
} from "../../src/kafka/apis/init-producer-id.ts";
import {
  readWriteTxnMarkersResponse,
  writeWriteTxnMarkersRequest,
} from "../../src/kafka/apis/write-txn-markers.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { decodeRecordBatches, encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import { eventually } from "../helpers/program.ts";
import { type RawKafka, text } from "./broker-harness.ts";

export interface TxnProducer {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

/** FindCoordinator (key type 1) until it names a broker; returns its port. */
export async function findTxnCoordinator(client: RawKafka, transactionalId: string, timeoutMs = 60_000) {
  return await eventually(
    `the coordinator of ${transactionalId}`,
    async () => {
      const answer = await client.request(
        ApiKey.FindCoordinator,
        2,
        (w) => writeFindCoordinatorRequest(w, 2, { key: transactionalId, keyType: 1 }),
        (r) => readFindCoordinatorResponse(r, 2),
      );
      return answer.errorCode === 0 ? { nodeId: answer.nodeId, port: answer.port } : undefined;
    },
    timeoutMs,
    200,
  );
}

/** One InitProducerId (a null id: a plain idempotent producer's); the raw answer. */
export function initProducerId(
  client: RawKafka,
  transactionalId: string | null,
  timeoutMs = 60_000,
  version = 1,
) {
  return client.request(
    ApiKey.InitProducerId,
    version,
    (w) => writeInitProducerIdRequest(w, version, { transactionalId, transactionTimeoutMs: timeoutMs }),
    (r) => readInitProducerIdResponse(r, version),
  );
}

/** InitProducerId, retried while the coordinator loads or completes a previous transaction. */
export async function initTxnProducer(
  client: RawKafka,
  transactionalId: string,
  timeoutMs = 60_000,
): Promise<TxnProducer> {
  const retriable = new Set<number>([
    ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    ErrorCode.NOT_COORDINATOR,
    ErrorCode.CONCURRENT_TRANSACTIONS,
    ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ]);
  return await eventually(
    `a producer id for ${transactionalId}`,
    async () => {
      const answer = await initProducerId(client, transactionalId, timeoutMs);
      if (answer.errorCode === 0) {
        return { transactionalId, producerId: answer.producerId, producerEpoch: answer.producerEpoch };
      }
      if (!retriable.has(answer.errorCode)) throw new Error(`InitProducerId: error ${answer.errorCode}`);
      return undefined;
    },
    60_000,
    200,
  );
}

/** AddPartitionsToTxn; every partition's error code (one per partition, in order). */
export async function addPartitions(
  client: RawKafka,
  producer: TxnProducer,
  topic: string,
  partitions: number[],
  version = 1,
): Promise<number[]> {
  const answer = await client.request(
    ApiKey.AddPartitionsToTxn,
    version,
    (w) => writeAddPartitionsToTxnRequest(w, version, { ...producer, topics: [{ name: topic, partitions }] }),
    (r) => readAddPartitionsToTxnResponse(r, version),
  );
  return answer.results.flatMap((t) => t.results.map((p) => p.errorCode));
}

export async function endTxn(client: RawKafka, producer: TxnProducer, commit: boolean, version = 1) {
  const answer = await client.request(
    ApiKey.EndTxn,
    version,
    (w) => writeEndTxnRequest(w, version, { ...producer, committed: commit }),
    (r) => readEndTxnResponse(r, version),
  );
  return answer.errorCode;
}

export async function describeTxn(client: RawKafka, transactionalId: string) {
  const answer = await client.request(
    ApiKey.DescribeTransactions,
    0,
    (w) => writeDescribeTransactionsRequest(w, 0, { transactionalIds: [transactionalId] }),
    (r) => readDescribeTransactionsResponse(r, 0),
  );
  return answer.transactionStates[0];
}

/** A transactional batch of the producer. */
export function txnBatch(producer: TxnProducer, sequence: number, values: string[]): Uint8Array {
  return encodeRecordBatch({
    records: values.map((value) => ({ value })),
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    baseSequence: sequence,
    transactional: true,
  });
}

/**
 * What a read_committed consumer keeps of a partition: data records below the LSO minus aborted
 * transactions (a producer's records are dropped from its aborted transaction's first offset
 * until its next marker, as clients do); plus the LSO and high watermark.
 */
export async function readCommitted(client: RawKafka, topic: string, partition: number) {
  const answer = await client.fetch(topic, partition, 0, { isolationLevel: 1 });
  assert.equal(answer.errorCode, 0, `read_committed fetch of ${topic}-${partition}`);
  const aborted = answer.abortedTransactions ?? [];
  const pending = [...aborted].sort((x, y) => x.firstOffset - y.firstOffset);
  const dropping = new Set<bigint>();
  const values: string[] = [];
  for (const batch of decodeRecordBatches(answer.records ?? new Uint8Array(0))) {
    while (pending.length > 0 && pending[0].firstOffset <= batch.baseOffset) {
      dropping.add(pending.shift()!.producerId);
    }
    if (batch.control) {
      dropping.delete(batch.producerId);
      continue;
    }
    if (!(batch.transactional && dropping.has(batch.producerId))) {
      values.push(...batch.records.map((r) => text(r.value)!));
    }
  }
  return { values, aborted, lastStableOffset: answer.lastStableOffset, highWatermark: answer.highWatermark };
}

/**
 * WriteTxnMarkers v0 with one marker for one partition, as a transaction coordinator sends it (the
 * tests play the coordinator); the partition's error code.
 */
export async function writeMarker(
  client: RawKafka,
  marker: { producerId: bigint; commit: boolean; topic: string; partition: number; producerEpoch?: number },
): Promise<number> {
  const response = await client.request(
    ApiKey.WriteTxnMarkers,
    0,
    (w) =>
      writeWriteTxnMarkersRequest(w, 0, {
        markers: [{
          producerId: marker.producerId,
          producerEpoch: marker.producerEpoch ?? 0,
          transactionResult: marker.commit,
          topics: [{ name: marker.topic, partitionIndexes: [marker.partition] }],
          coordinatorEpoch: 1,
        }],
      }),
    (r) => readWriteTxnMarkersResponse(r, 0),
  );
  return response.markers[0].topics[0].partitions[0].errorCode;
}

/** Every data record of a partition below the high watermark (read_uncommitted). */
export async function readUncommitted(client: RawKafka, topic: string, partition: number): Promise<string[]> {
  const answer = await client.fetch(topic, partition, 0);
  assert.equal(answer.errorCode, 0);
  return decodeRecordBatches(answer.records ?? new Uint8Array(0))
    .filter((b) => !b.control)
    .flatMap((b) => b.records.map((r) => text(r.value)!));
}

/** read_committed once the partition is stable (no open transaction): LSO = high watermark. */
export function readCommittedWhenStable(
  client: RawKafka,
  topic: string,
  partition: number,
  timeoutMs = 60_000,
) {
  return eventually(
    `${topic}-${partition} stable (LSO = high watermark)`,
    async () => {
      const read = await readCommitted(client, topic, partition);
      return read.lastStableOffset === read.highWatermark ? read.values : undefined;
    },
    timeoutMs,
    200,
  );
}
