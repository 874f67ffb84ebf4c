/**
 * The rebalance plan (pure): replicas and preferred leaders end evenly spread over the brokers
 * given (within one of each other), replicas leave brokers outside the set, a balanced cluster
 * needs no move, and only partitions whose replica list changed are moved.
 */
import assert from "node:assert/strict";
import type { PartitionDescription, TopicDescription } from "../../src/client/admin.ts";
import { planDrain, planRebalance, planReplicationFactor } from "../../src/client/reassignment-plan.ts";

function topic(name: string, assignment: number[][]): TopicDescription {
  return {
    name,
    isInternal: false,
    partitions: assignment.map((replicas, partition) => ({ partition, replicas } as PartitionDescription)),
  };
}

/** Replicas and preferred leaderships per broker after the plan. */
function spread(topics: TopicDescription[], brokers: number[]) {
  const moves = planRebalance(topics, brokers);
  const after = topics.flatMap((t) =>
    t.partitions.map((p) =>
      moves.find((m) => m.topic === t.name && m.partition === p.partition)?.replicas ?? p.replicas
    )
  );
  const count = (pick: (replicas: number[]) => number[]) =>
    brokers.map((id) => after.filter((replicas) => pick(replicas).includes(id)).length);
  return { moves, replicas: count((r) => r), leaders: count((r) => [r[0]]), after };
}

const within1 = (counts: number[]) => Math.max(...counts) - Math.min(...counts) <= 1;

Deno.test("a new broker gets a fair share of replicas and preferred leaders", () => {
  // 12 partitions of RF 2 on brokers 1-3; broker 4 just joined.
  const topics = [
    topic("a", Array.from({ length: 6 }, (_, p) => [1 + p % 3, 1 + (p + 1) % 3])),
    topic("b", Array.from({ length: 6 }, (_, p) => [1 + (p + 2) % 3, 1 + p % 3])),
  ];
  const { moves, replicas, leaders, after } = spread(topics, [1, 2, 3, 4]);
  assert.deepEqual(replicas, [6, 6, 6, 6]);
  assert.ok(within1(leaders), `leaders ${leaders}`);
  assert.ok(after.every((r) => new Set(r).size === r.length), "no broker twice in a partition");
  for (const move of moves) assert.notDeepEqual(move.replicas, move.from);
});

Deno.test("replicas leave brokers outside the set; a balanced cluster needs no move", () => {
  const topics = [topic("a", [[1, 2], [2, 3], [3, 1], [1, 3]])];
  const { replicas, after } = spread(topics, [1, 2]);
  assert.deepEqual(replicas, [4, 4]);
  assert.ok(after.every((r) => !r.includes(3)));
  assert.deepEqual(planRebalance([topic("b", [[1, 2], [2, 3], [3, 1]])], [1, 2, 3]), []);
  assert.throws(() => planRebalance([topic("c", [[1, 2, 3]])], [1, 2]), /more than the 2 broker\(s\)/);
});

/** Racks spanned by each partition after `moves`. */
function spans(
  topics: TopicDescription[],
  moves: { topic: string; partition: number; replicas: number[] | null }[],
  racks: Map<number, string>,
) {
  return topics.flatMap((t) =>
    t.partitions.map((p) => {
      const replicas = moves.find((m) => m.topic === t.name && m.partition === p.partition)?.replicas ??
        p.replicas;
      return { replicas, racks: new Set(replicas.map((id) => racks.get(id))).size };
    })
  );
}

Deno.test("rack-aware rebalance: partitions end on distinct racks, replicas and leaders still even", () => {
  // Placed without racks on brokers 1-4; brokers 5 and 6 join. Racks: a = 1,2; b = 3,4; c = 5,6.
  const racks = new Map([[1, "a"], [2, "a"], [3, "b"], [4, "b"], [5, "c"], [6, "c"]]);
  const topics = [
    topic("a", Array.from({ length: 12 }, (_, p) => [1 + p % 4, 1 + (p + 1) % 4])),
    topic("b", Array.from({ length: 6 }, (_, p) => [1 + p % 4, 1 + (p + 1) % 4, 1 + (p + 2) % 4])),
  ];
  const brokers = [1, 2, 3, 4, 5, 6];
  const moves = planRebalance(topics, brokers, racks);
  for (const { replicas, racks: spanned } of spans(topics, moves, racks)) {
    assert.equal(new Set(replicas).size, replicas.length);
    assert.equal(spanned, replicas.length, `${replicas} spans ${spanned} racks`);
  }
  const after = spans(topics, moves, racks).map((s) => s.replicas);
  const count = (pick: (r: number[]) => number[]) =>
    brokers.map((id) => after.filter((r) => pick(r).includes(id)).length);
  assert.ok(within1(count((r) => r)), `replicas ${count((r) => r)}`);
  assert.ok(within1(count((r) => [r[0]])), `leaders ${count((r) => [r[0]])}`);
  // Without racks the same cluster is only evened out: some partition keeps both replicas in rack a.
  const blind = planRebalance(topics, brokers);
  assert.ok(spans(topics, blind, racks).some((s) => s.racks < s.replicas.length));
});

Deno.test("rack-aware moves never narrow a partition's racks; a drain replaces from a missing rack", () => {
  // Two racks of unequal size: evening out must not put both replicas of a partition in rack a.
  const racks = new Map([[1, "a"], [2, "a"], [3, "a"], [4, "b"]]);
  const topics = [
    topic("t", Array.from({ length: 8 }, (_, p) => [p % 2 === 0 ? 1 : 4, p % 2 === 0 ? 4 : 1])),
  ];
  const moves = planRebalance(topics, [1, 2, 3, 4], racks);
  for (const { replicas, racks: spanned } of spans(topics, moves, racks)) {
    assert.equal(spanned, 2, `${replicas} in one rack`);
  }
  assert.ok(moves.length > 0, "brokers 2 and 3 get replicas from broker 1");
  assert.ok(spans(topics, planRebalance(topics, [1, 2, 3, 4]), racks).some((s) => s.racks === 1));
  // Draining broker 1 (rack a) with brokers 3 (rack b) and 4 (rack a) free: always 4, so every
  // partition keeps a replica in each rack (a blind choice alternates between 3 and 4).
  const pairs = [topic("p", [[1, 2], [1, 2], [2, 1], [1, 2]])];
  const sides = new Map([[1, "a"], [2, "b"], [3, "b"], [4, "a"]]);
  const drained = planDrain(1, pairs, [1, 2, 3, 4], sides);
  assert.deepEqual(drained.map((m) => m.replicas), [[4, 2], [4, 2], [2, 4], [4, 2]]);
  assert.ok(planDrain(1, pairs, [1, 2, 3, 4]).some((m) => m.replicas!.includes(3)));
  // A broker without a rack: racks are ignored, the plan still evens replicas.
  const partial = new Map<number, string | null>([[1, "a"], [2, "a"], [3, null], [4, "b"]]);
  assert.deepEqual(planRebalance(topics, [1, 2, 3, 4], partial), planRebalance(topics, [1, 2, 3, 4]));
});

Deno.test("a larger replication factor adds replicas from racks the partition lacks", () => {
  const racks = new Map([[1, "a"], [2, "a"], [3, "b"], [4, "b"], [5, "c"]]);
  const moves = planReplicationFactor(topic("t", [[1], [2], [3], [4]]), 3, [1, 2, 3, 4, 5], undefined, racks);
  for (const move of moves) {
    assert.equal(new Set(move.replicas!.map((id) => racks.get(id))).size, 3, `${move.replicas}`);
  }
});
