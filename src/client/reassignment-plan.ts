/**
 * Plans for moving replicas, computed from a topic description and the live brokers (pure; the
 * CLI shows the plan before anything moves). Draining a broker replaces it, in each partition it
 * holds, by the live broker holding the fewest replicas so far that the partition does not have
 * yet, in the same position (so a preferred leader is replaced by a preferred leader).
 *
 * @example
 * ```ts
 * const moves = planDrain(3, topics, [1, 2, 3, 4]);
 * ```
 */
import type { PartitionMove, TopicDescription } from "./admin.ts";

/** A planned move with the replicas before it, for display. */
export interface PlannedMove extends PartitionMove {
  replicas: number[];
  from: number[];
}

/** Move every replica off `brokerId`; throws RangeError when a partition has nowhere to go. */
export function planDrain(
  brokerId: number,
  topics: TopicDescription[],
  liveBrokers: number[],
): PlannedMove[] {
  const others = liveBrokers.filter((id) => id !== brokerId);
  const load = new Map<number, number>(others.map((id) => [id, 0]));
  for (const topic of topics) {
    for (const p of topic.partitions) {
      for (const id of p.replicas) if (load.has(id)) load.set(id, load.get(id)! + 1);
    }
  }
  const moves: PlannedMove[] = [];
  for (const topic of topics) {
    for (const p of topic.partitions) {
      const at = p.replicas.indexOf(brokerId);
      if (at < 0) continue;
      const candidates = others.filter((id) => !p.replicas.includes(id));
      if (candidates.length === 0) {
        throw new RangeError(
          `${topic.name}-${p.partition} has ${p.replicas.length} replicas and no live broker to take broker ${brokerId}'s: add a broker first`,
        );
      }
      const replacement = candidates.reduce((best, id) => load.get(id)! < load.get(best)! ? id : best);
      load.set(replacement, load.get(replacement)! + 1);
      const replicas = [...p.replicas];
      replicas[at] = replacement;
      moves.push({ topic: topic.name, partition: p.partition, replicas, from: p.replicas });
    }
  }
  return moves;
}

/**
 * Change a topic's replication factor: a larger one adds, to each partition, the live brokers
 * holding the fewest replicas that it lacks (after the current ones, so preferred leaders stay);
 * a smaller one keeps each partition's first replicas. Throws RangeError when there are too few
 * live brokers.
 */
export function planReplicationFactor(
  topic: TopicDescription,
  factor: number,
  liveBrokers: number[],
  allTopics: TopicDescription[] = [topic],
): PlannedMove[] {
  if (factor < 1 || factor > liveBrokers.length) {
    throw new RangeError(
      `replication factor ${factor} needs that many live brokers: ${liveBrokers.length} live`,
    );
  }
  const load = new Map<number, number>(liveBrokers.map((id) => [id, 0]));
  for (const t of allTopics) {
    for (const p of t.partitions) {
      for (const id of p.replicas) if (load.has(id)) load.set(id, load.get(id)! + 1);
    }
  }
  const moves: PlannedMove[] = [];
  for (const p of topic.partitions) {
    if (p.replicas.length === factor) continue;
    const replicas = p.replicas.slice(0, factor);
    while (replicas.length < factor) {
      const candidates = liveBrokers.filter((id) => !replicas.includes(id));
      const next = candidates.reduce((best, id) => load.get(id)! < load.get(best)! ? id : best);
      load.set(next, load.get(next)! + 1);
      replicas.push(next);
    }
    moves.push({ topic: topic.name, partition: p.partition, replicas, from: p.replicas });
  }
  return moves;
}
