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
  const load = replicaLoad(topics.flatMap((topic) => topic.partitions), others);
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
  const load = replicaLoad(allTopics.flatMap((topic) => topic.partitions), liveBrokers);
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

/** How many replicas each of `brokers` holds. */
function replicaLoad(partitions: Iterable<{ replicas: number[] }>, brokers: number[]): Map<number, number> {
  const load = new Map<number, number>(brokers.map((id) => [id, 0]));
  for (const p of partitions) {
    for (const id of p.replicas) if (load.has(id)) load.set(id, load.get(id)! + 1);
  }
  return load;
}

/**
 * Spread replicas and preferred leaders evenly over `brokers` (Kafka's kafka-reassign-partitions
 * --generate, done minimally): replicas on brokers outside the set move into it; then, while
 * one broker holds two replicas more than another, a replica of a partition the emptier one
 * lacks moves there (same position, so a preferred leader stays one); then, while one broker is
 * the preferred leader of two partitions more than another that is also a replica of one of
 * them, the two swap places in that partition's list (no data moves for that). Only partitions
 * whose list changed are returned. Throws RangeError when a partition has more replicas than
 * there are brokers to hold them.
 */
export function planRebalance(topics: TopicDescription[], brokers: number[]): PlannedMove[] {
  const set = [...new Set(brokers)].sort((a, b) => a - b);
  const partitions = topics.flatMap((topic) =>
    topic.partitions.map((p) => ({
      topic: topic.name,
      partition: p.partition,
      from: p.replicas,
      replicas: [...p.replicas],
    }))
  );
  for (const p of partitions) {
    if (p.replicas.length > set.length) {
      throw new RangeError(
        `${p.topic}-${p.partition} has ${p.replicas.length} replicas, more than the ${set.length} broker(s) to spread over`,
      );
    }
  }
  const load = replicaLoad(partitions, set);
  const byLoad = () => [...set].sort((a, b) => load.get(a)! - load.get(b)! || a - b);
  const move = (p: (typeof partitions)[number], at: number, to: number) => {
    const from = p.replicas[at];
    if (load.has(from)) load.set(from, load.get(from)! - 1);
    load.set(to, load.get(to)! + 1);
    p.replicas[at] = to;
  };
  // 1. Off brokers outside the set.
  for (const p of partitions) {
    p.replicas.forEach((id, at) => {
      if (load.has(id)) return;
      move(p, at, byLoad().find((to) => !p.replicas.includes(to))!);
    });
  }
  // 2. Even replica counts: each step lowers the spread, so this ends.
  for (let moved = true; moved;) {
    moved = false;
    const order = byLoad();
    const most = order[order.length - 1];
    for (const least of order) {
      if (load.get(most)! - load.get(least)! <= 1) break;
      const p = partitions.find((p) => p.replicas.includes(most) && !p.replicas.includes(least));
      if (!p) continue;
      move(p, p.replicas.indexOf(most), least);
      moved = true;
      break;
    }
  }
  // 3. Even preferred leaders by swapping a partition's first replica with another of its replicas.
  const leads = new Map<number, number>(set.map((id) => [id, 0]));
  for (const p of partitions) leads.set(p.replicas[0], leads.get(p.replicas[0])! + 1);
  for (let swapped = true; swapped;) {
    swapped = false;
    const order = [...set].sort((a, b) => leads.get(a)! - leads.get(b)! || a - b);
    const most = order[order.length - 1];
    for (const least of order) {
      if (leads.get(most)! - leads.get(least)! <= 1) break;
      const p = partitions.find((p) => p.replicas[0] === most && p.replicas.includes(least));
      if (!p) continue;
      const at = p.replicas.indexOf(least);
      [p.replicas[0], p.replicas[at]] = [least, most];
      leads.set(most, leads.get(most)! - 1);
      leads.set(least, leads.get(least)! + 1);
      swapped = true;
      break;
    }
  }
  return partitions.filter((p) => p.replicas.some((id, i) => id !== p.from[i]));
}
