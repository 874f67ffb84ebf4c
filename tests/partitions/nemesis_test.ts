/**
 * The nemesis's plans (pure): which links each fault kind cuts, whom it pauses, and what it then
 * expects of the cluster, against a fixed view of a 3-broker cluster.
 */
import assert from "node:assert/strict";
import { type ClusterView, FAULT_KINDS, planFault } from "./nemesis.ts";
import { seededRandom } from "../helpers/random.ts";

// Broker 2 is the controller and leads partition 1; broker 1 leads 0 and 2.
const view: ClusterView = {
  brokers: [1, 2, 3],
  controller: 2,
  partitions: [
    { partition: 0, replicas: [1, 2, 3], leader: 1, leaderEpoch: 0, isr: [1, 2, 3] },
    { partition: 1, replicas: [2, 3, 1], leader: 2, leaderEpoch: 0, isr: [2, 3, 1] },
    { partition: 2, replicas: [1, 3, 2], leader: 1, leaderEpoch: 0, isr: [1, 3] },
  ],
};

const links = (blocks: { from: string; to: string }[]) => blocks.map((b) => `${b.from}>${b.to}`).sort();

Deno.test("leader-isolated cuts a leader that is not the controller from the coordinator and the brokers, not the clients", () => {
  const plan = planFault("leader-isolated", view, seededRandom(1));
  assert.deepEqual(links(plan.blocks), [
    "broker-1>broker-2",
    "broker-1>broker-3",
    "broker-1>coordinator",
    "broker-2>broker-1",
    "broker-3>broker-1",
    "coordinator>broker-1",
  ]);
  assert.deepEqual(plan.mustFailOver, [0, 2]);
  assert.equal(plan.pause, null);
});

Deno.test("controller-leader-isolated isolates the controller; controller-cut-from-coordinator cuts only that link", () => {
  const isolated = planFault("controller-leader-isolated", view, seededRandom(1));
  assert.ok(links(isolated.blocks).includes("broker-2>coordinator"));
  assert.ok(links(isolated.blocks).includes("broker-1>broker-2"));
  assert.ok(!links(isolated.blocks).some((link) => link.includes("client")));
  assert.deepEqual(isolated.mustFailOver, [1]);
  const cut = planFault("controller-cut-from-coordinator", view, seededRandom(1));
  assert.deepEqual(links(cut.blocks), ["broker-2>coordinator", "coordinator>broker-2"]);
  assert.deepEqual(cut.mustMove, [1], "its session expires, so its partitions move");
  assert.deepEqual(cut.mustFailOver, [], "its followers still reach it, so it may acknowledge until then");
  assert.equal(cut.mustStayWritable, true);
});

Deno.test("follower-cut-from-leader cuts an in-sync follower from its leader and expects it out of the ISR", () => {
  for (let seed = 0; seed < 20; seed++) {
    const plan = planFault("follower-cut-from-leader", view, seededRandom(seed));
    const [{ partition, broker }] = plan.mustShrink;
    const state = view.partitions[partition];
    assert.notEqual(broker, state.leader);
    assert.ok(state.isr.includes(broker));
    assert.deepEqual(
      links(plan.blocks),
      [`broker-${broker}>broker-${state.leader}`, `broker-${state.leader}>broker-${broker}`].sort(),
    );
  }
});

Deno.test("coordinator-outage cuts the coordinator from every broker and expects the data plane to go on", () => {
  const plan = planFault("coordinator-outage", view, seededRandom(1));
  assert.equal(plan.blocks.length, 6);
  assert.ok(plan.blocks.every((b) => b.from === "coordinator" || b.to === "coordinator"));
  assert.equal(plan.mustStayWritable, true);
});

Deno.test("broker-paused pauses a leader and expects its partitions to move", () => {
  const plan = planFault("broker-paused", view, seededRandom(3));
  assert.ok(plan.pause === 1 || plan.pause === 2);
  assert.deepEqual(plan.mustFailOver, plan.pause === 1 ? [0, 2] : [1]);
  assert.deepEqual(plan.blocks, []);
});

Deno.test("random-pairs cuts one or two distinct links among the coordinator and brokers, both ways, never the clients", () => {
  const counts = new Set<number>();
  for (let seed = 0; seed < 50; seed++) {
    const plan = planFault("random-pairs", view, seededRandom(seed));
    const set = new Set(links(plan.blocks));
    assert.equal(set.size, plan.blocks.length, "no link twice");
    for (const { from, to } of plan.blocks) assert.ok(set.has(`${to}>${from}`), "both directions");
    assert.ok(!plan.blocks.some((b) => b.from === "client" || b.to === "client"));
    counts.add(plan.blocks.length / 2);
  }
  assert.deepEqual([...counts].sort(), [1, 2]);
});

Deno.test("the same seed plans the same faults", () => {
  for (const kind of FAULT_KINDS) {
    assert.deepEqual(planFault(kind, view, seededRandom(42)), planFault(kind, view, seededRandom(42)));
  }
});
