/**
 * The preferred / unclean election decisions and the auto rebalance's choice of partitions,
 * as pure functions: who leads, and when nothing is done and why.
 */
import assert from "node:assert/strict";
import {
  electPreferred,
  electUnclean,
  imbalancedPartitions,
  type PartitionLeadership,
} from "../../../src/broker/controller/leader-balance.ts";

const none = new Set<number>();
const base = { replicas: [1, 2, 3], live: new Set([1, 2, 3]), shuttingDown: none, controllerEpoch: 7 };

Deno.test("preferred election moves leadership to a live in-sync preferred replica, epoch bumped", () => {
  const state = { leader: 2, leaderEpoch: 4, isr: [2, 3, 1], controllerEpoch: 5 };
  assert.deepEqual(electPreferred({ ...base, state }), {
    leader: 1,
    leaderEpoch: 5,
    isr: [2, 3, 1],
    controllerEpoch: 7,
  });
  assert.equal(electPreferred({ ...base, state: { ...state, leader: 1 } }), "not needed");
  assert.equal(electPreferred({ ...base, state: { ...state, isr: [2, 3] } }), "preferred not available");
  assert.equal(electPreferred({ ...base, state, live: new Set([2, 3]) }), "preferred not available");
  assert.equal(electPreferred({ ...base, state, shuttingDown: new Set([1]) }), "preferred not available");
});

Deno.test("unclean election gives a leaderless partition any live replica, and nothing else", () => {
  const offline = { leader: -1, leaderEpoch: 4, isr: [3], controllerEpoch: 5 };
  const live = new Set([1, 2]);
  assert.deepEqual(electUnclean({ ...base, live, state: offline }), {
    leader: 1,
    leaderEpoch: 5,
    isr: [1],
    controllerEpoch: 7,
  });
  assert.equal(electUnclean({ ...base, state: { ...offline, leader: 2, isr: [2] } }), "not needed");
  assert.equal(electUnclean({ ...base, live: new Set(), state: offline }), "no eligible leader");
});

Deno.test("the auto rebalance picks the partitions of brokers above the imbalance percentage", () => {
  const partition = (p: number, replicas: number[], leader: number, isr = replicas): PartitionLeadership => ({
    topic: "t",
    partition: p,
    replicas,
    state: { leader, leaderEpoch: 1, isr, controllerEpoch: 1 },
  });
  const partitions = [
    // broker 1 prefers 4 partitions and leads 2: 50 % imbalance
    partition(0, [1, 2], 1),
    partition(1, [1, 2], 1),
    partition(2, [1, 2], 2),
    partition(3, [1, 3], 3, [3]), // out of sync: cannot be moved back yet
    // broker 2 prefers 10 and leads 9: exactly 10 %, not above it
    ...Array.from({ length: 9 }, (_, i) => partition(10 + i, [2, 1], 2)),
    partition(19, [2, 1], 1),
  ];
  const chosen = imbalancedPartitions(partitions, new Set([1, 2, 3]), none, 10);
  assert.deepEqual(chosen.map((p) => p.partition), [2]);
  assert.deepEqual(imbalancedPartitions(partitions, new Set([1, 2, 3]), none, 60), []);
  assert.deepEqual(imbalancedPartitions(partitions, new Set([2, 3]), none, 10), [], "broker 1 is not live");
  assert.deepEqual(
    imbalancedPartitions(partitions, new Set([1, 2, 3]), new Set([1]), 10),
    [],
    "1 is shutting down",
  );
  assert.deepEqual(
    imbalancedPartitions(partitions, new Set([1, 2, 3]), none, 0).map((p) => p.partition).sort((a, b) =>
      a - b
    ),
    [2, 19],
  );
});
