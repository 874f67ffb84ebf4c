/**
 * Third-party consumer groups against Vltava's group coordinator: kafkajs (3 members), kcat -G
 * (librdkafka's balanced consumer, 2 members) and @platformatic/kafka (2 members). In a clean run
 * (the group is Stable before anything is produced) every record is consumed exactly once across
 * the members; then a member leaves, the others rebalance and consume what follows.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { Consumer as PlatformaticConsumer, MessagesStreamModes } from "@platformatic/kafka";
import { createTopics, startCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { Producer } from "../../src/client/producer.ts";
import { GroupAdmin } from "../../src/client/group-admin.ts";

/** Groups start their first rebalance after this, not after the 3 s default. */
const BROKER_ARGS = ["--group-initial-rebalance-delay-ms", "500"];
const LONG = 120_000;

function setup(bootstrap: string, topic: string) {
  return createTopics(bootstrap, [{ name: topic, partitions: 6 }]);
}

async function produce(bootstrap: string, topic: string, from: number, to: number) {
  const producer = new Producer({ bootstrap });
  try {
    await Promise.all(
      Array.from(
        { length: to - from },
        (_, i) => producer.send({ topic, partition: (from + i) % 6, value: `m${from + i}` }),
      ),
    );
  } finally {
    await producer.close();
  }
}

async function produceWarmup(bootstrap: string, topic: string) {
  const producer = new Producer({ bootstrap });
  try {
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => producer.send({ topic, partition: i, value: `warmup${i}` })),
    );
  } finally {
    await producer.close();
  }
}

/** Wait until the group is Stable with `members` members owning all six partitions. */
async function stableWith(bootstrap: string, group: string, members: number) {
  const admin = new GroupAdmin({ bootstrap });
  try {
    await eventually(
      `group ${group} stable with ${members} members`,
      async () => {
        const d = await admin.describeGroup(group);
        const owned = d.members.flatMap((m) => m.partitions).length;
        return d.state === "Stable" && d.members.length === members && owned === 6 &&
          d.members.every((m) => m.partitions.length > 0);
      },
      LONG,
      300,
    );
  } finally {
    admin.close();
  }
}

function assertExactlyOnce(values: string[], from: number, to: number) {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (let i = from; i < to; i++) {
    assert.equal(counts.get(`m${i}`), 1, `m${i} consumed ${counts.get(`m${i}`) ?? 0} times`);
  }
}

function assertAllSeen(values: string[], from: number, to: number) {
  const seen = new Set(values);
  for (let i = from; i < to; i++) assert.ok(seen.has(`m${i}`), `m${i} lost`);
}

async function allSeen(values: string[], from: number, to: number) {
  await eventually(
    `m${from}..m${to - 1} consumed`,
    () => {
      const seen = new Set(values);
      for (let i = from; i < to; i++) if (!seen.has(`m${i}`)) return false;
      return true;
    },
    LONG,
    200,
  );
}

Deno.test({
  name: "kafkajs consumer group of three: each record once, a member leaving triggers a handled rebalance",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using cluster = await startCluster({ brokers: 1, brokerArgs: BROKER_ARGS });
    await setup(cluster.bootstrap, "js-group");
    const kafka = new Kafka({
      clientId: "compat",
      brokers: cluster.bootstrap.split(","),
      logLevel: logLevel.NOTHING,
    });
    const values: string[] = [];
    const consumers = Array.from(
      { length: 3 },
      () => kafka.consumer({ groupId: "js", heartbeatInterval: 1000 }),
    );
    try {
      for (const consumer of consumers) {
        await consumer.connect();
        await consumer.subscribe({ topic: "js-group", fromBeginning: true });
        await consumer.run({
          eachMessage: ({ message }) => Promise.resolve(void values.push(message.value!.toString())),
        });
      }
      await stableWith(cluster.bootstrap, "js", 3);
      await produce(cluster.bootstrap, "js-group", 0, 600);
      await allSeen(values, 0, 600);
      assertExactlyOnce(values, 0, 600);

      await consumers[0].disconnect();
      await stableWith(cluster.bootstrap, "js", 2);
      await produce(cluster.bootstrap, "js-group", 600, 900);
      await allSeen(values, 600, 900);
      assertAllSeen(values, 0, 900);
    } finally {
      for (const consumer of consumers) await consumer.disconnect().catch(() => {});
    }
  },
});

Deno.test({
  name:
    "@platformatic/kafka consumer group of two: each record once, a member leaving triggers a handled rebalance",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using cluster = await startCluster({ brokers: 1, brokerArgs: BROKER_ARGS });
    await setup(cluster.bootstrap, "pl-group");
    const values: string[] = [];
    const consumers = Array.from({ length: 2 }, (_, i) =>
      new PlatformaticConsumer({
        groupId: "pl",
        clientId: `pl-${i}`,
        bootstrapBrokers: cluster.bootstrap.split(","),
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
      }));
    const streams = [];
    // Each member's latest join (generation, partition count), from platformatic's own events.
    const joins = consumers.map(() => ({ generationId: -1, partitions: 0 }));
    consumers.forEach((consumer, i) =>
      consumer.on(
        "consumer:group:join",
        (e: { generationId: number; assignments: { partitions: number[] }[] }) => {
          joins[i] = {
            generationId: e.generationId,
            partitions: e.assignments.reduce((n, a) => n + a.partitions.length, 0),
          };
        },
      )
    );
    const settled = (members: number[]) =>
      eventually(
        "platformatic members applied the same generation",
        () =>
          members.every((i) => joins[i].generationId === joins[members[0]].generationId) &&
          members.reduce((n, i) => n + joins[i].partitions, 0) === 6,
        LONG,
        100,
      );
    try {
      for (const consumer of consumers) {
        const stream = await consumer.consume({
          topics: ["pl-group"],
          mode: MessagesStreamModes.COMMITTED,
          fallbackMode: "earliest",
          autocommit: 200,
        });
        stream.on("data", (message) => values.push(Buffer.from(message.value as Uint8Array).toString()));
        streams.push(stream);
      }
      await stableWith(cluster.bootstrap, "pl", 2);
      await settled([0, 1]);
      // platformatic delivers what a fetch issued under the previous assignment returns; one
      // warm-up record per partition, all seen, lets such fetches drain before the counted run.
      await produceWarmup(cluster.bootstrap, "pl-group");
      await eventually(
        "warm-up records seen",
        () => values.filter((v) => v.startsWith("warmup")).length >= 6,
        LONG,
        100,
      );
      await produce(cluster.bootstrap, "pl-group", 0, 400);
      await allSeen(values, 0, 400);
      assertExactlyOnce(values, 0, 400);

      await streams[0].close();
      await consumers[0].close(true);
      await stableWith(cluster.bootstrap, "pl", 1);
      await settled([1]);
      await produce(cluster.bootstrap, "pl-group", 400, 600);
      await allSeen(values, 400, 600);
      assertAllSeen(values, 0, 600);
    } finally {
      for (const stream of streams) await stream.close().catch(() => {});
      for (const consumer of consumers) await consumer.close(true).catch(() => {});
    }
  },
});

peerTest("kcat -G (librdkafka balanced consumer), two members: each record once, then one leaves", [
  PEERS.kcat,
], async () => {
  await using cluster = await startCluster({ brokers: 1, brokerArgs: BROKER_ARGS });
  await setup(cluster.bootstrap, "kc-group");
  const start = () =>
    new Deno.Command("kcat", {
      args: [
        "-u", // unbuffered: lines appear as consumed, not at exit
        "-b",
        cluster.bootstrap,
        "-G",
        "kc",
        "kc-group",
        "-X",
        "auto.offset.reset=earliest",
        "-X",
        "auto.commit.interval.ms=200",
        "-f",
        "%s\\n",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  const members = [start(), start()];
  const outputs = members.map(() => ({ text: "" }));
  const pumps = members.map(async (child, i) => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) outputs[i].text += decoder.decode(chunk, { stream: true });
  });
  const drains = members.map((child) => child.stderr.pipeTo(new WritableStream()));
  const values = () => outputs.flatMap((o) => o.text.split("\n").filter((l) => l !== ""));
  try {
    await stableWith(cluster.bootstrap, "kc", 2);
    await produce(cluster.bootstrap, "kc-group", 0, 400);
    await eventually("kcat members consumed 400", () => values().length >= 400, LONG, 200);
    assertExactlyOnce(values(), 0, 400);

    members[0].kill("SIGTERM"); // kcat closes its consumer: LeaveGroup
    await members[0].status;
    await stableWith(cluster.bootstrap, "kc", 1);
    await produce(cluster.bootstrap, "kc-group", 400, 600);
    await eventually(
      "the remaining kcat consumed the rest",
      () => {
        const seen = new Set(values());
        for (let i = 400; i < 600; i++) if (!seen.has(`m${i}`)) return false;
        return true;
      },
      LONG,
      200,
    );
    assertAllSeen(values(), 0, 600);
  } finally {
    for (const child of members) {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
    }
    await Promise.all([...pumps, ...drains].map((p) => p.catch(() => {})));
  }
});
