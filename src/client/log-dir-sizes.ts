/**
 * Partition sizes on disk from DescribeLogDirs: each leader is asked, in parallel, for the
 * partitions it leads, and reports the bytes in their segment files. A broker that cannot
 * answer (unreachable, or too old to offer DescribeLogDirs) leaves its partitions out: the
 * admin shows their size as unknown rather than failing the whole describe.
 *
 * @example
 * ```ts
 * const sizes = await leaderLogSizes(cluster, [{ topic: "orders", partition: 0, leader: 1 }]);
 * sizes.get(sizeKey("orders", 0)); // bytes, or undefined when unknown
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { readDescribeLogDirsResponse, writeDescribeLogDirsRequest } from "../kafka/apis/describe-log-dirs.ts";
import type { Cluster } from "./cluster.ts";

export interface LeaderPartition {
  topic: string;
  partition: number;
  leader: number;
}

/** Map key for a partition in leaderLogSizes' result. */
export const sizeKey = (topic: string, partition: number) => `${topic}\0${partition}`;

/** Size in bytes of each partition's log on its leader, keyed by sizeKey; never throws. */
export async function leaderLogSizes(
  cluster: Cluster,
  partitions: LeaderPartition[],
): Promise<Map<string, number>> {
  const byLeader = new Map<number, Map<string, number[]>>();
  for (const { topic, partition, leader } of partitions) {
    let topics = byLeader.get(leader);
    if (!topics) byLeader.set(leader, topics = new Map());
    let indexes = topics.get(topic);
    if (!indexes) topics.set(topic, indexes = []);
    indexes.push(partition);
  }
  const sizes = new Map<string, number>();
  await Promise.all([...byLeader].map(async ([leader, topics]) => {
    try {
      const connection = await cluster.connectionTo(leader);
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
          // Only the partitions this broker leads: a reply may also cover others it hosts.
          const led = topics.get(topic.name);
          for (const p of topic.partitions) {
            if (p.isFutureKey || !led?.includes(p.partitionIndex)) continue;
            const key = sizeKey(topic.name, p.partitionIndex);
            sizes.set(key, (sizes.get(key) ?? 0) + p.partitionSize);
          }
        }
      }
    } catch {
      // Unknown sizes for this leader's partitions; the rest of the describe still stands.
    }
  }));
  return sizes;
}
