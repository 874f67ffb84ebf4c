import assert from "node:assert/strict";
import { TreeModel } from "../../src/events/tree-model.ts";
import { classifyPath } from "../../src/events/tree-watcher.ts";
import type { NewEvent } from "../../src/events/cluster-event.ts";

const endpoint = (brokerId: number) => ({ brokerId, host: "127.0.0.1", port: 9090 + brokerId, rack: null });
const state = (leader: number, leaderEpoch: number, isr: number[]) => ({
  leader,
  leaderEpoch,
  isr,
  controllerEpoch: 1,
});
const types = (events: NewEvent[]) => events.map((e) => e.type);

function threeBrokersOneTopic(): TreeModel {
  const model = new TreeModel();
  for (const id of [1, 2, 3]) model.applyBroker(id, endpoint(id), 0);
  model.applyTopic("orders", [[1, 2, 3], [2, 3, 1]], 0);
  model.applyState("orders", 0, state(1, 0, [1, 2, 3]), 0);
  model.applyState("orders", 1, state(2, 0, [2, 3, 1]), 0);
  return model;
}

Deno.test("a killed leader's broker-left is 'expired', then the controller's write is leader-changed + isr-shrunk", () => {
  const model = threeBrokersOneTopic();
  const left = model.applyBroker(1, null, 10);
  assert.deepEqual(left, [{
    type: "broker-left",
    time: 10,
    broker: 1,
    host: "127.0.0.1",
    port: 9091,
    how: "expired",
    liveBefore: [1, 2, 3],
    liveAfter: [2, 3],
  }]);
  const events = model.applyState("orders", 0, state(2, 1, [2, 3]), 11);
  assert.deepEqual(types(events), ["leader-changed", "isr-shrunk"]);
  assert.deepEqual(events[0], {
    type: "leader-changed",
    time: 11,
    topic: "orders",
    partition: 0,
    oldLeader: 1,
    newLeader: 2,
    leaderEpoch: 1,
    why: "old leader offline",
    before: { leader: 1, leaderEpoch: 0, isr: [1, 2, 3] },
    after: { leader: 2, leaderEpoch: 1, isr: [2, 3] },
  });
  assert.deepEqual(events[1], {
    type: "isr-shrunk",
    time: 11,
    topic: "orders",
    partition: 0,
    oldIsr: [1, 2, 3],
    newIsr: [2, 3],
    leader: 2,
    leaderEpoch: 1,
    before: { leader: 1, leaderEpoch: 0, isr: [1, 2, 3] },
    after: { leader: 2, leaderEpoch: 1, isr: [2, 3] },
  });
  // The restarted broker catches up: the leader adds it back.
  const joined = model.applyBroker(1, endpoint(1), 12);
  assert.deepEqual(
    joined.map((e) => e.type === "broker-joined" && [e.liveBefore, e.liveAfter]),
    [[[2, 3], [1, 2, 3]]],
  );
  const back = model.applyState("orders", 0, state(2, 1, [2, 3, 1]), 13);
  assert.deepEqual(back.map((e) => e.type === "isr-expanded" && e.newIsr), [[2, 3, 1]]);
});

Deno.test("a broker that left after a controlled shutdown (no leadership, no shared ISR) left 'clean'", () => {
  const model = threeBrokersOneTopic();
  model.applyState("orders", 0, state(2, 1, [2, 3]), 1);
  model.applyState("orders", 1, state(2, 0, [2, 3]), 1);
  assert.equal((model.applyBroker(1, null, 2)[0] as { how: string }).how, "clean");
  // A broker that hosts nothing: nothing to infer from.
  model.applyBroker(9, endpoint(9), 3);
  assert.equal((model.applyBroker(9, null, 4)[0] as { how: string }).how, "unknown");
});

Deno.test("rewriting the same content emits nothing; a new epoch of the same controller is an election", () => {
  const model = threeBrokersOneTopic();
  assert.deepEqual(model.applyState("orders", 0, state(1, 0, [1, 2, 3]), 5), []);
  assert.deepEqual(model.applyBroker(2, endpoint(2), 5), []);
  assert.deepEqual(types(model.applyController({ brokerId: 1, epoch: 1 }, 5)), ["controller-elected"]);
  assert.deepEqual(model.applyController({ brokerId: 1, epoch: 1 }, 6), []);
  assert.deepEqual(model.applyController(null, 7), []);
  assert.deepEqual(model.applyController({ brokerId: 1, epoch: 2 }, 8)[0], {
    type: "controller-elected",
    time: 8,
    broker: 1,
    epoch: 2,
    // The controller before, even though /controller was empty in between (the old one died).
    previous: { broker: 1, epoch: 1 },
  });
});

Deno.test("an ISR that swaps a member is told as a shrink then an expansion; a new partition's first leader says so", () => {
  const model = threeBrokersOneTopic();
  const events = model.applyState("orders", 0, state(1, 0, [1, 2, 4]), 1);
  assert.deepEqual(
    events.map((e) => "oldIsr" in e ? [e.type, e.oldIsr, e.newIsr] : e.type),
    [["isr-shrunk", [1, 2, 3], [1, 2]], ["isr-expanded", [1, 2], [1, 2, 4]]],
  );
  model.applyTopic("fresh", [[3]], 2);
  const first = model.applyState("fresh", 0, state(3, 0, [3]), 2);
  assert.deepEqual(first.map((e) => e.type === "leader-changed" && [e.oldLeader, e.why]), [[
    null,
    "partition created",
  ]]);
});

Deno.test("topic-created carries its shape; topic-deleted drops its partition states", () => {
  const model = new TreeModel();
  assert.deepEqual(model.applyTopic("t", [[1, 2], [2, 1], [1, 2]], 1), [
    { type: "topic-created", time: 1, topic: "t", partitions: 3, replicationFactor: 2 },
  ]);
  model.applyState("t", 0, state(1, 0, [1, 2]), 1);
  assert.deepEqual(types(model.applyTopic("t", null, 2)), ["topic-deleted"]);
  assert.equal(model.state("t", 0), undefined);
  assert.deepEqual(model.applyTopic("t", null, 3), []);
});

Deno.test("classifyPath names the nodes the timeline reads and ignores the rest", () => {
  assert.deepEqual(classifyPath("/controller"), { kind: "controller" });
  assert.deepEqual(classifyPath("/brokers/ids/3"), { kind: "broker", brokerId: 3 });
  assert.deepEqual(classifyPath("/brokers/topics/a.b"), { kind: "topic", topic: "a.b" });
  assert.deepEqual(classifyPath("/brokers/topics/t/partitions/12/state"), {
    kind: "state",
    topic: "t",
    partition: 12,
  });
  for (
    const other of [
      "/brokers",
      "/brokers/ids",
      "/brokers/topics/t/partitions",
      "/brokers/ids/x",
      "/config/topics/t",
    ]
  ) {
    assert.equal(classifyPath(other), null, other);
  }
});
