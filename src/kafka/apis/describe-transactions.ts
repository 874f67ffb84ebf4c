/**
 * DescribeTransactions (key 65), version 0 (flexible, KIP-664): the coordinator's view of
 * transactional ids — state, producer id and epoch, timeout, start time and the partitions in
 * the open transaction. An id this coordinator does not own is NOT_COORDINATOR; one it has
 * never seen is TRANSACTIONAL_ID_NOT_FOUND.
 *
 * Request v0  => transactional_ids [COMPACT_STRING] TAG_BUFFER
 * Response v0 => throttle_time_ms INT32
 *                transaction_states [error_code INT16 transactional_id COMPACT_STRING
 *                  transaction_state COMPACT_STRING transaction_timeout_ms INT32
 *                  transaction_start_time_ms INT64 producer_id INT64 producer_epoch INT16
 *                  topics [topic COMPACT_STRING partitions [INT32] TAG_BUFFER] TAG_BUFFER]
 *                TAG_BUFFER
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import { readStringField } from "./flexible-fields.ts";

const requireString = (reader: Reader, field: string) => readStringField(reader, true, field);

export interface DescribeTransactionsRequest {
  transactionalIds: string[];
}

export interface DescribedTransaction {
  errorCode: number;
  transactionalId: string;
  /** Kafka's state names: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, Dead. */
  transactionState: string;
  transactionTimeoutMs: number;
  /** When the open transaction started (ms since the epoch), -1 when none is open. */
  transactionStartTimeMs: number;
  producerId: bigint;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

export interface DescribeTransactionsResponse {
  throttleTimeMs: number;
  transactionStates: DescribedTransaction[];
}

export function writeDescribeTransactionsRequest(
  writer: Writer,
  version: number,
  request: DescribeTransactionsRequest,
): void {
  checkVersion(ApiKey.DescribeTransactions, version, "write");
  writer.compactArray(request.transactionalIds, (w, id) => w.compactString(id)).emptyTags();
}

export function readDescribeTransactionsRequest(
  reader: Reader,
  version: number,
): DescribeTransactionsRequest {
  checkVersion(ApiKey.DescribeTransactions, version, "read");
  const transactionalIds = reader.compactArray((r) => requireString(r, "transactional_ids"), 1) ?? [];
  reader.skipTags();
  return { transactionalIds };
}

export function writeDescribeTransactionsResponse(
  writer: Writer,
  version: number,
  response: DescribeTransactionsResponse,
): void {
  checkVersion(ApiKey.DescribeTransactions, version, "write");
  writer.int32(response.throttleTimeMs);
  writer.compactArray(response.transactionStates, (w, t) => {
    w.int16(t.errorCode).compactString(t.transactionalId).compactString(t.transactionState)
      .int32(t.transactionTimeoutMs).int64n(t.transactionStartTimeMs).int64(t.producerId)
      .int16(t.producerEpoch);
    w.compactArray(t.topics, (w2, topic) => {
      w2.compactString(topic.topic).compactArray(topic.partitions, (w3, p) => w3.int32(p)).emptyTags();
    });
    w.emptyTags();
  });
  writer.emptyTags();
}

export function readDescribeTransactionsResponse(
  reader: Reader,
  version: number,
): DescribeTransactionsResponse {
  checkVersion(ApiKey.DescribeTransactions, version, "read");
  const throttleTimeMs = reader.int32();
  const transactionStates = reader.compactArray((r) => {
    const errorCode = r.int16();
    const transactionalId = requireString(r, "transactional_id");
    const transactionState = requireString(r, "transaction_state");
    const transactionTimeoutMs = r.int32();
    const transactionStartTimeMs = r.int64n();
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const topics = r.compactArray((r2) => {
      const topic = requireString(r2, "topic");
      const partitions = r2.compactArray((r3) => r3.int32(), 4) ?? [];
      r2.skipTags();
      return { topic, partitions };
    }, 3) ?? [];
    r.skipTags();
    return {
      errorCode,
      transactionalId,
      transactionState,
      transactionTimeoutMs,
      transactionStartTimeMs,
      producerId,
      producerEpoch,
      topics,
    };
  }, 27) ?? [];
  reader.skipTags();
  return { throttleTimeMs, transactionStates };
}
