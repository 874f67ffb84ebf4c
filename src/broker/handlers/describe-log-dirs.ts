/**
 * DescribeLogDirs: the broker has one log directory (--data-dir); for each hosted partition
 * asked for (null topics = all) it reports the bytes in its segment files. offset_lag follows
 * Kafka's meaning for a current (non-future) log: how far its LEO trails the high watermark it
 * knows, never negative — 0 for a leader, and 0 for a follower too since a follower never holds
 * a high watermark above its own LEO (the leader's LEO is not known here). There are no future
 * logs (no AlterReplicaLogDirs), so is_future_key is always false.
 */
import { resolve } from "node:path";
import {
  type DescribeLogDirsRequest,
  type DescribeLogDirsTopic,
  readDescribeLogDirsRequest,
  writeDescribeLogDirsResponse,
} from "../../kafka/apis/describe-log-dirs.ts";
import { clusterAllowed } from "../authorization.ts";
import { AclOperation } from "../../kafka/acl.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import type { Partition } from "../partition/partition.ts";

export function describeLogDirsHandler(context: BrokerContext): RequestHandler {
  return (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readDescribeLogDirsRequest(body, version);
    if (!clusterAllowed(context, context_, AclOperation.Describe)) {
      // v0-1 carry no top-level error: Kafka answers with no log dirs at all.
      return (writer) => writeDescribeLogDirsResponse(writer, version, { throttleTimeMs: 0, results: [] });
    }
    const topics = describePartitions(wantedPartitions(context, request));
    const logDir = resolve(context.config.dataDir);
    return (writer) =>
      writeDescribeLogDirsResponse(writer, version, {
        throttleTimeMs: 0,
        results: [{ errorCode: 0, logDir, topics }],
      });
  };
}

/** Hosted partitions the request names (all when topics is null); unknown ones are left out. */
function wantedPartitions(context: BrokerContext, request: DescribeLogDirsRequest): Partition[] {
  if (request.topics === null) return [...context.replicas.all()];
  const found: Partition[] = [];
  for (const topic of request.topics) {
    for (const index of new Set(topic.partitions)) {
      const partition = context.replicas.get(topic.topic, index);
      if (partition !== undefined) found.push(partition);
    }
  }
  return found;
}

function describePartitions(partitions: Partition[]): DescribeLogDirsTopic[] {
  const byTopic = new Map<string, DescribeLogDirsTopic>();
  for (const { topic, partition, log } of partitions) {
    let entry = byTopic.get(topic);
    if (entry === undefined) byTopic.set(topic, entry = { name: topic, partitions: [] });
    entry.partitions.push({
      partitionIndex: partition,
      partitionSize: log.sizeBytes,
      offsetLag: Math.max(0, log.highWatermark - log.logEndOffset),
      isFutureKey: false,
    });
  }
  return [...byTopic.values()];
}
