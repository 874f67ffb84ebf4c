/**
 * InitProducerId: a fresh producer id from the Snowflake generator (unique across brokers with
 * no coordination), epoch 0. Transactions are not supported: a transactional id gets INVALID_REQUEST.
 */
import { readInitProducerIdRequest, writeInitProducerIdResponse } from "../../kafka/apis/init-producer-id.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";

export function initProducerIdHandler(context: BrokerContext): RequestHandler {
  return ({ header, body }) => {
    const version = header.apiVersion;
    const request = readInitProducerIdRequest(body, version);
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
