import assert from "node:assert/strict";
import { EventLog } from "../../src/events/event-log.ts";
import { diffGroup, type GroupSnapshot } from "../../src/events/broker-sampler.ts";
import { formatEventLine } from "../../src/events/format.ts";

const deleted = (time: number, topic = "t") => ({ type: "topic-deleted" as const, time, topic });

Deno.test("the event log numbers events and keeps only the newest `capacity`", () => {
  const log = new EventLog(3);
  for (let i = 1; i <= 5; i++) log.append(deleted(i * 10));
  assert.deepEqual(log.all().map((e) => [e.seq, e.time]), [[3, 30], [4, 40], [5, 50]]);
  assert.deepEqual(log.query({ sinceMs: 40 }).map((e) => e.seq), [4, 5]);
  assert.deepEqual(log.query({ afterSeq: 3 }).map((e) => e.seq), [4, 5]);
  assert.deepEqual(log.query({ limit: 1 }).map((e) => e.seq), [5]);
  assert.throws(() => new EventLog(0), RangeError);
});

Deno.test("a follower that falls too far behind is cut off with an error, others keep receiving", async () => {
  const log = new EventLog(100, 2);
  const slow = log.follow();
  const received: number[] = [];
  const unsubscribe = log.subscribe((event) => received.push(event.seq));
  for (let i = 0; i < 5; i++) log.append(deleted(i));
  assert.deepEqual(received, [1, 2, 3, 4, 5]);
  assert.equal((await slow.next()).value?.seq, 1);
  assert.equal((await slow.next()).value?.seq, 2);
  await assert.rejects(() => slow.next(), RangeError);
  unsubscribe();
  log.close();
});

const member = (memberId: string, partitions: string[] = []) => ({
  memberId,
  clientId: "c",
  clientHost: "/127.0.0.1",
  partitions,
});
const group = (
  state: string,
  members: ReturnType<typeof member>[],
  generation: number | null = null,
): GroupSnapshot => ({
  group: "g",
  state,
  protocolType: "consumer",
  coordinator: 1,
  generation,
  members,
  offsets: [],
  totalLag: 0,
});

Deno.test("group descriptions diff into member and rebalance events, with the generations read", () => {
  const stable = group("Stable", [member("a", ["t-0", "t-1"])], 1);
  const joining = group("PreparingRebalance", [member("a"), member("b")], 1);
  const balanced = group("Stable", [member("a", ["t-0"]), member("b", ["t-1"])], 2);
  const started = diffGroup(stable, joining, 1);
  assert.deepEqual(started.map((e) => e.type), ["member-joined", "group-rebalance-started"]);
  assert.equal(
    started[1].type === "group-rebalance-started" && started[1].generation,
    1,
    "the generation left",
  );
  const completed = diffGroup(joining, balanced, 2);
  assert.deepEqual(completed, [{
    type: "group-rebalance-completed",
    time: 2,
    group: "g",
    generation: 2,
    members: ["a", "b"],
    assignment: { a: ["t-0"], b: ["t-1"] },
  }]);
  assert.deepEqual(diffGroup(balanced, balanced, 3), []);
  // A rebalance entirely between two samples still shows as its completion.
  assert.deepEqual(diffGroup(stable, balanced, 4).map((e) => e.type), [
    "member-joined",
    "group-rebalance-completed",
  ]);
  // ... even when it gave the same members the same partitions: the generation tells.
  const again = { ...balanced, generation: 3 };
  assert.deepEqual(diffGroup(balanced, again, 5).map((e) => [e.type, "generation" in e && e.generation]), [
    ["group-rebalance-completed", 3],
  ]);
  // A generation that became known (or unknown) is no rebalance.
  assert.deepEqual(diffGroup({ ...balanced, generation: null }, balanced, 6), []);
  assert.deepEqual(diffGroup(balanced, group("Empty", []), 7).map((e) => e.type), [
    "member-left",
    "member-left",
  ]);
});

Deno.test("event lines are aligned: type and subject columns have fixed widths", () => {
  const a = formatEventLine({ seq: 1, time: 0, type: "topic-deleted", topic: "t" });
  const b = formatEventLine({
    seq: 2,
    time: 0,
    type: "leader-changed",
    topic: "orders",
    partition: 3,
    oldLeader: 1,
    newLeader: 2,
    leaderEpoch: 4,
    why: "old leader offline",
  });
  assert.equal(a.indexOf("t "), b.indexOf("orders-3"));
  assert.match(
    b,
    /^1970-01-01T00:00:00\.000Z {2}leader-changed {2,}orders-3 {2,}leader 1 -> 2, epoch 4 \(old leader offline\)$/,
  );
});
