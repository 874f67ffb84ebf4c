/**
 * Offset lookups with ListOffsets, shared by the consumer (start positions) and the admin
 * (log start and high watermark): "earliest" = log start offset, "latest" = high watermark,
 * `{ timestamp }` = first offset whose record timestamp is at or after it (-1 if none).
 * Requests go to each partition's leader, one request per leader.
 *
 * @example
 * ```ts
 * const [{ offset }] = await listOffsets(cluster, [{ topic: "orders", partition: 0, spec: "latest" }]);
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  readListOffsetsResponse,
  writeListOffsetsRequest,
} from "../kafka/apis/list-offsets.ts";
import type { Cluster } from "./cluster.ts";
import { partitionKey } from "./partition-key.ts";

export type OffsetSpec = "earliest" | "latest" | { timestamp: number };

export interface OffsetQuery {
  topic: string;
  partition: number;
  spec: OffsetSpec;
}

export interface OffsetResult {
  offset: number;
  timestamp: number;
  /** Set when this partition's lookup failed. */
  error?: KafkaError | Error;
}

function specTimestamp(spec: OffsetSpec): number {
  return spec === "latest" ? LATEST_TIMESTAMP : spec === "earliest" ? EARLIEST_TIMESTAMP : spec.timestamp;
}

/** Kafka's debugging replica id: "latest" then means the log end offset, not the high watermark. */
export const DEBUGGING_REPLICA_ID = -2;

/**
 * Look up offsets; the result array lines up with `queries`. Never throws per partition.
 * `replicaId` DEBUGGING_REPLICA_ID asks for log end offsets (for admin views) instead;
 * `isolationLevel` 1 (read_committed) makes "latest" the last stable offset.
 */
export async function listOffsets(
  cluster: Cluster,
  queries: OffsetQuery[],
  replicaId = -1,
  isolationLevel = 0,
): Promise<OffsetResult[]> {
  const results: OffsetResult[] = queries.map(() => ({ offset: -1, timestamp: -1 }));
  const byLeader = new Map<number, number[]>();
  queries.forEach((query, index) => {
    try {
      const leader = cluster.leaderFor(query.topic, query.partition);
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, list = []);
      list.push(index);
    } catch (error) {
      results[index].error = error as Error;
    }
  });
  await Promise.all([...byLeader].map(async ([leader, indexes]) => {
    try {
      const connection = await cluster.connectionTo(leader);
      const version = connection.versionFor(ApiKey.ListOffsets);
      const topics = new Map<string, number[]>();
      for (const index of indexes) {
        let list = topics.get(queries[index].topic);
        if (!list) topics.set(queries[index].topic, list = []);
        list.push(index);
      }
      const response = await connection.request(
        ApiKey.ListOffsets,
        version,
        (w) =>
          writeListOffsetsRequest(w, version, {
            replicaId,
            isolationLevel,
            topics: [...topics].map(([name, list]) => ({
              name,
              partitions: list.map((index) => ({
                partitionIndex: queries[index].partition,
                timestamp: specTimestamp(queries[index].spec),
                maxNumOffsets: 1,
              })),
            })),
          }),
        (r) => readListOffsetsResponse(r, version),
      );
      const answers = new Map<string, OffsetResult>();
      for (const topic of response.topics) {
        for (const p of topic.partitions) {
          const offset = p.offset ?? p.oldStyleOffsets?.[0] ?? -1;
          answers.set(partitionKey(topic.name, p.partitionIndex), {
            offset,
            timestamp: p.timestamp ?? -1,
            error: p.errorCode === ErrorCode.NONE
              ? undefined
              : new KafkaError(p.errorCode, `${topic.name}-${p.partitionIndex}`),
          });
        }
      }
      for (const index of indexes) {
        const answer = answers.get(partitionKey(queries[index].topic, queries[index].partition));
        results[index] = answer ??
          {
            offset: -1,
            timestamp: -1,
            error: new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "partition missing from response"),
          };
      }
    } catch (error) {
      for (const index of indexes) results[index].error = error as Error;
    }
  }));
  return results;
}
