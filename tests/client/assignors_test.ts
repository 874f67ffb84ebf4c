import assert from "node:assert/strict";
import {
  assignorByName,
  type AssignorMember,
  decodeStickyUserData,
  encodeGroupAssignment,
  encodeMemberMetadata,
  encodeStickyUserData,
  type GroupAssignment,
  kafkajsRoundRobinAssignor,
  leaderAssignments,
  rangeAssignor,
  roundRobinAssignor,
  stickyAssignor,
} from "../../src/client/assignors/mod.ts";
import {
  decodeAssignment,
  decodeSubscription,
  type TopicPartitions,
} from "../../src/kafka/consumer-protocol.ts";

const member = (
  memberId: string,
  topics: string[],
  ownedPartitions: TopicPartitions[] = [],
): AssignorMember => ({
  memberId,
  subscription: { version: ownedPartitions.length > 0 ? 1 : 0, topics, userData: null, ownedPartitions },
});

/** memberId -> "topic:partition" labels, for compact assertions. */
const labels = (assignment: GroupAssignment) =>
  Object.fromEntries(
    [...assignment].map(([id, list]) => [
      id,
      list.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}:${p}`)),
    ]),
  );

const counts = (assignment: GroupAssignment) =>
  [...assignment.values()].map((list) => list.reduce((n, tp) => n + tp.partitions.length, 0));

/** Every partition of the topics assigned exactly once. */
function assertCovers(assignment: GroupAssignment, partitionsPerTopic: Map<string, number>) {
  const seen = Object.values(labels(assignment)).flat();
  const expected = [...partitionsPerTopic].flatMap(([t, n]) =>
    Array.from({ length: n }, (_, p) => `${t}:${p}`)
  );
  assert.deepEqual([...seen].sort(), [...expected].sort());
}

const ALL = [rangeAssignor, roundRobinAssignor, stickyAssignor];

Deno.test("three members on six partitions get two each with every assignor", () => {
  const partitionsPerTopic = new Map([["orders", 6]]);
  const members = [member("c", ["orders"]), member("a", ["orders"]), member("b", ["orders"])];
  for (const assignor of ALL) {
    const result = assignor.assign({ members, partitionsPerTopic });
    assert.deepEqual(counts(result), [2, 2, 2], assignor.name);
    assertCovers(result, partitionsPerTopic);
  }
  assert.deepEqual(labels(rangeAssignor.assign({ members, partitionsPerTopic })), {
    a: ["orders:0", "orders:1"],
    b: ["orders:2", "orders:3"],
    c: ["orders:4", "orders:5"],
  });
  assert.deepEqual(labels(roundRobinAssignor.assign({ members, partitionsPerTopic })), {
    a: ["orders:0", "orders:3"],
    b: ["orders:1", "orders:4"],
    c: ["orders:2", "orders:5"],
  });
});

Deno.test("uneven counts: range gives the extra partitions to the first members, per topic", () => {
  const partitionsPerTopic = new Map([["t0", 3], ["t1", 3]]);
  const members = [member("m1", ["t0", "t1"]), member("m2", ["t0", "t1"])];
  // Kafka's RangeAssignor example: m1 gets t0p0,t0p1,t1p0,t1p1 and m2 gets t0p2,t1p2.
  assert.deepEqual(labels(rangeAssignor.assign({ members, partitionsPerTopic })), {
    m1: ["t0:0", "t0:1", "t1:0", "t1:1"],
    m2: ["t0:2", "t1:2"],
  });
  // Round robin over the sorted list t0p0,t0p1,t0p2,t1p0,t1p1,t1p2 evens it out.
  assert.deepEqual(labels(roundRobinAssignor.assign({ members, partitionsPerTopic })), {
    m1: ["t0:0", "t0:2", "t1:1"],
    m2: ["t0:1", "t1:0", "t1:2"],
  });
  const seven = new Map([["t", 7]]);
  const three = [member("a", ["t"]), member("b", ["t"]), member("c", ["t"])];
  for (const assignor of ALL) {
    const result = assignor.assign({ members: three, partitionsPerTopic: seven });
    assert.deepEqual([...counts(result)].sort(), [2, 2, 3], assignor.name);
    assertCovers(result, seven);
  }
});

Deno.test("more members than partitions: the extra members get nothing but are listed", () => {
  const partitionsPerTopic = new Map([["t", 2]]);
  const members = [member("a", ["t"]), member("b", ["t"]), member("c", ["t"])];
  for (const assignor of ALL) {
    const result = assignor.assign({ members, partitionsPerTopic });
    assert.equal(result.size, 3, assignor.name);
    assert.deepEqual([...counts(result)].sort(), [0, 1, 1], assignor.name);
  }
});

Deno.test("multiple topics with different subscriptions only assign subscribed topics", () => {
  const partitionsPerTopic = new Map([["t0", 1], ["t1", 2], ["t2", 3]]);
  // Kafka's RoundRobinAssignor javadoc example.
  const members = [member("c0", ["t0"]), member("c1", ["t0", "t1"]), member("c2", ["t0", "t1", "t2"])];
  assert.deepEqual(labels(roundRobinAssignor.assign({ members, partitionsPerTopic })), {
    c0: ["t0:0"],
    c1: ["t1:0"],
    c2: ["t1:1", "t2:0", "t2:1", "t2:2"],
  });
  for (const assignor of ALL) {
    const result = assignor.assign({ members, partitionsPerTopic });
    assertCovers(result, partitionsPerTopic);
    for (const [id, list] of result) {
      const subscribed = members.find((m) => m.memberId === id)!.subscription.topics;
      for (const tp of list) {
        assert.ok(subscribed.includes(tp.topic), `${assignor.name}: ${id} got ${tp.topic}`);
      }
    }
  }
  // Sticky balances what it can: c1 takes a t1 partition off c2.
  assert.deepEqual(counts(stickyAssignor.assign({ members, partitionsPerTopic })), [1, 2, 3]);
});

Deno.test("topics unknown to the metadata are skipped and results are deterministic", () => {
  const partitionsPerTopic = new Map([["known", 4]]);
  const forward = [member("x", ["known", "missing"]), member("y", ["known"])];
  const backward = [...forward].reverse();
  for (const assignor of ALL) {
    const a = assignor.assign({ members: forward, partitionsPerTopic });
    const b = assignor.assign({ members: backward, partitionsPerTopic });
    assert.deepEqual(labels(a), labels(b), assignor.name);
    assertCovers(a, partitionsPerTopic);
  }
});

Deno.test("sticky keeps assignments when a member leaves: only the leaver's partitions move", () => {
  const partitionsPerTopic = new Map([["orders", 6]]);
  const first = stickyAssignor.assign({
    members: [member("a", ["orders"]), member("b", ["orders"]), member("c", ["orders"])],
    partitionsPerTopic,
  });
  const owned = (id: string) => first.get(id)!;
  // b leaves; a and c report what they own (Subscription v1 owned_partitions).
  const second = stickyAssignor.assign({
    members: [member("a", ["orders"], owned("a")), member("c", ["orders"], owned("c"))],
    partitionsPerTopic,
  });
  assert.deepEqual(counts(second), [3, 3]);
  assertCovers(second, partitionsPerTopic);
  const before = labels(first);
  const after = labels(second);
  for (const id of ["a", "c"]) {
    for (const label of before[id]) assert.ok(after[id].includes(label), `${id} kept ${label}`);
  }
  // Exactly b's two partitions changed hands.
  const moved = Object.entries(after).flatMap(([id, list]) => list.filter((l) => !before[id]?.includes(l)));
  assert.deepEqual([...moved].sort(), [...before.b].sort());
});

Deno.test("sticky reads ownership from v0 userData and balances a newcomer with few moves", () => {
  const partitionsPerTopic = new Map([["t", 6]]);
  const userData = encodeStickyUserData([{ topic: "t", partitions: [0, 1, 2] }], 4);
  assert.deepEqual(decodeStickyUserData(userData), {
    owned: [{ topic: "t", partitions: [0, 1, 2] }],
    generationId: 4,
  });
  const members: AssignorMember[] = [
    { memberId: "a", subscription: { version: 0, topics: ["t"], userData } },
    member("b", ["t"], [{ topic: "t", partitions: [3, 4, 5] }]),
    member("c", ["t"]),
  ];
  const result = labels(stickyAssignor.assign({ members, partitionsPerTopic }));
  assert.deepEqual(Object.values(result).map((l) => l.length), [2, 2, 2]);
  assert.equal(result.a.filter((l) => ["t:0", "t:1", "t:2"].includes(l)).length, 2);
  assert.equal(result.b.filter((l) => ["t:3", "t:4", "t:5"].includes(l)).length, 2);
});

Deno.test("sticky resolves a partition claimed twice in favour of the newer generation", () => {
  const partitionsPerTopic = new Map([["t", 2]]);
  const stale = { topic: "t", partitions: [0, 1] };
  const members: AssignorMember[] = [
    {
      memberId: "a",
      subscription: { version: 2, topics: ["t"], userData: null, ownedPartitions: [stale], generationId: 3 },
    },
    {
      memberId: "b",
      subscription: {
        version: 2,
        topics: ["t"],
        userData: null,
        ownedPartitions: [{ topic: "t", partitions: [0] }],
        generationId: 5,
      },
    },
  ];
  assert.deepEqual(labels(stickyAssignor.assign({ members, partitionsPerTopic })), {
    a: ["t:1"],
    b: ["t:0"],
  });
});

Deno.test("assignments encode to consumer-protocol bytes each member can read", () => {
  const result = rangeAssignor.assign({
    members: [member("a", ["t"]), member("b", ["t"])],
    partitionsPerTopic: new Map([["t", 3]]),
  });
  const encoded = encodeGroupAssignment(result);
  assert.deepEqual(encoded.map((e) => e.memberId), ["a", "b"]);
  assert.deepEqual(decodeAssignment(encoded[0].assignment).assignedPartitions, [{
    topic: "t",
    partitions: [0, 1],
  }]);
  assert.deepEqual(decodeAssignment(encoded[1].assignment).assignedPartitions, [{
    topic: "t",
    partitions: [2],
  }]);
});

Deno.test("assignors are found by protocol name, kafkajs's round robin name included", () => {
  assert.equal(assignorByName("range"), rangeAssignor);
  assert.equal(assignorByName("roundrobin"), roundRobinAssignor);
  assert.equal(assignorByName("RoundRobinAssigner"), kafkajsRoundRobinAssignor);
  assert.equal(assignorByName("sticky"), stickyAssignor);
  assert.throws(() => assignorByName("cooperative-sticky"), /Unknown partition assignor: cooperative-sticky/);
});

/** Small deterministic PRNG (mulberry32) so the property runs are reproducible. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("property: equal subscriptions give complete assignments balanced within one; sticky moves only what it must", () => {
  const next = random(42);
  for (let run = 0; run < 200; run++) {
    const topicCount = 1 + Math.floor(next() * 3);
    const partitionsPerTopic = new Map(
      Array.from(
        { length: topicCount },
        (_, i) => [`t${i}`, 1 + Math.floor(next() * 12)] as [string, number],
      ),
    );
    const topics = [...partitionsPerTopic.keys()];
    const memberCount = 1 + Math.floor(next() * 6);
    const members = Array.from({ length: memberCount }, (_, i) => member(`m${i}`, topics));
    for (const assignor of ALL) {
      const result = assignor.assign({ members, partitionsPerTopic });
      assertCovers(result, partitionsPerTopic);
      if (assignor !== rangeAssignor) {
        const c = counts(result);
        assert.ok(Math.max(...c) - Math.min(...c) <= 1, `${assignor.name} run ${run}: ${c}`);
      }
    }
    // A random member leaves; the rest report ownership: only the leaver's partitions move.
    const first = stickyAssignor.assign({ members, partitionsPerTopic });
    if (memberCount < 2) continue;
    const leaver = `m${Math.floor(next() * memberCount)}`;
    const stayers = members.filter((m) => m.memberId !== leaver)
      .map((m) => member(m.memberId, topics, first.get(m.memberId)!));
    const second = stickyAssignor.assign({ members: stayers, partitionsPerTopic });
    assertCovers(second, partitionsPerTopic);
    const c = counts(second);
    assert.ok(Math.max(...c) - Math.min(...c) <= 1, `sticky after leave, run ${run}: ${c}`);
    const before = labels(first);
    for (const [id, list] of Object.entries(labels(second))) {
      for (const label of before[id]) assert.ok(list.includes(label), `run ${run}: ${id} lost ${label}`);
    }
    // A newcomer joins: each partition it gets is the only change.
    const withNewcomer = [
      ...stayers.map((m) => member(m.memberId, topics, second.get(m.memberId)!)),
      member("zz", topics),
    ];
    const third = labels(stickyAssignor.assign({ members: withNewcomer, partitionsPerTopic }));
    const moved = Object.entries(third).flatMap(([id, list]) =>
      list.filter((l) => !(labels(second)[id] ?? []).includes(l))
    );
    assert.deepEqual(
      [...moved].sort(),
      [...third.zz].sort(),
      `run ${run}: only the newcomer's partitions are new`,
    );
  }
});

Deno.test("member metadata carries ownership; the leader's step turns JoinGroup members into SyncGroup assignments", () => {
  const owned = [{ topic: "t", partitions: [2, 3] }];
  const sticky = decodeSubscription(encodeMemberMetadata("sticky", ["t"], owned, 5));
  assert.deepEqual(sticky.ownedPartitions, owned);
  assert.deepEqual(decodeStickyUserData(sticky.userData!), { owned, generationId: 5 });
  assert.equal(decodeSubscription(encodeMemberMetadata("range", ["t"])).userData, null);

  const members = [
    { memberId: "b", metadata: encodeMemberMetadata("sticky", ["t"], owned, 5) },
    { memberId: "a", metadata: encodeMemberMetadata("sticky", ["t"]) },
    { memberId: "broken", metadata: new Uint8Array([0, 0, 0xff]) },
  ];
  const assignments = leaderAssignments("sticky", members, new Map([["t", 4]]));
  const byMember = Object.fromEntries(
    assignments.map((a) => [a.memberId, decodeAssignment(a.assignment).assignedPartitions]),
  );
  assert.deepEqual(byMember.b, owned, "b keeps what it owned");
  assert.deepEqual(byMember.a, [{ topic: "t", partitions: [0, 1] }]);
  assert.deepEqual(byMember.broken, []);
  assert.throws(() => leaderAssignments("nope", members, new Map()), RangeError);
});
