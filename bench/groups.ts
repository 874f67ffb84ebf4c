/**
 * `deno task bench groups`: consumer groups on one broker (plus its coordinator).
 *
 * - Consumption rate of a 3-member group (GroupConsumers in this process) on a 6-partition topic
 *   holding BENCH_GROUP_RECORDS 100-byte records, timed from the moment every member holds its
 *   two partitions until every record was handed out.
 * - Rebalance time when a member joins (from its start() to its first record) and when one dies
 *   (a `vltava consume --group` child SIGKILLed; from the kill to the first record of its
 *   partitions at a surviving member), while a producer keeps writing. Defaults of the client:
 *   heartbeat 3 s; the dying member uses the smallest session timeout the broker accepts (6 s),
 *   which dominates that figure.
 * - Commit throughput: OffsetCommit of 6 partitions, one at a time and 16 in flight.
 *
 * Knobs (env): BENCH_GROUP_RECORDS (300,000), BENCH_COMMIT_SECONDS (3).
 */
import { Producer } from "../src/client/producer.ts";
import { Admin } from "../src/client/admin.ts";
import { GroupConsumer } from "../src/client/group-consumer.ts";
import { GroupAdmin } from "../src/client/group-admin.ts";
import { startCluster } from "../tests/helpers/cluster.ts";
import { eventually, RunningProgram } from "../tests/helpers/program.ts";

const RECORDS = Number(Deno.env.get("BENCH_GROUP_RECORDS") ?? 300_000);
const COMMIT_SECONDS = Number(Deno.env.get("BENCH_COMMIT_SECONDS") ?? 3);
const TOPIC = "bench-groups";

interface Row {
  measure: string;
  value: string;
  notes: string;
}

async function produceBacklog(bootstrap: string, count: number): Promise<void> {
  await using producer = new Producer({ bootstrap, acks: 1, lingerMs: 5, batchBytes: 1_000_000 });
  const value = new Uint8Array(100).fill(97);
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    pending.push(producer.send({ topic: TOPIC, partition: i % 6, value }));
    if (pending.length >= 10_000) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}

/** Keep producing about `perSecond` records until stopped. */
function steadyProducer(bootstrap: string, perSecond: number) {
  const producer = new Producer({ bootstrap, acks: 1, lingerMs: 5 });
  let running = true;
  const done = (async () => {
    let i = 0;
    while (running) {
      await Promise.all(
        Array.from(
          { length: perSecond / 10 },
          () => producer.send({ topic: TOPIC, partition: i++ % 6, value: "x" }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await producer.close();
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** Poll in the background until stopped; calls onRecords for each batch. */
function pollLoop(consumer: GroupConsumer, onRecords: (records: { partition: number }[]) => void) {
  let running = true;
  const done = (async () => {
    while (running) onRecords(await consumer.poll(200));
  })();
  return {
    stop: async () => {
      running = false;
      await done.catch(() => {});
    },
  };
}

export async function run(): Promise<void> {
  await using cluster = await startCluster({ brokers: 1 });
  const bootstrap = cluster.bootstrap;
  const admin = new Admin({ bootstrap });
  await admin.createTopics([{ name: TOPIC, partitions: 6 }]);
  admin.close();
  await produceBacklog(bootstrap, RECORDS);
  const rows: Row[] = [];

  // 1. Consumption rate of three members.
  const members = Array.from(
    { length: 3 },
    (_, i) =>
      new GroupConsumer({
        bootstrap,
        clientId: `bench-${i}`,
        groupId: "bench",
        topics: [TOPIC],
        autoOffsetReset: "earliest",
      }),
  );
  await Promise.all(members.map((m) => m.start()));
  await eventually(
    "two partitions each",
    () => members.every((m) => m.assignment().length === 2),
    60_000,
    50,
  );
  let consumed = 0;
  const startMs = performance.now();
  let loops = members.map((m) => pollLoop(m, (records) => consumed += records.length));
  await eventually("backlog consumed", () => consumed >= RECORDS, 600_000, 20);
  const seconds = (performance.now() - startMs) / 1000;
  rows.push({
    measure: "3-member group, 6 partitions",
    value: `${Math.round(RECORDS / seconds).toLocaleString("en-US")} records/s`,
    notes: `${RECORDS.toLocaleString("en-US")} × 100 B in ${seconds.toFixed(2)} s (members in one process)`,
  });

  // 2. Rebalance when a member joins: from its start() to its first record.
  const steady = steadyProducer(bootstrap, 2_000);
  const joiner = new GroupConsumer({
    bootstrap,
    clientId: "bench-joiner",
    groupId: "bench",
    topics: [TOPIC],
  });
  const joinStartMs = performance.now();
  let joinFirstMs = 0;
  const joinerLoop = pollLoop(joiner, (records) => {
    if (records.length > 0 && joinFirstMs === 0) joinFirstMs = performance.now();
  });
  await eventually("the joiner's first record", () => joinFirstMs > 0, 120_000, 10);
  rows.push({
    measure: "rebalance on join",
    value: `${Math.round(joinFirstMs - joinStartMs)} ms`,
    notes: "new member's start() to its first record (others notice at their next heartbeat, 3 s period)",
  });
  await joinerLoop.stop();
  await joiner.close();

  // 3. Rebalance when a member dies: SIGKILL a CLI member, time until its partitions flow again.
  await using victim = new RunningProgram([
    "consume",
    TOPIC,
    "--group",
    "bench",
    "--session-timeout-ms",
    "6000",
    "--bootstrap",
    bootstrap,
  ]);
  const groups = new GroupAdmin({ bootstrap });
  const victimPartitions = await eventually(
    "the victim holds partitions",
    async () => {
      const d = await groups.describeGroup("bench");
      const mine = d.members.find((m) => m.clientId === "vltava-cli");
      return d.state === "Stable" && d.members.length === 4 && mine && mine.partitions.length > 0
        ? mine.partitions.map((p) => p.partition)
        : undefined;
    },
    120_000,
    100,
  );
  await Promise.all(loops.map((l) => l.stop()));
  let deathFirstMs = 0;
  let killMs = Infinity;
  loops = members.map((m) =>
    pollLoop(m, (records) => {
      if (
        deathFirstMs === 0 && performance.now() > killMs &&
        records.some((r) => victimPartitions.includes(r.partition))
      ) {
        deathFirstMs = performance.now();
      }
    })
  );
  killMs = performance.now();
  await victim.stop("SIGKILL");
  await eventually("the victim's partitions flow again", () => deathFirstMs > 0, 120_000, 10);
  rows.push({
    measure: "rebalance on member death",
    value: `${Math.round(deathFirstMs - killMs)} ms`,
    notes: "SIGKILL to the first record of its partitions elsewhere (session timeout 6 s)",
  });
  await steady.stop();
  await Promise.all(loops.map((l) => l.stop()));
  await Promise.all(members.map((m) => m.close()));
  groups.close();

  // 4. Commit throughput (a member alone in its group, six partitions per commit).
  const committer = new GroupConsumer({
    bootstrap,
    clientId: "bench-commit",
    groupId: "bench-commit",
    topics: [TOPIC],
  });
  await committer.start();
  for (const inFlight of [1, 16]) {
    let commits = 0;
    let offset = 0;
    const endMs = performance.now() + COMMIT_SECONDS * 1000;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (performance.now() < endMs) {
        const at = ++offset;
        await committer.commit(
          Array.from({ length: 6 }, (_, partition) => ({ topic: TOPIC, partition, offset: at })),
        );
        commits++;
      }
    }));
    rows.push({
      measure: `commits, ${inFlight} in flight`,
      value: `${Math.round(commits / COMMIT_SECONDS).toLocaleString("en-US")} commits/s`,
      notes: "OffsetCommit of 6 partitions, appended to __consumer_offsets",
    });
  }
  await committer.close();

  console.log("| measure | value | notes |");
  console.log("|---|---:|---|");
  for (const row of rows) console.log(`| ${row.measure} | ${row.value} | ${row.notes} |`);
}

if (import.meta.main) await run();
