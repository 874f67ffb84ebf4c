/**
 * The one map key the client uses for a partition (producer sequences and transaction partitions,
 * consumer assignments and offsets, admin describes, reassignment progress, log sizes): topic and
 * index joined by a NUL. Unambiguous for any topic name, since the index after the last NUL is
 * digits only; a NUL keeps keys readable apart from Kafka's own `topic-index` display form.
 *
 * @example
 * ```ts
 * const key = partitionKey("orders", 3); // "orders\u00003"
 * parsePartitionKey(key); // { topic: "orders", partition: 3 }
 * ```
 */

/** Map key of a partition: topic, NUL, index. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}

/** A key made by partitionKey back to its topic and index. */
export function parsePartitionKey(key: string): { topic: string; partition: number } {
  const at = key.lastIndexOf("\0");
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}
