/**
 * Partitioners: where a record goes when the caller does not name a partition.
 * - Keyed records: Java-compatible `(murmur2(key) & 0x7fffffff) % partitionCount` over all
 *   partitions, so the same key lands in the same partition as with Kafka's Java client,
 *   kafkajs and kcat (`murmur2_random`).
 * - Keyless records: sticky. Stay on one partition until its batch is sent, then move to
 *   another at random; batches fill up instead of spreading a few records over every partition.
 *
 * @example
 * ```ts
 * keyedPartition(new TextEncoder().encode("foobar"), 4); // 2
 * const sticky = new StickyPartitioner();
 * sticky.partition("orders", 6); // same answer until sticky.batchSent("orders", p)
 * ```
 */
import { partitionForKey } from "../kafka/murmur2.ts";

/** The Java client's partition for a keyed record. */
export function keyedPartition(key: Uint8Array, partitionCount: number): number {
  return partitionForKey(key, partitionCount);
}

/** Sticky partition choice for keyless records, per topic. */
export class StickyPartitioner {
  #current = new Map<string, number>();
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** The partition for the next keyless record of `topic`. */
  partition(topic: string, partitionCount: number): number {
    const current = this.#current.get(topic);
    if (current !== undefined && current < partitionCount) return current;
    return this.#choose(topic, partitionCount, current);
  }

  /**
   * A batch of `topic` on `partition` was closed: move on, so the next batch goes elsewhere.
   * Only the current sticky partition triggers a switch (keyed batches do not).
   */
  batchClosed(topic: string, partition: number, partitionCount: number): void {
    if (this.#current.get(topic) === partition) this.#choose(topic, partitionCount, partition);
  }

  #choose(topic: string, partitionCount: number, previous: number | undefined): number {
    let next = Math.floor(this.#random() * partitionCount);
    if (partitionCount > 1 && next === previous) next = (next + 1) % partitionCount;
    this.#current.set(topic, next);
    return next;
  }
}
