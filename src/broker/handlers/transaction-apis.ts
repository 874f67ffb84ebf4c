/**
 * The transaction coordinator's APIs, keyed by API key: AddPartitionsToTxn, AddOffsetsToTxn,
 * EndTxn, DescribeTransactions and ListTransactions (InitProducerId and FindCoordinator serve
 * both idempotent producers and groups, so they live in their own modules). Thin: decode,
 * authorize, call the TransactionService's coordinator, encode.
 *
 * Authorization as Kafka's: Write on the TransactionalId for the producer's requests (and Write
 * on each topic AddPartitionsToTxn names), Describe on it for Describe/ListTransactions (ids the
 * principal may not describe are left out of a list). A stale epoch is PRODUCER_FENCED from v2
 * on and INVALID_PRODUCER_EPOCH before (the error code did not exist for those clients).
 */
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import { ApiKey } from "../../kafka/api-keys.ts";
import {
  readAddOffsetsToTxnRequest,
  writeAddOffsetsToTxnResponse,
} from "../../kafka/apis/add-offsets-to-txn.ts";
import {
  type AddPartitionsToTxnResult,
  readAddPartitionsToTxnRequest,
  writeAddPartitionsToTxnResponse,
} from "../../kafka/apis/add-partitions-to-txn.ts";
import {
  readDescribeTransactionsRequest,
  writeDescribeTransactionsResponse,
} from "../../kafka/apis/describe-transactions.ts";
import { readEndTxnRequest, writeEndTxnResponse } from "../../kafka/apis/end-txn.ts";
import {
  readListTransactionsRequest,
  writeListTransactionsResponse,
} from "../../kafka/apis/list-transactions.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, type AuthorizationContext } from "../authorization.ts";
import type { RequestHandler } from "../connection.ts";
import type { TransactionService } from "../transaction-service.ts";
import { TXN_STATES } from "../transactions/txn-records.ts";

/** PRODUCER_FENCED for clients that know it (from fencedSince), INVALID_PRODUCER_EPOCH for older ones. */
function fencedFor(errorCode: number, version: number, fencedSince: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && version < fencedSince
    ? ErrorCode.INVALID_PRODUCER_EPOCH
    : errorCode;
}

export function transactionApiHandlers(
  transactions: TransactionService,
  auth: AuthorizationContext = {},
): [number, RequestHandler][] {
  const coordinator = transactions.coordinator;

  const addPartitions: RequestHandler = async (request_) => {
    const version = request_.header.apiVersion;
    const request = readAddPartitionsToTxnRequest(request_.body, version);
    const idAllowed = allowed(
      auth,
      request_,
      AclOperation.Write,
      ResourceType.TransactionalId,
      request.transactionalId,
    );
    // Kafka's rule: if any partition is refused, none is added; the others say OPERATION_NOT_ATTEMPTED.
    const refusals = new Map<string, number>();
    for (const topic of request.topics) {
      const topicAllowed = allowed(auth, request_, AclOperation.Write, ResourceType.Topic, topic.name);
      for (const partition of topic.partitions) {
        const code = !idAllowed
          ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
          : !topicAllowed
          ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
          : !transactions.partitionExists(topic.name, partition)
          ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
          : 0;
        if (code !== 0) refusals.set(`${topic.name}\u0000${partition}`, code);
      }
    }
    let errorCode = 0;
    if (refusals.size === 0) {
      const partitions = request.topics.flatMap((t) =>
        t.partitions.map((partition) => ({ topic: t.name, partition }))
      );
      errorCode = fencedFor(await coordinator.addPartitions(request, partitions), version, 2);
    }
    const results: AddPartitionsToTxnResult[] = request.topics.map((topic) => ({
      name: topic.name,
      results: topic.partitions.map((partitionIndex) => ({
        partitionIndex,
        errorCode: refusals.size === 0
          ? errorCode
          : refusals.get(`${topic.name}\u0000${partitionIndex}`) ?? ErrorCode.OPERATION_NOT_ATTEMPTED,
      })),
    }));
    return (writer) => writeAddPartitionsToTxnResponse(writer, version, { throttleTimeMs: 0, results });
  };

  const addOffsets: RequestHandler = async (request_) => {
    const version = request_.header.apiVersion;
    const request = readAddOffsetsToTxnRequest(request_.body, version);
    const errorCode =
      !allowed(auth, request_, AclOperation.Write, ResourceType.TransactionalId, request.transactionalId)
        ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        : fencedFor(await transactions.addOffsets(request, request.groupId), version, 2);
    return (writer) => writeAddOffsetsToTxnResponse(writer, version, { throttleTimeMs: 0, errorCode });
  };

  const endTxn: RequestHandler = async (request_) => {
    const version = request_.header.apiVersion;
    const request = readEndTxnRequest(request_.body, version);
    const errorCode =
      !allowed(auth, request_, AclOperation.Write, ResourceType.TransactionalId, request.transactionalId)
        ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        : fencedFor(await coordinator.endTxn(request, request.committed), version, 2);
    return (writer) => writeEndTxnResponse(writer, version, { throttleTimeMs: 0, errorCode });
  };

  const describe: RequestHandler = (request_) => {
    const version = request_.header.apiVersion;
    const request = readDescribeTransactionsRequest(request_.body, version);
    const transactionStates = request.transactionalIds.map((transactionalId) => {
      if (!allowed(auth, request_, AclOperation.Describe, ResourceType.TransactionalId, transactionalId)) {
        return {
          errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
          transactionalId,
          transactionState: "",
          transactionTimeoutMs: 0,
          transactionStartTimeMs: -1,
          producerId: -1n,
          producerEpoch: -1,
          topics: [],
        };
      }
      const described = coordinator.describe(transactionalId);
      return {
        errorCode: described.errorCode,
        transactionalId,
        transactionState: described.state,
        transactionTimeoutMs: described.timeoutMs,
        transactionStartTimeMs: described.startMs,
        producerId: described.producerId,
        producerEpoch: described.producerEpoch,
        topics: described.topics,
      };
    });
    return (writer) =>
      writeDescribeTransactionsResponse(writer, version, { throttleTimeMs: 0, transactionStates });
  };

  const list: RequestHandler = (request_) => {
    const version = request_.header.apiVersion;
    const request = readListTransactionsRequest(request_.body, version);
    const known = new Set<string>(TXN_STATES);
    const unknownStateFilters = request.stateFilters.filter((s) => !known.has(s));
    const states = new Set(request.stateFilters);
    const ids = new Set(request.producerIdFilters);
    const durationMs = request.durationFilterMs ?? -1;
    const now = Date.now();
    const { errorCode, transactions: all } = coordinator.list();
    const transactionStates = all
      .filter((t) => states.size === 0 || states.has(t.state))
      .filter((t) => ids.size === 0 || ids.has(t.producerId))
      .filter((t) => durationMs < 0 || (t.startMs >= 0 && now - t.startMs > durationMs))
      .filter((t) =>
        allowed(auth, request_, AclOperation.Describe, ResourceType.TransactionalId, t.transactionalId)
      )
      .map((t) => ({
        transactionalId: t.transactionalId,
        producerId: t.producerId,
        transactionState: t.state,
      }));
    return (writer) =>
      writeListTransactionsResponse(writer, version, {
        throttleTimeMs: 0,
        errorCode,
        unknownStateFilters,
        transactionStates,
      });
  };

  return [
    [ApiKey.AddPartitionsToTxn, addPartitions],
    [ApiKey.AddOffsetsToTxn, addOffsets],
    [ApiKey.EndTxn, endTxn],
    [ApiKey.DescribeTransactions, describe],
    [ApiKey.ListTransactions, list],
  ];
}
