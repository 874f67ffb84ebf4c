/** The reassignment decisions as pure functions: start, complete once in sync, cancel, refuse. */
import assert from "node:assert/strict";
import {
  cancelReassignment,
  completeReassignment,
  startReassignment,
  targetProblem,
} from "../../../src/broker/controller/reassignment.ts";

const state = { leader: 1, leaderEpoch: 3, isr: [1, 2], controllerEpoch: 1 };
const live = new Set([1, 2, 3, 4]);

Deno.test("a reassignment adds the target first, then completes with the leader moved into it", () => {
  const started = startReassignment([1, 2], undefined, [3, 4], state, 9)!;
  assert.deepEqual(started.replicas, [3, 4, 1, 2]);
  assert.deepEqual(started.reassignment, { adding: [3, 4], removing: [1, 2] });
  assert.deepEqual(started.state, { leader: 1, leaderEpoch: 4, isr: [1, 2], controllerEpoch: 9 });
  assert.equal(
    completeReassignment(
      started.replicas,
      started.reassignment!,
      { ...started.state, isr: [1, 2, 3] },
      live,
      9,
    ),
    null,
  );
  const done = completeReassignment(
    started.replicas,
    started.reassignment!,
    { ...started.state, isr: [1, 2, 3, 4] },
    live,
    9,
  )!;
  assert.deepEqual(done, {
    replicas: [3, 4],
    reassignment: null,
    state: { leader: 3, leaderEpoch: 5, isr: [3, 4], controllerEpoch: 9 },
  });
});

Deno.test("a smaller replication factor or a new order needs no catching up", () => {
  const shrink = startReassignment([1, 2, 3], undefined, [1, 2], { ...state, isr: [1, 2, 3] }, 9)!;
  assert.deepEqual(
    completeReassignment(shrink.replicas, shrink.reassignment!, shrink.state, live, 9)?.replicas,
    [1, 2],
  );
  assert.deepEqual(startReassignment([1, 2], undefined, [2, 1], state, 9)?.replicas, [2, 1]);
  assert.equal(startReassignment([1, 2], undefined, [1, 2], state, 9), null);
});

Deno.test("cancelling returns to the original replicas; a new target starts from them too", () => {
  const started = startReassignment([1, 2], undefined, [1, 3], state, 9)!;
  const cancelled = cancelReassignment(started.replicas, started.reassignment!, started.state, live, 9)!;
  assert.deepEqual(cancelled.replicas, [1, 2]);
  assert.equal(cancelled.reassignment, null);
  const again = startReassignment(started.replicas, started.reassignment!, [1, 4], started.state, 9)!;
  assert.deepEqual(again.replicas, [1, 4, 2]);
  assert.deepEqual(again.reassignment, { adding: [4], removing: [2] });
});

Deno.test("bad targets are named", () => {
  const registered = new Set([1, 2, 3]);
  assert.equal(targetProblem([], registered), "the replica list is empty");
  assert.match(targetProblem([1, 1], registered)!, /twice/);
  assert.equal(targetProblem([1, 7, 8], registered), "unknown brokers 7, 8 (registered: 1, 2, 3)");
  assert.equal(targetProblem([3, 1], registered), null);
});
