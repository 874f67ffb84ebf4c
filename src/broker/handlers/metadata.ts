/**
 * Metadata: live brokers, the controller, and leadership of the requested topics (all topics for
 * a null list). Unknown topics are created when the broker allows auto-creation and the request
 * does too (v4+ flag; older versions always allow it).
 */
import { type MetadataTopic, readMetadataRequest, writeMetadataResponse } from "../../kafka/apis/metadata.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { ClusterSnapshot } from "../cluster-metadata.ts";
import type { RequestHandler } from "../connection.ts";
import { planTopic, writeTopic } from "../topic-admin.ts";

export function metadataHandler(context: BrokerContext): RequestHandler {
  return async ({ header, body }) => {
    const request = readMetadataRequest(body, header.apiVersion);
    const autoCreate = context.config.autoCreateTopics && (request.allowAutoTopicCreation ?? true);
    let snapshot = context.metadata.snapshot;
    if (autoCreate && request.topics) {
      const missing = request.topics.filter((name) => !snapshot.topics.has(name));
      if (missing.length > 0) {
        for (const name of missing) await autoCreateTopic(context, snapshot, name);
        await context.metadata.refresh();
        snapshot = context.metadata.snapshot;
      }
    }
    const names = request.topics ?? [...snapshot.topics.keys()];
    const topics = names.map((name) => describeTopic(snapshot, name));
    return (writer) =>
      writeMetadataResponse(writer, header.apiVersion, {
        throttleTimeMs: 0,
        brokers: [...snapshot.brokers.values()].map((broker) => ({
          nodeId: broker.brokerId,
          host: broker.host,
          port: broker.port,
          rack: broker.rack,
        })),
        clusterId: context.clusterId,
        controllerId: snapshot.controllerId,
        topics,
      });
  };
}

async function autoCreateTopic(
  context: BrokerContext,
  snapshot: ClusterSnapshot,
  name: string,
): Promise<void> {
  const plan = planTopic(snapshot, {
    name,
    numPartitions: -1,
    replicationFactor: -1,
    assignments: [],
    configs: {},
  }, context.config);
  if ("assignment" in plan) await writeTopic(context.coordination, snapshot, name, plan.assignment, {});
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
    partitions: topic.partitions.map((partition) => {
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
