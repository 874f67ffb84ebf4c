/**
 * CreateTopics: validate each topic (name, partitions, replication factor against live brokers,
 * explicit assignment, configs) and write it to the coordinator; validate_only (v1+) stops
 * after the checks. Then waits (bounded by timeout_ms) until the controller has announced the
 * new topics to this broker, so a Metadata call right after sees them.
 */
import {
  type CreatableTopicResult,
  readCreateTopicsRequest,
  writeCreateTopicsResponse,
} from "../../kafka/apis/create-topics.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, clusterAllowed } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { type AdminOutcome, planTopic, writeTopic } from "../topic-admin.ts";
import { boundedTimeoutMs, serverError } from "./common.ts";

/** Longest wait for the new topics to show up in the metadata cache. */
const MAX_PROPAGATION_WAIT_MS = 30_000;

type CreatableTopic = ReturnType<typeof readCreateTopicsRequest>["topics"][number];

export function createTopicsHandler(context: BrokerContext): RequestHandler {
  return async (context_) => {
    const { header, body } = context_;
    // Create on the cluster covers every topic; otherwise Create on the topic itself.
    const clusterCreate = clusterAllowed(context, context_, AclOperation.Create);
    const version = header.apiVersion;
    const request = readCreateTopicsRequest(body, version);
    const validateOnly = request.validateOnly ?? false;
    const seen = new Set<string>();
    const topics: CreatableTopicResult[] = [];
    /** Created topics and their partition counts. */
    const created = new Map<string, number>();
    for (const topic of request.topics) {
      const outcome = seen.has(topic.name)
        ? { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Topic ${topic.name} named twice` }
        : !clusterCreate && !allowed(context, context_, AclOperation.Create, ResourceType.Topic, topic.name)
        ? {
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          errorMessage: `Not allowed to create topic ${topic.name}`,
        }
        : await createOne(context, topic, validateOnly, created).catch(serverError);
      seen.add(topic.name);
      topics.push({ name: topic.name, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage });
    }
    if (created.size > 0) {
      await context.metadata.waitUntil(
        (cache) => [...created].every(([name, count]) => cache.hasPartitions(name, count)),
        boundedTimeoutMs(request.timeoutMs, MAX_PROPAGATION_WAIT_MS),
      );
    }
    return (writer) => writeCreateTopicsResponse(writer, version, { throttleTimeMs: 0, topics });
  };
}

async function createOne(
  context: BrokerContext,
  topic: CreatableTopic,
  validateOnly: boolean,
  created: Map<string, number>,
): Promise<AdminOutcome> {
  const configs: Record<string, string> = {};
  for (const config of topic.configs) {
    if (config.value !== null) configs[config.name] = config.value;
  }
  const plan = planTopic(context.metadata, {
    name: topic.name,
    numPartitions: topic.numPartitions,
    replicationFactor: topic.replicationFactor,
    assignments: topic.assignments,
    configs,
  }, context.config);
  if (!("assignment" in plan)) return plan;
  if (validateOnly) return { errorCode: 0, errorMessage: null };
  const outcome = await writeTopic(
    context.coordination,
    context.metadata,
    topic.name,
    plan.assignment,
    configs,
  );
  if (outcome.errorCode === 0) created.set(topic.name, plan.assignment.length);
  return outcome;
}
