/**
 * DeleteTopics: remove each topic's znodes; the controller then stops its replicas (their logs
 * are deleted) and tells every broker. Waits, bounded by timeout_ms, until this broker's metadata
 * no longer shows the topics.
 */
import {
  type DeletableTopicResult,
  readDeleteTopicsRequest,
  writeDeleteTopicsResponse,
} from "../../kafka/apis/delete-topics.ts";
import { allowed } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { deleteTopic } from "../topic-admin.ts";
import { boundedTimeoutMs, serverError } from "./common.ts";

/** Longest wait for the deletion to show in the metadata cache. */
const MAX_PROPAGATION_WAIT_MS = 30_000;

export function deleteTopicsHandler(context: BrokerContext): RequestHandler {
  return async (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readDeleteTopicsRequest(body, version);
    const responses: DeletableTopicResult[] = [];
    const deleted: string[] = [];
    for (const name of request.topicNames) {
      const outcome = allowed(context, context_, AclOperation.Delete, ResourceType.Topic, name)
        ? await deleteTopic(context.coordination, name).catch(serverError)
        : { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
      if (outcome.errorCode === 0) deleted.push(name);
      responses.push({ name, errorCode: outcome.errorCode });
    }
    if (deleted.length > 0) {
      await context.metadata.waitUntil(
        (cache) => deleted.every((name) => !cache.topics.has(name)),
        boundedTimeoutMs(request.timeoutMs, MAX_PROPAGATION_WAIT_MS),
      );
    }
    return (writer) => writeDeleteTopicsResponse(writer, version, { throttleTimeMs: 0, responses });
  };
}
