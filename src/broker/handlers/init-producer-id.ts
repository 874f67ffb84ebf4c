/**
 * InitProducerId. Without a transactional id: a fresh producer id from the Snowflake generator
 * (unique across brokers with no coordination), epoch 0. With one: the transaction coordinator
 * answers (this broker must lead the id's `__transaction_state` partition): the id's producer id
 * with its epoch bumped, fencing the previous instance. PRODUCER_FENCED is answered as
 * INVALID_PRODUCER_EPOCH before v4, which predates it.
 */
import { readInitProducerIdRequest, writeInitProducerIdResponse } from "../../kafka/apis/init-producer-id.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, allowedOnAny, clusterAllowed } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler, ResponseBody } from "../connection.ts";

export function initProducerIdHandler(context: BrokerContext): RequestHandler {
  return async (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readInitProducerIdRequest(body, version);
    const answer = (errorCode: number, producerId = -1n, producerEpoch = -1): ResponseBody => (writer) =>
      writeInitProducerIdResponse(writer, version, {
        throttleTimeMs: 0,
        errorCode,
        producerId,
        producerEpoch,
      });
    const transactionalId = request.transactionalId ?? null;
    if (transactionalId !== null) {
      if (!allowed(context, context_, AclOperation.Write, ResourceType.TransactionalId, transactionalId)) {
        return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      }
      const result = await context.transactions.coordinator.initProducerId({
        transactionalId,
        transactionTimeoutMs: request.transactionTimeoutMs,
        producerId: request.producerId ?? -1n,
        producerEpoch: request.producerEpoch ?? -1,
      });
      const errorCode = result.errorCode === ErrorCode.PRODUCER_FENCED && version < 4
        ? ErrorCode.INVALID_PRODUCER_EPOCH
        : result.errorCode;
      return answer(errorCode, result.producerId, result.producerEpoch);
    }
    // Idempotence: IdempotentWrite on the cluster, or (Kafka 2.8+) Write on any topic.
    const idempotentAllowed = clusterAllowed(context, context_, AclOperation.IdempotentWrite) ||
      allowedOnAny(context, context_, AclOperation.Write, ResourceType.Topic);
    if (!idempotentAllowed) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    return answer(0, context.producerIds.next(), 0);
  };
}
