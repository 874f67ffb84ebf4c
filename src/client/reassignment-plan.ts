/**
 * Plans for moving replicas, computed from a topic description and the live brokers (pure; the
 * CLI shows the plan before anything moves). Draining a broker replaces it, in each partition it
 * holds, by the live broker holding the fewest replicas so far that the partition does not have
 * yet, in the same position (so a preferred leader is replaced by a preferred leader).
 *
 * Racks (broker id -> rack, from Metadata): when every broker planned over has one, no move lowers
 * the number of racks a partition spans, a replacement comes from a rack the partition lacks when
 * there is one, and a rebalance first spreads each partition over min(replicas, racks) racks.
 * When some broker has no rack, racks are ignored (as Kafka's placement does).
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
  racks: BrokerRacks = new Map(),
): PlannedMove[] {
  const others = liveBrokers.filter((id) => id !== brokerId);
  const rackOf = rackLookup(racks, others);
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
      const replacement = leastLoaded(spreading(p.replicas, at, candidates, rackOf), load);
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
 * holding the fewest replicas that it lacks, from racks it lacks when it can (after the current
 * ones, so preferred leaders stay);
 * a smaller one keeps each partition's first replicas. Throws RangeError when there are too few
 * live brokers.
 */
export function planReplicationFactor(
  topic: TopicDescription,
  factor: number,
  liveBrokers: number[],
  allTopics: TopicDescription[] = [topic],
  racks: BrokerRacks = new Map(),
): PlannedMove[] {
  const rackOf = rackLookup(racks, liveBrokers);
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
      const next = leastLoaded(spreading(replicas, replicas.length, candidates, rackOf), load);
      load.set(next, load.get(next)! + 1);
      replicas.push(next);
    }
    moves.push({ topic: topic.name, partition: p.partition, replicas, from: p.replicas });
  }
  return moves;
}

/** Broker id -> rack (null or absent: none), as Metadata gives it. */
export type BrokerRacks = ReadonlyMap<number, string | null>;

/** The rack of each of `brokers` when all have one; null (racks ignored) when any lacks one. */
function rackLookup(racks: BrokerRacks, brokers: number[]): ((id: number) => string) | null {
  if (brokers.length === 0 || brokers.some((id) => (racks.get(id) ?? null) === null)) return null;
  return (id) => racks.get(id)!;
}

/** How many racks `replicas` span (each broker its own rack when racks are ignored). */
function rackSpan(replicas: number[], rackOf: ((id: number) => string) | null): number {
  return rackOf === null ? new Set(replicas).size : new Set(replicas.map(rackOf)).size;
}

/** Whether putting `to` at `at` keeps the partition's rack span (always, racks ignored). */
function keepsSpan(
  replicas: number[],
  at: number,
  to: number,
  rackOf: ((id: number) => string) | null,
): boolean {
  if (rackOf === null) return true;
  const after = replicas.map((id, i) => i === at ? to : id);
  return rackSpan(after, rackOf) >= rackSpan(replicas, rackOf);
}

/**
 * Of `candidates` for position `at`, those that add the most rack spread: first the ones in a rack
 * the other replicas lack, else the ones keeping the span, else all (racks cannot help).
 */
function spreading(
  replicas: number[],
  at: number,
  candidates: number[],
  rackOf: ((id: number) => string) | null,
): number[] {
  if (rackOf === null) return candidates;
  const otherRacks = new Set(replicas.filter((_, i) => i !== at).map(rackOf));
  const newRack = candidates.filter((id) => !otherRacks.has(rackOf(id)));
  if (newRack.length > 0) return newRack;
  const keeping = candidates.filter((id) => keepsSpan(replicas, at, id, rackOf));
  return keeping.length > 0 ? keeping : candidates;
}

/** The candidate holding the fewest replicas (the first such in list order). */
function leastLoaded(candidates: number[], load: Map<number, number>): number {
  return candidates.reduce((best, id) => load.get(id)! < load.get(best)! ? id : best);
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
 * --generate, done minimally): replicas on brokers outside the set move into it; with racks, a
 * partition spanning fewer racks than it could moves a replica from a doubled rack to one it
 * lacks; then, while one broker holds two replicas more than another, a replica of a partition
 * the emptier one lacks moves there (same position, so a preferred leader stays one; never
 * narrowing the partition's racks); then, while one broker is the preferred leader of two
 * partitions more than another that is also a replica of one of them, the two swap places in that
 * partition's list (no data moves for that). Only partitions whose list changed are returned.
 * Throws RangeError when a partition has more replicas than there are brokers to hold them.
 */
export function planRebalance(
  topics: TopicDescription[],
  brokers: number[],
  racks: BrokerRacks = new Map(),
): PlannedMove[] {
  const set = [...new Set(brokers)].sort((a, b) => a - b);
  const rackOf = rackLookup(racks, set);
  const rackCount = rackOf === null ? set.length : new Set(set.map(rackOf)).size;
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
  // 1. Off brokers outside the set, to a rack the partition lacks when there is one.
  for (const p of partitions) {
    p.replicas.forEach((id, at) => {
      if (load.has(id)) return;
      const candidates = byLoad().filter((to) => !p.replicas.includes(to));
      move(p, at, spreading(p.replicas, at, candidates, rackOf)[0]);
    });
  }
  // 2. Racks: a replica in a rack the partition holds twice moves to the emptiest broker of a rack
  // it lacks. Each move widens the span by one, so this ends.
  if (rackOf !== null) {
    for (const p of partitions) {
      while (rackSpan(p.replicas, rackOf) < Math.min(p.replicas.length, rackCount)) {
        // The last replica of a doubled rack, so preferred leaders move only when nothing else can.
        const at = p.replicas.findLastIndex((id, i) =>
          p.replicas.some((other, j) => j !== i && rackOf(other) === rackOf(id))
        );
        const racksHeld = new Set(p.replicas.map(rackOf));
        const to = byLoad().find((id) => !racksHeld.has(rackOf(id)))!;
        move(p, at, to);
      }
    }
  }
  // 3. Even replica counts: each step lowers the spread between two brokers, so this ends.
  for (let moved = true; moved;) {
    moved = false;
    const order = byLoad();
    search: for (const most of [...order].reverse()) {
      for (const least of order) {
        if (load.get(most)! - load.get(least)! <= 1) break;
        const p = partitions.find((p) =>
          p.replicas.includes(most) && !p.replicas.includes(least) &&
          keepsSpan(p.replicas, p.replicas.indexOf(most), least, rackOf)
        );
        if (!p) continue;
        move(p, p.replicas.indexOf(most), least);
        moved = true;
        break search;
      }
    }
  }
  // 4. Even preferred leaders by swapping a partition's first replica with another of its replicas.
  const leads = new Map<number, number>(set.map((id) => [id, 0]));
  for (const p of partitions) leads.set(p.replicas[0], leads.get(p.replicas[0])! + 1);
  for (let swapped = true; swapped;) {
    swapped = false;
    const order = [...set].sort((a, b) => leads.get(a)! - leads.get(b)! || a - b);
    search: for (const most of [...order].reverse()) {
      for (const least of order) {
        if (leads.get(most)! - leads.get(least)! <= 1) break;
        const p = partitions.find((p) => p.replicas[0] === most && p.replicas.includes(least));
        if (!p) continue;
        const at = p.replicas.indexOf(least);
        [p.replicas[0], p.replicas[at]] = [least, most];
        leads.set(most, leads.get(most)! - 1);
        leads.set(least, leads.get(least)! + 1);
        swapped = true;
        break search;
      }
    }
  }
  return partitions.filter((p) => p.replicas.some((id, i) => id !== p.from[i]));
}
