/**
 * Partition sizes on disk from DescribeLogDirs: each broker is asked, in parallel, for the
 * replicas it holds (each leader for the partitions it leads, for describe; the brokers receiving
 * copies, for reassignment progress), and reports the bytes in their segment files. A broker that cannot
 * answer (unreachable, or too old to offer DescribeLogDirs) leaves its partitions out: the
 * admin shows their size as unknown rather than failing the whole describe.
 *
 * @example
 * ```ts
 * const sizes = await leaderLogSizes(cluster, [{ topic: "orders", partition: 0, leader: 1 }]);
 * sizes.get(partitionKey("orders", 0)); // bytes, or undefined when unknown
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { readDescribeLogDirsResponse, writeDescribeLogDirsRequest } from "../kafka/apis/describe-log-dirs.ts";
import type { Cluster } from "./cluster.ts";
import { partitionKey } from "./partition-key.ts";

export interface LeaderPartition {
  topic: string;
  partition: number;
  leader: number;
}

/** One replica: a partition on a broker. */
export interface ReplicaOnBroker {
  topic: string;
  partition: number;
  broker: number;
}

/** Map key for a replica in replicaLogSizes' result. */
export const replicaKey = (broker: number, topic: string, partition: number) =>
  `${broker}\0${topic}\0${partition}`;

/** Size in bytes of each partition's log on its leader, keyed by partitionKey; never throws. */
export async function leaderLogSizes(
  cluster: Cluster,
  partitions: LeaderPartition[],
): Promise<Map<string, number>> {
  const sizes = await replicaLogSizes(
    cluster,
    partitions.map(({ topic, partition, leader }) => ({ topic, partition, broker: leader })),
  );
  return new Map(partitions.flatMap(({ topic, partition, leader }) => {
    const size = sizes.get(replicaKey(leader, topic, partition));
    return size === undefined ? [] : [[partitionKey(topic, partition), size]];
  }));
}

/**
 * Size in bytes of each replica's log on its broker (every broker asked once, all in parallel),
 * keyed by replicaKey; a replica its broker does not hold (yet) or cannot report is absent.
 * Never throws. Reassignment progress uses it for the copies being made.
 */
export async function replicaLogSizes(
  cluster: Cluster,
  replicas: ReplicaOnBroker[],
): Promise<Map<string, number>> {
  const byBroker = new Map<number, Map<string, number[]>>();
  for (const { topic, partition, broker } of replicas) {
    let topics = byBroker.get(broker);
    if (!topics) byBroker.set(broker, topics = new Map());
    let indexes = topics.get(topic);
    if (!indexes) topics.set(topic, indexes = []);
    indexes.push(partition);
  }
  const sizes = new Map<string, number>();
  await Promise.all([...byBroker].map(async ([broker, topics]) => {
    try {
      const connection = await cluster.connectionTo(broker);
      const version = connection.versionFor(ApiKey.DescribeLogDirs);
      const response = await connection.request(
        ApiKey.DescribeLogDirs,
        version,
        (w) =>
          writeDescribeLogDirsRequest(w, version, {
            topics: [...topics].map(([topic, indexes]) => ({ topic, partitions: indexes })),
          }),
        (r) => readDescribeLogDirsResponse(r, version),
      );
      for (const result of response.results) {
        if (result.errorCode !== 0) continue;
        for (const topic of result.topics) {
          // Only the partitions asked for: a reply may also cover others it hosts.
          const asked = topics.get(topic.name);
          for (const p of topic.partitions) {
            if (p.isFutureKey || !asked?.includes(p.partitionIndex)) continue;
            const key = replicaKey(broker, topic.name, p.partitionIndex);
            sizes.set(key, (sizes.get(key) ?? 0) + p.partitionSize);
          }
        }
      }
    } catch {
      // Unknown sizes for this broker's replicas; the caller shows them as unknown.
    }
  }));
  return sizes;
}
