/**
 * Metadata: live brokers, the controller, and leadership of the requested topics (all topics for
 * a null list). Unknown topics are created when the broker allows auto-creation and the request
 * does too (v4+ flag; older versions always allow it). Brokers are answered with the address of
 * the listener the client came in on; a broker without that listener is left out, as Kafka does.
 * With an authorizer, a full listing holds only the topics the principal may Describe. Topic and
 * cluster authorized operations (v8+; cluster v8–10) are answered when asked for.
 */
import { type MetadataTopic, readMetadataRequest, writeMetadataResponse } from "../../kafka/apis/metadata.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, authorizedOperations, clusterAllowed } from "../authorization.ts";
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from "../../kafka/acl.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import type { ClusterSnapshot } from "../metadata-cache.ts";
import { planTopic, writeTopic } from "../topic-admin.ts";
import { listenerAddress } from "../zk-layout.ts";
import { logLine } from "../log-lines.ts";

/** How long a Metadata call waits to see the topics it auto-created. */
const AUTO_CREATE_WAIT_MS = 10_000;

export function metadataHandler(context: BrokerContext): RequestHandler {
  return async (request_) => {
    const { header, body, session } = request_;
    const request = readMetadataRequest(body, header.apiVersion);
    const autoCreate = context.config.autoCreateTopics && (request.allowAutoTopicCreation ?? true);
    const snapshot = context.metadata.snapshot;
    const describable = (name: string) =>
      allowed(context, request_, AclOperation.Describe, ResourceType.Topic, name);
    if (autoCreate && request.topics) {
      // Auto-creation needs Create on the cluster or on the topic, as Kafka.
      const mayCreate = (name: string) =>
        clusterAllowed(context, request_, AclOperation.Create) ||
        allowed(context, request_, AclOperation.Create, ResourceType.Topic, name);
      const missing = request.topics.filter((name) =>
        !snapshot.topics.has(name) && describable(name) && mayCreate(name)
      );
      if (missing.length > 0) {
        for (const name of missing) await autoCreateTopic(context, name);
        await context.metadata.waitUntil(
          (cache) => missing.every((name) => cache.topics.has(name)),
          AUTO_CREATE_WAIT_MS,
        );
      }
    }
    // All topics: only those the principal may describe. Named ones it may not: refused by name.
    const names = request.topics ?? [...snapshot.topics.keys()].filter(describable);
    const topics = names.map((name): MetadataTopic =>
      describable(name)
        ? {
          ...describeTopic(snapshot, name),
          // Asked for (v8+): what this principal may do with each topic it may describe, as Kafka.
          ...(request.includeTopicAuthorizedOperations
            ? { topicAuthorizedOperations: authorizedOperations(context, request_, ResourceType.Topic, name) }
            : {}),
        }
        : { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, isInternal: false, partitions: [] }
    );
    const clusterAuthorizedOperations = request.includeClusterAuthorizedOperations
      ? authorizedOperations(context, request_, ResourceType.Cluster, CLUSTER_RESOURCE_NAME)
      : undefined;
    return (writer) =>
      writeMetadataResponse(writer, header.apiVersion, {
        throttleTimeMs: 0,
        brokers: [...snapshot.brokers.values()].flatMap((broker) => {
          const address = session === undefined ? broker : listenerAddress(broker, session.listener);
          return address === undefined
            ? []
            : [{ nodeId: broker.brokerId, host: address.host, port: address.port, rack: broker.rack }];
        }),
        clusterId: context.clusterId,
        controllerId: snapshot.controllerId,
        topics,
        clusterAuthorizedOperations,
      });
  };
}

async function autoCreateTopic(context: BrokerContext, name: string): Promise<void> {
  const plan = planTopic(context.metadata, {
    name,
    numPartitions: -1,
    replicationFactor: -1,
    assignments: [],
    configs: {},
    rackAwareMode: "safe", // as Kafka's auto-creation: mixed racks fall back to ignoring them
  }, context.config);
  if (!("assignment" in plan)) return;
  try {
    await writeTopic(context.coordination, context.metadata, name, plan.assignment, {});
  } catch (error) {
    // The topic stays unknown and the answer says so; the client retries or gives up.
    logLine(`auto-creating topic ${name}: ${(error as Error).message}`);
  }
}

function describeTopic(snapshot: ClusterSnapshot, name: string): MetadataTopic {
  const topic = snapshot.topics.get(name);
  if (!topic) {
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, isInternal: false, partitions: [] };
  }
  return {
    errorCode: 0,
    name,
    isInternal: false,
    partitions: topic.partitions.filter((partition) => partition !== undefined).map((partition) => {
      const leader = partition.state?.leader ?? -1;
      const leaderLive = snapshot.brokers.has(leader);
      return {
        errorCode: leaderLive ? 0 : ErrorCode.LEADER_NOT_AVAILABLE,
        partitionIndex: partition.partition,
        leaderId: leaderLive ? leader : -1,
        leaderEpoch: partition.state?.leaderEpoch ?? -1,
        replicaNodes: partition.replicas,
        isrNodes: partition.state?.isr ?? [],
        offlineReplicas: partition.replicas.filter((id) => !snapshot.brokers.has(id)),
      };
    }),
  };
}
