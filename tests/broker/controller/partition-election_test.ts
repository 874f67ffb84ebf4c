import assert from "node:assert/strict";
import { type ElectionInput, electPartition } from "../../../src/broker/controller/partition-election.ts";
import type { PartitionState } from "../../../src/broker/zk-layout.ts";

const state = (leader: number, leaderEpoch: number, isr: number[]): PartitionState => ({
  leader,
  leaderEpoch,
  isr,
  controllerEpoch: 1,
});

function elect(overrides: Partial<ElectionInput>) {
  return electPartition({
    replicas: [1, 2, 3],
    state: state(1, 4, [1, 2, 3]),
    live: new Set([1, 2, 3]),
    shuttingDown: new Set(),
    uncleanAllowed: false,
    controllerEpoch: 7,
    ...overrides,
  });
}

Deno.test("a healthy partition keeps its state", () => {
  assert.equal(elect({}), null);
});

Deno.test("a new partition is led by its first live replica with the live replicas in sync, epoch 0", () => {
  const result = elect({ state: null, live: new Set([2, 3]) });
  assert.deepEqual(result?.state, { leader: 2, leaderEpoch: 0, isr: [2, 3], controllerEpoch: 7 });
});

Deno.test("a dead leader is replaced by the first live ISR member in assignment order, epoch + 1", () => {
  const result = elect({ replicas: [1, 3, 2], live: new Set([2, 3]) });
  assert.deepEqual(result?.state, { leader: 3, leaderEpoch: 5, isr: [2, 3], controllerEpoch: 7 });
  assert.equal(result?.reason, "leader unavailable");
});

Deno.test("a live replica outside the ISR is never elected by default", () => {
  const result = elect({ state: state(1, 4, [1]), live: new Set([2, 3]) });
  assert.deepEqual(result?.state, { leader: -1, leaderEpoch: 5, isr: [1], controllerEpoch: 7 });
  assert.equal(result?.reason, "offline");
  // Already offline: nothing changes until an ISR member returns.
  assert.equal(elect({ state: state(-1, 5, [1]), live: new Set([2, 3]) }), null);
  const back = elect({ state: state(-1, 5, [1]), live: new Set([1, 2]) });
  assert.deepEqual(back?.state, { leader: 1, leaderEpoch: 6, isr: [1], controllerEpoch: 7 });
});

Deno.test("unclean.leader.election.enable elects a live out-of-sync replica alone in the ISR", () => {
  const result = elect({ state: state(1, 4, [1]), live: new Set([2, 3]), uncleanAllowed: true });
  assert.deepEqual(result?.state, { leader: 2, leaderEpoch: 5, isr: [2], controllerEpoch: 7 });
  assert.equal(result?.reason, "unclean election");
});

Deno.test("a dead follower leaves the ISR without a new leader epoch", () => {
  const result = elect({ live: new Set([1, 3]) });
  assert.deepEqual(result?.state, { leader: 1, leaderEpoch: 4, isr: [1, 3], controllerEpoch: 7 });
  assert.equal(result?.reason, "isr shrink");
});

Deno.test("controlled shutdown: the leader hands over, a follower leaves the ISR", () => {
  const led = elect({ shuttingDown: new Set([1]) });
  assert.deepEqual(led?.state, { leader: 2, leaderEpoch: 5, isr: [2, 3], controllerEpoch: 7 });
  assert.equal(led?.reason, "leader shutting down");
  const followed = elect({ shuttingDown: new Set([3]) });
  assert.deepEqual(followed?.state, { leader: 1, leaderEpoch: 4, isr: [1, 2], controllerEpoch: 7 });
});

Deno.test("controlled shutdown of the only in-sync replica keeps it leading", () => {
  assert.equal(elect({ state: state(1, 4, [1]), shuttingDown: new Set([1]) }), null);
  // Every replica leaving at once: nobody can take over, nothing changes.
  assert.equal(elect({ shuttingDown: new Set([1, 2, 3]) }), null);
});
