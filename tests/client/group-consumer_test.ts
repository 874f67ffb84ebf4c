/**
 * GroupConsumer against a real broker process: pattern subscriptions, assignors, assignment
 * events, manual commits and where a member starts (committed offset, else autoOffsetReset).
 */
import assert from "node:assert/strict";
import { createTopics, startCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";
import { Producer } from "../../src/client/producer.ts";
import { type AssignmentEvent, GroupConsumer } from "../../src/client/group-consumer.ts";
import { GroupAdmin } from "../../src/client/group-admin.ts";

/** Groups start their first rebalance after this, not after the 3 s default. */
const BROKER_ARGS = ["--group-initial-rebalance-delay-ms", "300"];
const text = (bytes: Uint8Array | null) => new TextDecoder().decode(bytes!);

async function produce(bootstrap: string, topic: string, values: string[], partitions: number) {
  await using producer = new Producer({ bootstrap });
  await Promise.all(values.map((value, i) => producer.send({ topic, partition: i % partitions, value })));
}

Deno.test({
  name: "GroupConsumer: a RegExp subscription, roundrobin and sticky members, events and manual commits",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using cluster = await startCluster({ brokers: 1, brokerArgs: BROKER_ARGS });
    const bootstrap = cluster.bootstrap;
    await createTopics(bootstrap, [
      { name: "metrics.cpu", partitions: 2 },
      { name: "metrics.mem", partitions: 2 },
      { name: "logs", partitions: 2 },
    ]);
    await produce(bootstrap, "metrics.cpu", ["c0", "c1"], 2);
    await produce(bootstrap, "metrics.mem", ["m0", "m1"], 2);
    await produce(bootstrap, "logs", ["l0", "l1"], 2);

    const events: string[] = [];
    const options = {
      bootstrap,
      groupId: "watchers",
      topics: /^metrics\./,
      assignors: ["sticky", "roundrobin"],
      autoOffsetReset: "earliest" as const,
      autoCommit: false,
      heartbeatIntervalMs: 500,
    };
    const first = new GroupConsumer({ ...options, clientId: "first" });
    first.addEventListener(
      "assigned",
      (e) => events.push(`assigned ${(e as AssignmentEvent).partitions.length}`),
    );
    const seen: string[] = [];
    await eventually(
      "first reads every metrics record",
      async () => {
        for (const r of await first.poll(200)) seen.push(text(r.value));
        return seen.length >= 4;
      },
      60_000,
      10,
    );
    assert.deepEqual(seen.sort(), ["c0", "c1", "m0", "m1"], "logs is not matched by the pattern");
    assert.equal(first.assignment().length, 4);
    assert.deepEqual(events, ["assigned 4"]);
    await first.commit();

    // A second member: the sticky assignor gives it two partitions and first keeps two of its own.
    const second = new GroupConsumer({ ...options, clientId: "second" });
    const before = first.assignment().map((tp) => `${tp.topic}-${tp.partition}`);
    const pollFirst = (async () => {
      while (first.assignment().length !== 2) await first.poll(100);
    })();
    await eventually(
      "second gets two partitions",
      async () => {
        await second.poll(100);
        return second.assignment().length === 2;
      },
      60_000,
      10,
    );
    await pollFirst;
    const kept = first.assignment().map((tp) => `${tp.topic}-${tp.partition}`);
    assert.ok(kept.every((tp) => before.includes(tp)), "first keeps partitions it had (sticky)");
    assert.ok(events.includes("assigned 2"));

    const admin = new GroupAdmin({ bootstrap });
    try {
      const described = await admin.describeGroup("watchers");
      assert.equal(described.protocol, "sticky");
      assert.deepEqual(described.members.map((m) => m.clientId).sort(), ["first", "second"]);
      // first's manual commit is kept; second started from it and read nothing old.
      assert.equal(described.offsets.filter((o) => o.committedOffset === 1).length, 4);
    } finally {
      admin.close();
    }
    await produce(bootstrap, "metrics.cpu", ["c2", "c3"], 2);
    const later: string[] = [];
    await eventually(
      "the new records, each once",
      async () => {
        for (const r of await first.poll(100)) later.push(text(r.value));
        for (const r of await second.poll(100)) later.push(text(r.value));
        return later.length >= 2;
      },
      60_000,
      10,
    );
    assert.deepEqual(later.sort(), ["c2", "c3"]);
    await second.close();
    await first.close();
  },
});
