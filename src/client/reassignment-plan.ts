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
