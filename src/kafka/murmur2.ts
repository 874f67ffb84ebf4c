/**
 * murmur2 exactly as Kafka's Java client computes it (Utils.murmur2), and the default
 * partitioner built on it, so keyed records land in the same partitions as with the Java
 * client, kafkajs, or librdkafka's `murmur2_random`.
 *
 * seed 0x9747b28c, m 0x5bd1e995, r 24, h = seed ^ length; each little-endian 4-byte block k:
 * k *= m; k ^= k >>> 24; k *= m; h *= m; h ^= k. Tail (falls through): 3 bytes h ^= b2 << 16;
 * 2: h ^= b1 << 8; 1: h ^= b0; h *= m. Final: h ^= h >>> 13; h *= m; h ^= h >>> 15.
 *
 * @example
 * ```ts
 * partitionForKey(new TextEncoder().encode("foobar"), 4); // 2
 * ```
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Java-compatible murmur2 of `bytes` as a signed 32-bit integer. */
export function murmur2(bytes: Uint8Array): number {
  const length = bytes.length;
  let h = SEED ^ length;
  const blocksEnd = length & ~3;
  for (let i = 0; i < blocksEnd; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  switch (length & 3) {
    case 3:
      h ^= bytes[blocksEnd + 2] << 16;
    // falls through
    case 2:
      h ^= bytes[blocksEnd + 1] << 8;
    // falls through
    case 1:
      h ^= bytes[blocksEnd];
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Partition of a keyed record: (murmur2(key) & 0x7fffffff) % numPartitions, over all partitions. */
export function partitionForKey(keyBytes: Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions <= 0) {
    throw new RangeError(`Invalid partition count: ${numPartitions}`);
  }
  return (murmur2(keyBytes) & 0x7fffffff) % numPartitions;
}
