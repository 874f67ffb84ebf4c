/**
 * CreateTopics: validate each topic (name, partitions, replication factor against live brokers,
 * explicit assignment, configs) and write it to the coordinator; validate_only (v1+) stops
 * after the checks. Waits (bounded by timeout_ms) until this broker's metadata shows the new
 * topics, so a Metadata call right after sees them.
 */
import {
  type CreatableTopicResult,
  readCreateTopicsRequest,
  writeCreateTopicsResponse,
} from "../../kafka/apis/create-topics.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { planTopic, writeTopic } from "../topic-admin.ts";

export function createTopicsHandler(context: BrokerContext): RequestHandler {
  return async ({ header, body }) => {
    const version = header.apiVersion;
    const request = readCreateTopicsRequest(body, version);
    const seen = new Set<string>();
    const topics: CreatableTopicResult[] = [];
    for (const topic of request.topics) {
      const outcome = seen.has(topic.name)
        ? { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Topic ${topic.name} named twice` }
        : await createOne(context, topic, request.validateOnly ?? false);
      seen.add(topic.name);
      topics.push({ name: topic.name, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage });
    }
    if (topics.some((topic) => topic.errorCode === 0) && !request.validateOnly) {
      await withTimeout(context.metadata.refresh(), Math.min(Math.max(request.timeoutMs, 0), 30_000));
    }
    return (writer) => writeCreateTopicsResponse(writer, version, { throttleTimeMs: 0, topics });
  };

  async function createOne(
    context: BrokerContext,
    topic: ReturnType<typeof readCreateTopicsRequest>["topics"][number],
    validateOnly: boolean,
  ) {
    const snapshot = context.metadata.snapshot;
    const configs: Record<string, string> = {};
    for (const config of topic.configs) {
      if (config.value !== null) configs[config.name] = config.value;
    }
    const plan = planTopic(snapshot, {
      name: topic.name,
      numPartitions: topic.numPartitions,
      replicationFactor: topic.replicationFactor,
      assignments: topic.assignments,
      configs,
    }, context.config);
    if (!("assignment" in plan)) return plan;
    if (validateOnly) return { errorCode: 0, errorMessage: null };
    return await writeTopic(context.coordination, snapshot, topic.name, plan.assignment, configs);
  }
}

/** Wait for promise, but no longer than timeoutMs. */
export async function withTimeout(promise: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs))]);
  clearTimeout(timer);
}
