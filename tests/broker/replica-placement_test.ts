import assert from "node:assert/strict";
import {
  assignReplicas,
  interleaveRacks,
  MissingRackError,
  placeReplicas,
  type RackAwareMode,
} from "../../src/broker/replica-placement.ts";
import type { ReplicaAssignment } from "../../src/broker/zk-layout.ts";

/** A deterministic "random" so a test can pin the start index and shift. */
const fixed = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length];
};

function counts(assignment: ReplicaAssignment, pick: (replicas: number[]) => number[]): Map<number, number> {
  const count = new Map<number, number>();
  for (const replicas of assignment) {
    for (const id of pick(replicas)) count.set(id, (count.get(id) ?? 0) + 1);
  }
  return count;
}

const spread = (values: Iterable<number>) => Math.max(...values) - Math.min(...values);

function checkRackSpread(racks: Map<number, string>, assignment: ReplicaAssignment, factor: number) {
  const rackCount = new Set(racks.values()).size;
  for (const replicas of assignment) {
    assert.equal(replicas.length, factor);
    assert.equal(new Set(replicas).size, factor, `repeated replica in ${replicas}`);
    const spanned = new Set(replicas.map((id) => racks.get(id)));
    assert.equal(spanned.size, Math.min(factor, rackCount), `${replicas} spans racks ${[...spanned]}`);
  }
}

Deno.test("the broker list interleaves racks: first of each rack, then second of each", () => {
  const racks = new Map([[1, "b"], [2, "a"], [3, "b"], [4, "a"], [5, "c"], [6, "a"]]);
  assert.deepEqual(interleaveRacks(racks), [2, 1, 5, 4, 3, 6]);
});

Deno.test("rack-aware placement: every partition spans min(RF, racks) racks, counts balanced", () => {
  const racks = new Map([[1, "a"], [2, "a"], [3, "b"], [4, "b"], [5, "c"], [6, "c"]]);
  for (const factor of [1, 2, 3, 4]) {
    for (let seed = 0; seed < 6; seed++) {
      const assignment = placeReplicas(
        racks,
        24,
        factor,
        0,
        "enforced",
        fixed(seed / 6, ((seed * 5) % 6) / 6),
      );
      checkRackSpread(racks, assignment, factor);
      const leaders = counts(assignment, (replicas) => [replicas[0]]);
      assert.deepEqual([...leaders.values()], [4, 4, 4, 4, 4, 4], `leaders with RF ${factor}, seed ${seed}`);
      const replicas = counts(assignment, (replicas) => replicas);
      assert.equal(replicas.size, 6);
      assert.ok(
        spread(replicas.values()) <= 1,
        `replica counts ${[...replicas]} with RF ${factor}, seed ${seed}`,
      );
    }
  }
});

Deno.test("rack-aware placement spans racks when racks are uneven, and more brokers than racks", () => {
  const racks = new Map([[1, "a"], [2, "a"], [3, "a"], [4, "b"], [5, "c"]]);
  for (const factor of [2, 3]) {
    const assignment = placeReplicas(racks, 30, factor);
    checkRackSpread(racks, assignment, factor);
    const leaders = counts(assignment, (replicas) => [replicas[0]]);
    assert.deepEqual([...leaders.values()], [6, 6, 6, 6, 6]);
  }
  // Two racks, RF 3: two racks spanned, never three replicas in one.
  const two = new Map([[1, "a"], [2, "b"], [3, "a"], [4, "b"]]);
  checkRackSpread(two, placeReplicas(two, 16, 3), 3);
});

Deno.test("partitions added later continue the walk and still span racks", () => {
  const racks = new Map([[10, "x"], [11, "y"], [12, "z"], [13, "x"], [14, "y"], [15, "z"]]);
  const first = placeReplicas(racks, 5, 3, 0, "enforced", fixed(0.5, 0.2));
  const more = placeReplicas(racks, 7, 3, 5, "enforced", fixed(0.5, 0.2));
  checkRackSpread(racks, [...first, ...more], 3);
  const leaders = counts([...first, ...more], (replicas) => [replicas[0]]);
  assert.deepEqual([...leaders.values()], [2, 2, 2, 2, 2, 2]);
});

Deno.test("without racks placement is the staggered one; mixed racks are refused or ignored by mode", () => {
  const none = new Map<number, string | null>([[1, null], [2, null], [3, null]]);
  assert.deepEqual(
    placeReplicas(none, 6, 2, 0, "enforced", fixed(0, 0)),
    [[1, 2], [2, 3], [3, 1], [1, 3], [2, 1], [3, 2]],
  );
  const mixed = new Map<number, string | null>([[1, "a"], [2, null], [3, "b"], [4, null]]);
  assert.throws(
    () => placeReplicas(mixed, 4, 2),
    (error: unknown) =>
      error instanceof MissingRackError &&
      error.message.startsWith("Brokers 2, 4 have no rack while others do"),
  );
  const safe: RackAwareMode = "safe";
  const assignment = placeReplicas(mixed, 4, 2, 0, safe, fixed(0, 0));
  assert.deepEqual(assignment, [[1, 2], [2, 3], [3, 4], [4, 1]]);
  assert.throws(() => placeReplicas(none, 1, 4), RangeError);
});

Deno.test("without racks every partition gets distinct replicas and leaders spread evenly", () => {
  const brokers = [1, 2, 3, 4, 5];
  const assignment = assignReplicas(brokers, 20, 3);
  const leaders = new Map<number, number>();
  for (const replicas of assignment) {
    assert.equal(new Set(replicas).size, 3);
    leaders.set(replicas[0], (leaders.get(replicas[0]) ?? 0) + 1);
  }
  assert.deepEqual([...leaders.values()], [4, 4, 4, 4, 4]);
  // The walk runs over the brokers sorted by id, whatever order they are given in.
  assert.deepEqual(assignReplicas([3, 1, 2], 6, 2, 0, fixed(0, 0)), [[1, 2], [2, 3], [3, 1], [1, 3], [2, 1], [
    3,
    2,
  ]]);
});

Deno.test("added partitions continue from partition 0's leader, whatever the random start would be", () => {
  const brokers = [1, 2, 3, 4];
  for (let seed = 0; seed < 4; seed++) {
    // A topic created with 3 partitions from a random start (seed), then grown to 8.
    const created = assignReplicas(brokers, 3, 2, 0, fixed(seed / 4, 0));
    const p0 = created[0][0];
    for (const random of [fixed(0, 0), fixed(0.5, 0.3), fixed(0.99, 0.99)]) {
      const added = assignReplicas(brokers, 5, 2, 3, random, p0);
      const leaders = [...created, ...added].map((replicas) => replicas[0]);
      // Partition p is led by the p-th broker after partition 0's leader: a round-robin with no gap.
      assert.deepEqual(leaders, [0, 1, 2, 3, 4, 5, 6, 7].map((p) => brokers[(brokers.indexOf(p0) + p) % 4]));
      for (const replicas of added) assert.equal(new Set(replicas).size, 2, `${replicas}`);
    }
  }
  // Kafka's followers for a fixed start: the shift is the start index too. Partition 0 on broker 2
  // (index 1) of [1, 2, 3]: partition 3 wraps the list, so its shift is 2 and its follower index
  // 1 + 1 + (2 % 2) = 2.
  assert.deepEqual(assignReplicas([1, 2, 3], 3, 2, 3, fixed(0), 2), [[2, 3], [3, 1], [1, 2]]);
});

Deno.test("added partitions: a partition 0 leader no longer a broker gives way to the next higher id", () => {
  // Broker 2 is gone: start at 3; broker 9 is gone and none is higher: start at the first.
  assert.deepEqual(assignReplicas([1, 3, 4], 3, 1, 3, fixed(0.99), 2), [[3], [4], [1]]);
  assert.deepEqual(assignReplicas([1, 3, 4], 3, 1, 3, fixed(0.99), 9), [[1], [3], [4]]);
});

Deno.test("added partitions on racks continue the rack-interleaved walk from partition 0's leader", () => {
  const racks = new Map([[1, "a"], [2, "a"], [3, "b"], [4, "b"]]); // walk: 1, 3, 2, 4
  const created = placeReplicas(racks, 2, 2, 0, "enforced", fixed(0.5, 0)); // starts at index 2: broker 2
  assert.equal(created[0][0], 2);
  const added = placeReplicas(racks, 4, 2, 2, "enforced", fixed(0, 0), created[0][0]);
  assert.deepEqual([...created, ...added].map((replicas) => replicas[0]), [2, 4, 1, 3, 2, 4]);
  checkRackSpread(racks, [...created, ...added], 2);
});
