/**
 * A partition's name (topic + index) and the few operations on replica sets that several broker
 * modules share, in one place: the map key every partition map uses, and set equality of
 * replica lists (an ISR read back in another order is the same ISR).
 */

/** A topic and a partition index. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * The key of a partition in the broker's maps: "topic:index". Unambiguous because a topic name
 * never contains ':' (zk-layout's validTopicName allows [a-zA-Z0-9._-] only).
 */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/**
 * The purgatory keys of a partition (by its partitionKey): followers' long polls wait on "log:"
 * (its log grew), consumers' and acks=all produces on "hwm:" (its high watermark moved).
 */
export function logWaitKey(key: string): string {
  return `log:${key}`;
}

/** See logWaitKey. */
export function hwmWaitKey(key: string): string {
  return `hwm:${key}`;
}

/** A key made by partitionKey back to its topic and index. */
export function parsePartitionKey(key: string): TopicPartition {
  const colon = key.lastIndexOf(":");
  return { topic: key.slice(0, colon), partition: Number(key.slice(colon + 1)) };
}

/** Same broker ids, in any order (replica lists never repeat an id). */
export function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/** Sorted, without repeats: the canonical form of an ISR. */
export function canonicalIsr(ids: Iterable<number>): number[] {
  return [...new Set(ids)].sort((x, y) => x - y);
}
