/**
 * The rebalance plan (pure): replicas and preferred leaders end evenly spread over the brokers
 * given (within one of each other), replicas leave brokers outside the set, a balanced cluster
 * needs no move, and only partitions whose replica list changed are moved.
 */
import assert from "node:assert/strict";
import type { PartitionDescription, TopicDescription } from "../../src/client/admin.ts";
import { planRebalance } from "../../src/client/reassignment-plan.ts";

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
