/**
 * The records of `__transaction_state`: one per state change of a transactional id, keyed by
 * the id, so the compacted log keeps the latest state of each id and a new coordinator rebuilds
 * its table by replaying the partition. The layout follows Kafka's (key and value version 0);
 * a tombstone (null value) forgets an id.
 *
 *   key   => version INT16 (0) transactional_id STRING
 *   value => version INT16 (0) producer_id INT64 producer_epoch INT16 transaction_timeout_ms INT32
 *            state INT8 partitions NULLABLE_ARRAY[topic STRING partitions [INT32]]
 *            last_update_ms INT64 start_ms INT64
 *
 * State codes are Kafka's: Empty 0, Ongoing 1, PrepareCommit 2, PrepareAbort 3,
 * CompleteCommit 4, CompleteAbort 5, Dead 6.
 */
import { Reader } from "../../wire/reader.ts";
import { WireError } from "../../wire/wire-error.ts";
import { Writer } from "../../wire/writer.ts";
import { readArray, readInt32s, readString } from "../../kafka/apis/field-readers.ts";

/** The internal topic holding transaction state. */
export const TRANSACTION_STATE_TOPIC = "__transaction_state";
/** Default transaction.state.log.num.partitions. */
export const DEFAULT_TRANSACTION_STATE_PARTITIONS = 50;

export const TXN_STATES = [
  "Empty",
  "Ongoing",
  "PrepareCommit",
  "PrepareAbort",
  "CompleteCommit",
  "CompleteAbort",
  "Dead",
] as const;
export type TxnStateName = typeof TXN_STATES[number];

/** A transactional id's state as persisted. Partitions: topic → partition indexes. */
export interface TxnStateValue {
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnStateName;
  partitions: Map<string, number[]>;
  lastUpdateMs: number;
  /** When the open transaction started, -1 when none is open. */
  startMs: number;
}

export interface TxnRecord {
  key: Uint8Array;
  value: Uint8Array | null;
}

export function txnStateRecord(transactionalId: string, value: TxnStateValue): TxnRecord {
  const key = txnKey(transactionalId);
  const writer = new Writer(64);
  writer.int16(0).int64(value.producerId).int16(value.producerEpoch).int32(value.timeoutMs)
    .int8(TXN_STATES.indexOf(value.state));
  writer.array(
    [...value.partitions],
    (w, [topic, partitions]) => w.string(topic).array(partitions, (w2, p) => w2.int32(p)),
  );
  writer.int64n(value.lastUpdateMs).int64n(value.startMs);
  return { key, value: writer.toBytes() };
}

/** The record that forgets an id (an expired one): compaction drops its earlier states, then it. */
export function txnTombstone(transactionalId: string): TxnRecord {
  return { key: txnKey(transactionalId), value: null };
}

function txnKey(transactionalId: string): Uint8Array {
  return new Writer(8 + transactionalId.length * 3).int16(0).string(transactionalId).toBytes();
}

/** Decode a record; null value = tombstone. Throws WireError on bytes that are not one. */
export function decodeTxnRecord(record: TxnRecord): { transactionalId: string; value: TxnStateValue | null } {
  const keyReader = new Reader(record.key);
  if (keyReader.int16() !== 0) throw new WireError("Unknown __transaction_state key version");
  const transactionalId = readString(keyReader, "transactional_id");
  if (record.value === null) return { transactionalId, value: null };
  const r = new Reader(record.value);
  if (r.int16() !== 0) throw new WireError("Unknown __transaction_state value version");
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const timeoutMs = r.int32();
  const state = TXN_STATES[r.int8()];
  if (state === undefined) throw new WireError("Unknown transaction state code");
  const partitions = new Map(
    readArray(r, "partitions", (r2) => [readString(r2, "topic"), readInt32s(r2, "partitions")] as const, 6),
  );
  const lastUpdateMs = r.int64n();
  const startMs = r.int64n();
  return {
    transactionalId,
    value: { producerId, producerEpoch, timeoutMs, state, partitions, lastUpdateMs, startMs },
  };
}
