/**
 * ListTransactions (key 66), versions 0–1 (flexible, KIP-664; v1 adds the duration filter of
 * KIP-994): every transactional id this broker coordinates, optionally filtered by state, by
 * producer id, and (v1) by having been open longer than duration_filter ms. State names the
 * broker does not know come back in unknown_state_filters.
 *
 * Request v0  => state_filters [COMPACT_STRING] producer_id_filters [INT64] TAG_BUFFER
 * Request v1  => v0 + duration_filter INT64   (-1 = no filter; placed before the tags)
 * Response v0–1 => throttle_time_ms INT32 error_code INT16 unknown_state_filters [COMPACT_STRING]
 *                  transaction_states [transactional_id COMPACT_STRING producer_id INT64
 *                    transaction_state COMPACT_STRING TAG_BUFFER] TAG_BUFFER
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import { readStringField } from "./flexible-fields.ts";

export interface ListTransactionsRequest {
  stateFilters: string[];
  producerIdFilters: bigint[];
  /** v1+: only transactions open longer than this (ms); -1 = all. Default -1. */
  durationFilterMs?: number;
}

export interface ListedTransaction {
  transactionalId: string;
  producerId: bigint;
  transactionState: string;
}

export interface ListTransactionsResponse {
  throttleTimeMs: number;
  errorCode: number;
  unknownStateFilters: string[];
  transactionStates: ListedTransaction[];
}

const requireString = (reader: Reader, field: string) => readStringField(reader, true, field);

export function writeListTransactionsRequest(
  writer: Writer,
  version: number,
  request: ListTransactionsRequest,
): void {
  checkVersion(ApiKey.ListTransactions, version, "write");
  writer.compactArray(request.stateFilters, (w, s) => w.compactString(s));
  writer.compactArray(request.producerIdFilters, (w, id) => w.int64(id));
  if (version >= 1) writer.int64n(request.durationFilterMs ?? -1);
  writer.emptyTags();
}

export function readListTransactionsRequest(reader: Reader, version: number): ListTransactionsRequest {
  checkVersion(ApiKey.ListTransactions, version, "read");
  const stateFilters = reader.compactArray((r) => requireString(r, "state_filters"), 1) ?? [];
  const producerIdFilters = reader.compactArray((r) => r.int64(), 8) ?? [];
  const durationFilterMs = version >= 1 ? reader.int64n() : -1;
  reader.skipTags();
  return { stateFilters, producerIdFilters, durationFilterMs };
}

export function writeListTransactionsResponse(
  writer: Writer,
  version: number,
  response: ListTransactionsResponse,
): void {
  checkVersion(ApiKey.ListTransactions, version, "write");
  writer.int32(response.throttleTimeMs).int16(response.errorCode);
  writer.compactArray(response.unknownStateFilters, (w, s) => w.compactString(s));
  writer.compactArray(response.transactionStates, (w, t) => {
    w.compactString(t.transactionalId).int64(t.producerId).compactString(t.transactionState).emptyTags();
  });
  writer.emptyTags();
}

export function readListTransactionsResponse(reader: Reader, version: number): ListTransactionsResponse {
  checkVersion(ApiKey.ListTransactions, version, "read");
  const throttleTimeMs = reader.int32();
  const errorCode = reader.int16();
  const unknownStateFilters = reader.compactArray((r) => requireString(r, "unknown_state_filters"), 1) ?? [];
  const transactionStates = reader.compactArray((r) => {
    const transactionalId = requireString(r, "transactional_id");
    const producerId = r.int64();
    const transactionState = requireString(r, "transaction_state");
    r.skipTags();
    return { transactionalId, producerId, transactionState };
  }, 11) ?? [];
  reader.skipTags();
  return { throttleTimeMs, errorCode, unknownStateFilters, transactionStates };
}
