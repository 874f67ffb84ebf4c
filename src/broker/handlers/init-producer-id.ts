/**
 * InitProducerId: a fresh producer id from the Snowflake generator (unique across brokers with
 * no coordination), epoch 0. Transactions are not supported: a transactional id gets INVALID_REQUEST.
 */
import { readInitProducerIdRequest, writeInitProducerIdResponse } from "../../kafka/apis/init-producer-id.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowedOnAny, clusterAllowed } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";

export function initProducerIdHandler(context: BrokerContext): RequestHandler {
  return (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readInitProducerIdRequest(body, version);
    // Idempotence: IdempotentWrite on the cluster, or (Kafka 2.8+) Write on any topic.
    const idempotentAllowed = clusterAllowed(context, context_, AclOperation.IdempotentWrite) ||
      allowedOnAny(context, context_, AclOperation.Write, ResourceType.Topic);
    if (!idempotentAllowed) {
      return (writer) =>
        writeInitProducerIdResponse(writer, version, {
          throttleTimeMs: 0,
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          producerId: -1n,
          producerEpoch: -1,
        });
    }
    if (request.transactionalId !== null && request.transactionalId !== undefined) {
      return (writer) =>
        writeInitProducerIdResponse(writer, version, {
          throttleTimeMs: 0,
          errorCode: ErrorCode.INVALID_REQUEST,
          producerId: -1n,
          producerEpoch: -1,
        });
    }
    const producerId = context.producerIds.next();
    return (writer) =>
      writeInitProducerIdResponse(writer, version, {
        throttleTimeMs: 0,
        errorCode: 0,
        producerId,
        producerEpoch: 0,
      });
  };
}
