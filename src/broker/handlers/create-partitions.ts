/**
 * CreatePartitions: grow a topic to `count` partitions (explicit or staggered assignment); waits,
 * bounded by timeout_ms, until the controller has announced the new partitions to this broker.
 */
import {
  type CreatePartitionsTopicResult,
  readCreatePartitionsRequest,
  writeCreatePartitionsResponse,
} from "../../kafka/apis/create-partitions.ts";
import { allowed } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { addPartitions } from "../topic-admin.ts";
import { boundedTimeoutMs, serverError } from "./common.ts";

/** Longest wait for the new partitions to show up in the metadata cache. */
const MAX_PROPAGATION_WAIT_MS = 30_000;

export function createPartitionsHandler(context: BrokerContext): RequestHandler {
  return async (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readCreatePartitionsRequest(body, version);
    const results: CreatePartitionsTopicResult[] = [];
    const grown = new Map<string, number>();
    for (const topic of request.topics) {
      const explicit = topic.assignments === null ? null : topic.assignments.map((a) => a.brokerIds);
      if (!allowed(context, context_, AclOperation.Alter, ResourceType.Topic, topic.name)) {
        results.push({
          name: topic.name,
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          errorMessage: `Not allowed to alter topic ${topic.name}`,
        });
        continue;
      }
      const outcome = await addPartitions(
        context.coordination,
        context.metadata,
        topic.name,
        topic.count,
        explicit,
        request.validateOnly,
        context.config.maxPartitionsPerTopic,
      ).catch(serverError);
      if (outcome.errorCode === 0 && !request.validateOnly) grown.set(topic.name, topic.count);
      results.push({ name: topic.name, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage });
    }
    if (grown.size > 0) {
      await context.metadata.waitUntil(
        (cache) => [...grown].every(([name, count]) => cache.hasPartitions(name, count)),
        boundedTimeoutMs(request.timeoutMs, MAX_PROPAGATION_WAIT_MS),
      );
    }
    return (writer) => writeCreatePartitionsResponse(writer, version, { throttleTimeMs: 0, results });
  };
}
