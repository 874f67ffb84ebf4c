/**
 * Consumer groups end to end with real processes: `vltava consume T --group G` members sharing a
 * topic's partitions, members stopping cleanly and being SIGKILLed, the coordinator's broker
 * killed and restarted, offset resets and group deletion through the CLI.
 */
import assert from "node:assert/strict";
import { createTopics, startCluster, type TestCluster } from "../helpers/cluster.ts";
import { eventually, runCli, RunningProgram } from "../helpers/program.ts";
import { Producer } from "../../src/client/producer.ts";

/** Groups start their first rebalance after this, not after the 3 s default. */
const BROKER_ARGS = ["--group-initial-rebalance-delay-ms", "500"];
const LONG = 120_000;

interface Line {
  partition: number;
  offset: number;
  value: string;
}

/** A `vltava consume --group` child printing JSON lines. */
function startMember(
  cluster: TestCluster,
  topic: string,
  group: string,
  extra: string[] = [],
): RunningProgram {
  return new RunningProgram([
    "consume",
    topic,
    "--group",
    group,
    "--from-beginning",
    "--format",
    "json",
    "--session-timeout-ms",
    "6000",
    "--commit-interval-ms",
    "200",
    "--bootstrap",
    cluster.bootstrap,
    ...extra,
  ]);
}

function linesOf(member: RunningProgram): Line[] {
  return member.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

/** Partitions from the member's latest "assigned" line, or undefined before the first. */
function assignedTo(member: RunningProgram): number[] | undefined {
  const lines = member.stderr.split("\n").filter((l) => l.includes("assigned"));
  if (lines.length === 0) return undefined;
  const list = lines[lines.length - 1].replace(/.*assigned /, "").trim();
  return list === "nothing" ? [] : list.split(",").map((tp) => Number(tp.slice(tp.lastIndexOf("-") + 1)));
}

async function produce(bootstrap: string, topic: string, from: number, to: number, partitions = 6) {
  const producer = new Producer({ bootstrap });
  try {
    await Promise.all(
      Array.from(
        { length: to - from },
        (_, i) => producer.send({ topic, partition: (from + i) % partitions, value: `r${from + i}` }),
      ),
    );
  } finally {
    await producer.close();
  }
}

function createTopic(bootstrap: string, name: string, partitions: number) {
  return createTopics(bootstrap, [{ name, partitions }]);
}

function valuesOf(members: RunningProgram[]): string[] {
  return members.flatMap((m) => linesOf(m).map((l) => l.value));
}

/** Wait until records r0..r(n-1) all appear in the members' output. */
async function allConsumed(members: RunningProgram[], n: number) {
  await eventually(
    `all ${n} records consumed`,
    () => {
      const seen = new Set(valuesOf(members));
      for (let i = 0; i < n; i++) if (!seen.has(`r${i}`)) return false;
      return true;
    },
    LONG,
    200,
  );
}

Deno.test({
  name: "three members share six partitions; a clean stop and a SIGKILL move partitions, nothing is lost",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using cluster = await startCluster({ brokers: 1, brokerArgs: BROKER_ARGS });
    await createTopic(cluster.bootstrap, "orders", 6);
    await using a = startMember(cluster, "orders", "billing");
    await using b = startMember(cluster, "orders", "billing");
    await using c = startMember(cluster, "orders", "billing");
    const members = [a, b, c];
    await eventually(
      "two partitions each",
      () => members.every((m) => assignedTo(m)?.length === 2),
      LONG,
      200,
    );
    const union = members.flatMap((m) => assignedTo(m)!).sort();
    assert.deepEqual(union, [0, 1, 2, 3, 4, 5]);

    await produce(cluster.bootstrap, "orders", 0, 300);
    await allConsumed(members, 300);

    // Clean stop: a commits what it printed and leaves; b and c take its partitions.
    const aPartitions = assignedTo(a)!;
    const status = await a.stop("SIGTERM");
    assert.equal(status.code, 0, a.stderr);
    await eventually(
      "b and c hold all six",
      () => {
        const held = [...assignedTo(b)!, ...assignedTo(c)!].sort();
        return held.length === 6 && held.every((p, i) => p === i);
      },
      LONG,
      200,
    );
    await produce(cluster.bootstrap, "orders", 300, 600);
    await allConsumed(members, 600);

    // SIGKILL: b's session times out; c ends up with everything.
    const bPartitions = assignedTo(b)!;
    await b.stop("SIGKILL");
    await eventually("c holds all six", () => assignedTo(c)?.length === 6, LONG, 200);
    await produce(cluster.bootstrap, "orders", 600, 900);
    await allConsumed(members, 900);

    // Duplicates only where at-least-once allows them: partitions of the killed member (records it
    // processed after its last commit). The clean stop committed everything it printed.
    const counts = new Map<string, number>();
    for (const m of members) for (const l of linesOf(m)) counts.set(l.value, (counts.get(l.value) ?? 0) + 1);
    for (const [value, count] of counts) {
      if (count === 1) continue;
      const index = Number(value.slice(1));
      assert.ok(
        bPartitions.includes(index % 6),
        `${value} seen ${count} times but its partition ${
          index % 6
        } was not the killed member's (a had ${aPartitions})`,
      );
    }
    await c.stop("SIGTERM");
  },
});

Deno.test({
  name:
    "group describe shows members and lag; reset-offsets replays from earliest or a time, refused while members exist",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using cluster = await startCluster({ brokers: 1, brokerArgs: BROKER_ARGS });
    const bootstrap = cluster.bootstrap;
    await createTopic(bootstrap, "events", 2);
    await produce(bootstrap, "events", 0, 10, 2);
    // Every record after this instant has a timestamp at or after it.
    const splitMs = await eventually("a fresh millisecond", () => {
      const now = Date.now();
      return now;
    });
    await eventually("time moves past the split", () => Date.now() > splitMs + 1, 5000, 2);
    await produce(bootstrap, "events", 10, 20, 2);

    const consumeAll = async (max: number) => {
      const result = await runCli([
        "consume",
        "events",
        "--group",
        "audit",
        "--from-beginning",
        "--max-messages",
        String(max),
        "--timeout-ms",
        "15000",
        "--bootstrap",
        bootstrap,
      ]);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout.trim().split("\n").filter((l) => l !== "").sort();
    };
    assert.equal((await consumeAll(20)).length, 20);

    const described = await runCli(["group", "describe", "audit", "--json", "--bootstrap", bootstrap]);
    assert.equal(described.code, 0, described.stderr);
    const group = JSON.parse(described.stdout);
    assert.equal(group.state, "Empty");
    assert.equal(group.totalLag, 0);
    assert.deepEqual(group.offsets.map((o: { committedOffset: number }) => o.committedOffset), [10, 10]);

    const listed = await runCli(["group", "list", "--bootstrap", bootstrap]);
    assert.match(listed.stdout, /audit\W+Empty/);

    // Dry run changes nothing.
    const dry = await runCli([
      "group",
      "reset-offsets",
      "audit",
      "--topic",
      "events",
      "--to-earliest",
      "--dry-run",
      "--bootstrap",
      bootstrap,
    ]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /dry run/);
    const after = JSON.parse(
      (await runCli(["group", "describe", "audit", "--json", "--bootstrap", bootstrap])).stdout,
    );
    assert.equal(after.totalLag, 0);

    // To earliest: everything again.
    const reset = await runCli([
      "group",
      "reset-offsets",
      "audit",
      "--topic",
      "events",
      "--to-earliest",
      "--bootstrap",
      bootstrap,
    ]);
    assert.equal(reset.code, 0, reset.stderr);
    const lagged = JSON.parse(
      (await runCli(["group", "describe", "audit", "--json", "--bootstrap", bootstrap])).stdout,
    );
    assert.equal(lagged.totalLag, 20);
    const replay = await consumeAll(20);
    assert.deepEqual(replay, Array.from({ length: 20 }, (_, i) => `r${i}`).sort());

    // To a time: the first record at or after it, i.e. the second half.
    const toTime = await runCli([
      "group",
      "reset-offsets",
      "audit",
      "--topic",
      "events",
      "--to-time",
      new Date(splitMs + 1).toISOString(),
      "--bootstrap",
      bootstrap,
    ]);
    assert.equal(toTime.code, 0, toTime.stderr);
    assert.deepEqual(await consumeAll(10), Array.from({ length: 10 }, (_, i) => `r${10 + i}`).sort());

    // --to-offset, --to-latest and --shift-by (both signs), read back through group describe --json;
    // each partition's log is [0, 10), and every target is clamped to it.
    const resetTo = async (...flags: string[]) => {
      const result = await runCli([
        "group",
        "reset-offsets",
        "audit",
        "--topic",
        "events",
        ...flags,
        "--bootstrap",
        bootstrap,
      ]);
      assert.equal(result.code, 0, `${flags.join(" ")}: ${result.stderr}`);
      const described = JSON.parse(
        (await runCli(["group", "describe", "audit", "--json", "--bootstrap", bootstrap])).stdout,
      );
      const offsets = described.offsets as {
        partition: number;
        committedOffset: number;
        logEndOffset?: number;
      }[];
      return {
        committed: [...offsets].sort((x, y) => x.partition - y.partition).map((o) => o.committedOffset),
        totalLag: described.totalLag as number,
      };
    };
    assert.deepEqual(await resetTo("--to-offset", "3"), { committed: [3, 3], totalLag: 14 });
    assert.deepEqual(await resetTo("--shift-by", "2"), { committed: [5, 5], totalLag: 10 });
    assert.deepEqual(await resetTo("--shift-by", "-4"), { committed: [1, 1], totalLag: 18 });
    assert.deepEqual(
      await resetTo("--shift-by=-5"),
      { committed: [0, 0], totalLag: 20 },
      "clamped to log start",
    );
    assert.deepEqual(
      await resetTo("--shift-by", "100"),
      { committed: [10, 10], totalLag: 0 },
      "clamped to log end",
    );
    assert.deepEqual(
      await resetTo("--to-offset", "50"),
      { committed: [10, 10], totalLag: 0 },
      "clamped to log end",
    );
    assert.deepEqual(await resetTo("--to-offset", "0"), { committed: [0, 0], totalLag: 20 });
    assert.deepEqual(await resetTo("--to-latest"), { committed: [10, 10], totalLag: 0 });

    // While a member is in the group: refused with a clear error; delete refused too.
    await using member = startMember(cluster, "events", "audit");
    await eventually("the member joined", () => assignedTo(member)?.length === 2, LONG, 200);
    const refused = await runCli([
      "group",
      "reset-offsets",
      "audit",
      "--topic",
      "events",
      "--to-earliest",
      "--bootstrap",
      bootstrap,
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /has 1 member\(s\).*stop its consumers/);
    const describedLive = JSON.parse(
      (await runCli(["group", "describe", "audit", "--json", "--bootstrap", bootstrap])).stdout,
    );
    assert.equal(describedLive.state, "Stable");
    assert.equal(describedLive.members.length, 1);
    assert.equal(describedLive.members[0].clientId, "vltava-cli");
    assert.match(describedLive.members[0].clientHost, /127\.0\.0\.1/);
    const deleteRefused = await runCli(["group", "delete", "audit", "--bootstrap", bootstrap]);
    assert.equal(deleteRefused.code, 1);
    assert.match(deleteRefused.stderr, /still has members/);
    await member.stop("SIGTERM");

    const deleted = await runCli(["group", "delete", "audit", "--bootstrap", bootstrap]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await runCli(["group", "describe", "audit", "--json", "--bootstrap", bootstrap]);
    assert.equal(JSON.parse(gone.stdout).state, "Dead");
  },
});

Deno.test({
  name:
    "the coordinator's broker is SIGKILLed and restarted: groups load from the log, consumption resumes from committed offsets",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using cluster = await startCluster({ brokers: 1, brokerArgs: BROKER_ARGS });
    await createTopic(cluster.bootstrap, "payments", 3);
    await using member = startMember(cluster, "payments", "ledger");
    await eventually("assigned", () => assignedTo(member)?.length === 3, LONG, 200);
    await produce(cluster.bootstrap, "payments", 0, 150, 3);
    await allConsumed([member], 150);
    // Let a commit land, then kill the broker hosting the coordinator and the data.
    await eventually(
      "offsets committed",
      async () => {
        const d = await runCli(["group", "describe", "ledger", "--json", "--bootstrap", cluster.bootstrap]);
        return d.code === 0 && JSON.parse(d.stdout).totalLag === 0;
      },
      LONG,
      300,
    );
    // Kill the member and the broker hosting the coordinator and every log.
    await member.stop("SIGKILL");
    const broker = cluster.broker(1);
    await broker.program.stop("SIGKILL");
    // Its ephemeral registration lingers until its coordinator session expires: retry until then.
    await eventually(
      "the broker restarts",
      async () => {
        try {
          await cluster.startBroker(1, broker.port);
          return true;
        } catch {
          return false;
        }
      },
      LONG,
      500,
    );
    await produce(cluster.bootstrap, "payments", 150, 300, 3);
    // A new member starts from the offsets committed before the crash: exactly the new records.
    await using next = startMember(cluster, "payments", "ledger");
    await eventually("new records consumed", () => linesOf(next).length >= 150, LONG, 200);
    await next.stop("SIGTERM");
    const values = linesOf(next).map((l) => l.value).sort();
    assert.deepEqual(values, Array.from({ length: 150 }, (_, i) => `r${150 + i}`).sort());
  },
});
