/**
 * Which partition of `__consumer_offsets` holds a group: Java's String.hashCode of the group id,
 * absolute value, modulo the partition count, as Kafka computes it. The broker leading that
 * partition is the group's coordinator (FindCoordinator answers with it).
 */

/** Default `offsets.topic.num.partitions`. */
export const DEFAULT_OFFSETS_TOPIC_PARTITIONS = 10;

/** The internal topic holding committed offsets and group metadata. */
export const OFFSETS_TOPIC = "__consumer_offsets";

/**
 * Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in 32-bit
 * signed arithmetic.
 */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * The `__consumer_offsets` partition of a group.
 *
 * @example
 * ```ts
 * groupPartition("my-group", 10); // the coordinator leads this partition
 * ```
 */
export function groupPartition(groupId: string, numPartitions = DEFAULT_OFFSETS_TOPIC_PARTITIONS): number {
  if (!Number.isInteger(numPartitions) || numPartitions <= 0) {
    throw new RangeError(`Partition count must be a positive integer: ${numPartitions}`);
  }
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0 (hash & 0x7fffffff would differ from abs).
  const hash = javaStringHashCode(groupId);
  const abs = hash === -2147483648 ? 0 : Math.abs(hash);
  return abs % numPartitions;
}
