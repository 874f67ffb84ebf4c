/**
 * Moving replicas on a live cluster (issue 12), with real processes, all while an acks=all
 * producer writes: a 4th broker joins and `cluster rebalance --throttle --no-wait` starts moving
 * a fair share of replicas and preferred leaders onto it; the controller is SIGKILLed with the
 * copies held in flight by the throttle, the next controller lists them from the coordinator and
 * finishes them once the operator lifts the throttle with the commands the rebalance printed. Then
 * `cluster drain 3` empties broker 3 and `cluster rebalance` evens the replicas over brokers 1, 2
 * and 4. Every acknowledged record is read back exactly once and in order, every replica is
 * byte-identical to its leader's, the removed replicas' logs are deleted, and broker 3 then stops
 * with no partition under-replicated. A reassignment held up by a frozen target is listed and
 * cancelled back to the old replicas; growing the topic meanwhile is refused
 * (REASSIGNMENT_IN_PROGRESS) and works once it is cancelled. Bad targets get a one-line error and
 * change nothing.
 */
import assert from "node:assert/strict";
import { Admin } from "../../src/client/admin.ts";
import { Producer } from "../../src/client/producer.ts";
import { createTopics, startCluster, type TestCluster } from "../helpers/cluster.ts";
import { delay, eventually, freePort, programCommand, runCli } from "../helpers/program.ts";
import { RawKafka, text } from "./broker-harness.ts";
import { sameBytes, segmentBytes } from "./replication-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const LEADER_RATE = "leader.replication.throttled.rate";
const LEADER_REPLICAS = "leader.replication.throttled.replicas";

/** An Admin bootstrapping from these brokers only (not from one that is down). */
function adminOf(cluster: TestCluster, ids: number[]): Admin {
  const bootstrap = ids.map((id) => `127.0.0.1:${cluster.broker(id).port}`).join(",");
  return new Admin({ bootstrap });
}

/**
 * Start `cluster rebalance --throttle 1 --no-wait` onto the new broker 4 and SIGKILL the
 * controller while the copies are in flight; the next controller finishes them once the
 * throttle is lifted.
 */
async function rebalanceThroughControllerKill(cluster: TestCluster, admin: Admin): Promise<void> {
  const b = ["--bootstrap", cluster.bootstrap];
  const flowHosts = new Set((await admin.describeTopics(["flow"]))[0].partitions.flatMap((p) => p.replicas));
  // The rebalance sets its throttle just before it starts the moves, and brokers apply configs on
  // a notification: a copy could outrun it. The same throttle set ahead (leaders of flow at 1
  // byte/s to out-of-sync followers only, so the producer is not held back) and seen applied keeps
  // the copies onto broker 4 in flight until lifted, whatever the timing.
  for (
    const args of [["cluster", "config", "set", `${LEADER_RATE}=1`], [
      "topic",
      "config",
      "set",
      "flow",
      `${LEADER_REPLICAS}=*`,
    ]]
  ) {
    const result = await runCli([...args, ...b]);
    assert.equal(result.code, 0, result.stderr);
  }
  await eventually(
    "every broker applying the rate and flow's hosts its throttled replicas",
    () =>
      cluster.brokers.every(({ id, program }) =>
        program.stderr.includes(`dynamic config: {"${LEADER_RATE}":"1"}`) &&
        (!flowHosts.has(id) ||
          /topic flow: configs changed to .*\["leader\.replication\.throttled\.replicas","\*"\]/.test(
            program.stderr,
          ))
      ),
    60_000,
  );

  const result = await runCli([
    "cluster",
    "rebalance",
    "--yes",
    "--throttle",
    "1",
    "--no-wait",
    "--json",
    ...b,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const started = JSON.parse(result.stdout) as {
    moves: { topic: string; replicas: number[]; from: number[] }[];
    started: boolean;
    unthrottle: string[];
  };
  assert.equal(started.started, true);
  assert.ok(
    started.moves.some((m) => m.topic === "flow" && m.replicas.includes(4) && !m.from.includes(4)),
    `a replica of flow planned onto broker 4: ${result.stdout}`,
  );
  const copyingOnto4 = async (via: Admin) =>
    (await via.listPartitionReassignments()).some((r) => r.topic === "flow" && r.adding.includes(4));
  await eventually("copies onto broker 4 in flight", () => copyingOnto4(admin), 60_000);

  const killed = await eventually("a controller", async () => {
    const { controllerId } = await admin.describeCluster();
    return controllerId > 0 ? controllerId : false;
  }, 60_000);
  await cluster.broker(killed).program.stop("SIGKILL");
  await using survivors = adminOf(cluster, [1, 2, 3, 4].filter((id) => id !== killed));
  await eventually("another controller", async () => {
    const { controllerId } = await survivors.describeCluster();
    return controllerId > 0 && controllerId !== killed;
  }, 60_000);
  // The moves live in the coordinator: the new controller lists what the dead one had started.
  await eventually(
    "the new controller listing the copies onto broker 4",
    () => copyingOnto4(survivors),
    60_000,
  );
  // The killed broker comes back as an operator would bring it back (a target may name it).
  await cluster.startBroker(killed, cluster.broker(killed).port);
  await cluster.waitForBrokers();

  // Lift the throttle: the one set ahead, then what the rebalance printed to run.
  assert.ok(started.unthrottle.length > 0, result.stdout);
  for (const command of [`vltava cluster config delete ${LEADER_RATE}`, ...started.unthrottle]) {
    const [program, ...args] = command.split(" ");
    assert.equal(program, "vltava");
    const lifted = await runCli([...args, ...b]);
    assert.equal(lifted.code, 0, `${command}: ${lifted.stderr}`);
  }
  await eventually(
    "every move done under the new controller",
    async () => (await admin.listPartitionReassignments()).length === 0,
    120_000,
  );
}

/**
 * Run the CLI on a terminal (a pseudo-terminal from util-linux `script`) typing `input`; its
 * exit code and everything it wrote (the terminal mixes stdout and stderr).
 */
async function onTerminal(args: string[], input: string): Promise<{ code: number; output: string }> {
  const line = [...programCommand(), ...args].map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", line, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  return { code, output: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

/** Every partition's replicas, of every topic (internal ones too: the rebalance plans them). */
async function allPartitions(admin: Admin) {
  const topics = await admin.describeTopics(await admin.listTopics({ includeInternal: true }));
  return topics.flatMap((topic) => topic.partitions.map((p) => ({ topic: topic.name, ...p })));
}

Deno.test({
  name:
    "rebalance onto a 4th broker survives the controller's SIGKILL, then a broker is drained, under an acks=all producer",
  ...options,
  async fn() {
    await using cluster = await startCluster({ brokers: 3 });
    await cluster.waitForBrokers();
    const b = ["--bootstrap", cluster.bootstrap];
    await createTopics(cluster.bootstrap, [{ name: "flow", partitions: 4, replicationFactor: 2 }]);

    const acknowledged: { partition: number; value: string }[] = [];
    let producing = true;
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: "all", lingerMs: 0 });
    const writer = (async () => {
      for (let i = 0; producing; i++) {
        const value = `v${i}`;
        try {
          const metadata = await producer.send({ topic: "flow", partition: i % 4, value });
          acknowledged.push({ partition: metadata.partition, value });
        } catch {
          // Not acknowledged (a move or the kill made it fail past its retries): not promised either.
        }
      }
    })();
    let admin: Admin | undefined;
    try {
      await eventually("records flowing", () => acknowledged.length > 50);
      await cluster.startBroker(4, freePort());
      await cluster.waitForBrokers();
      admin = adminOf(cluster, [1, 2, 3, 4]);
      await rebalanceThroughControllerKill(cluster, admin);

      // A fair share on broker 4: the replicas within one of each other's counts, and as many
      // preferred leaders as a quarter of the partitions.
      let partitions = await allPartitions(admin);
      const replicasOn = [1, 2, 3, 4].map((id) => partitions.filter((p) => p.replicas.includes(id)).length);
      assert.ok(
        Math.max(...replicasOn) - Math.min(...replicasOn) <= 1,
        `replicas on brokers 1-4: ${replicasOn}`,
      );
      const fairLeaders = Math.floor(partitions.length / 4);
      const preferredOn4 = partitions.filter((p) => p.replicas[0] === 4).length;
      assert.ok(
        preferredOn4 >= fairLeaders,
        `broker 4 preferred for ${preferredOn4} of ${partitions.length}`,
      );
      // Leadership follows once asked (the killed broker must be back in its ISRs first).
      const probe = admin;
      partitions = await eventually(
        "every partition led by its preferred replica",
        async () => {
          await probe.electLeaders("preferred", null);
          const now = await allPartitions(probe);
          return now.every((p) => p.leader === p.replicas[0]) && now;
        },
        120_000,
        1_000,
      );
      assert.ok(partitions.filter((p) => p.leader === 4).length >= fairLeaders, "broker 4 leads its share");
      const [flow] = await admin.describeTopics(["flow"]);
      assert.ok(flow.partitions.some((p) => p.replicas.includes(4)), "flow has replicas on broker 4");

      const moved = acknowledged.length;
      let result = await runCli(["cluster", "drain", "3", "--yes", ...b]);
      assert.equal(result.code, 0, result.stderr);
      // Then an even spread over the brokers that stay: shown first, then done.
      const rebalance = ["cluster", "rebalance", "--brokers", "1,2,4"];
      result = await runCli([...rebalance, "--dry-run", "--json", ...b]);
      assert.equal(result.code, 0, result.stderr);
      const planned = JSON.parse(result.stdout);
      assert.equal(planned.started, false);
      result = await runCli([...rebalance, "--yes", ...b]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, planned.moves.length > 0 ? /done/ : /nothing to move/);
      await eventually("more records after the moves", () => acknowledged.length > moved + 50);
    } finally {
      producing = false;
      await writer;
      // Records refused during the moves were never acknowledged; the check below is what counts.
      await producer.close().catch(() => undefined);
      admin?.close();
    }

    await using final = adminOf(cluster, [1, 2, 3, 4]);
    const partitions = await allPartitions(final);
    assert.deepEqual(
      partitions.filter((p) => p.replicas.includes(3)).map((p) => `${p.topic}-${p.partition}`),
      [],
    );
    const spread = [1, 2, 4].map((id) => partitions.filter((p) => p.replicas.includes(id)).length);
    assert.ok(Math.max(...spread) - Math.min(...spread) <= 1, `replicas on brokers 1, 2, 4: ${spread}`);
    // A partition whose leader just moved can be between leaders: wait until each has one.
    const flow = await eventually("every partition of flow led", async () => {
      const [described] = await final.describeTopics(["flow"]);
      return described.partitions.every((p) => p.leader > 0) ? described : undefined;
    }, 60_000);
    for (const p of flow.partitions) {
      const leader = cluster.broker(p.leader);
      await using raw = await RawKafka.connect(leader.port);
      const mine = acknowledged.filter((a) => a.partition === p.partition).map((a) => a.value);
      const wanted = new Set(mine);
      const stored = (await raw.readAll("flow", p.partition)).map((record) => text(record.value) ?? "");
      // Each acknowledged record once, in the order acknowledged (the producer is idempotent).
      assert.deepEqual(
        stored.filter((value) => wanted.has(value)),
        mine,
        `flow-${p.partition} as acknowledged`,
      );
      // Every replica holds the same bytes once the followers caught up.
      await eventually(`flow-${p.partition} replicas identical`, async () => {
        const logs = await Promise.all(
          p.replicas.map((id) => segmentBytes(cluster.broker(id).dataDir, "flow", p.partition)),
        );
        return logs.every((log) => sameBytes(log, logs[0])) && logs[0].length > 0;
      });
    }
    await eventually("broker 3's removed replicas deleted", async () => {
      for await (const entry of Deno.readDir(cluster.broker(3).dataDir)) {
        if (entry.name.startsWith("flow-")) return false;
      }
      return true;
    });

    await cluster.broker(3).program.stop("SIGTERM");
    await delay(500);
    const after = await final.describeTopics(["flow"]);
    assert.deepEqual(after[0].partitions.filter((p) => p.underReplicated), [], "nothing under-replicated");
  },
});

Deno.test({
  name: "bad reassignments are refused and change nothing; a reassignment in progress is cancelled",
  ...options,
  async fn() {
    await using cluster = await startCluster({ brokers: 3, brokerArgs: ["--session-timeout-ms", "30000"] });
    await cluster.waitForBrokers();
    const b = ["--bootstrap", cluster.bootstrap];
    await createTopics(cluster.bootstrap, [{ name: "c", partitions: 1, replicationFactor: 2 }]);
    await using admin = new Admin({ bootstrap: cluster.bootstrap });
    const replicas = async () => (await admin.describeTopics(["c"]))[0].partitions[0].replicas;
    // The replicas: the controller and one other; the spare (frozen below) must not be the controller.
    const controllerId = await eventually("a controller", async () => {
      const { controllerId } = await admin.describeCluster();
      return controllerId > 0 ? controllerId : false;
    });
    const other = [1, 2, 3].find((id) => id !== controllerId)!;
    const spare = [1, 2, 3].find((id) => id !== controllerId && id !== other)!;
    const setUp = await runCli([
      "topic",
      "reassign",
      "c",
      "--partition",
      "0",
      "--replicas",
      `${controllerId},${other}`,
      "--yes",
      ...b,
    ]);
    assert.equal(setUp.code, 0, setUp.stderr);
    // Brokers hear of the change through UpdateMetadata, after the controller wrote it.
    const original = await eventually(
      "the set-up move in the metadata",
      async () => (await replicas()).join(",") === `${controllerId},${other}` && await replicas(),
    );
    const [first] = original;
    // Clients must not wait on the frozen broker.
    const reachable = [
      "--bootstrap",
      cluster.brokers.filter((x) => x.id !== spare).map((x) => `127.0.0.1:${x.port}`).join(","),
    ];

    const refused = async (args: string[], code: number, pattern: RegExp) => {
      const result = await runCli(["topic", "reassign", "c", ...args, "--yes", ...b]);
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split("\n").length, 1, "one line");
    };
    await refused(["--partition", "0", "--replicas", `${first},9`], 1, /unknown broker 9/);
    await refused(["--partition", "0", "--replicas", `${first},${first}`], 1, /name a broker twice/);
    await refused(["--partition", "0", "--replicas", ""], 2, /--replicas expects broker ids/);
    await refused(["--partition", "5", "--replicas", `${first}`], 1, /has no partition 5/);
    await refused(["--partition", "0", "--cancel"], 1, /not being reassigned/);
    assert.deepEqual(await replicas(), original);
    // On a terminal a move is shown and asked about first; "n" moves nothing.
    const reordered = [...original].reverse().join(",");
    const asked = await onTerminal(
      ["topic", "reassign", "c", "--partition", "0", "--replicas", reordered, ...b],
      "n\n",
    );
    assert.equal(asked.code, 1, asked.output);
    assert.match(asked.output, /replicas after[\s\S]*move 1 partition\(s\)\? \[y\/N\][\s\S]*nothing moved/);
    assert.deepEqual(await admin.listPartitionReassignments(), []);
    assert.deepEqual(await replicas(), original);

    // A frozen target cannot catch up: the reassignment stays in progress until cancelled.
    cluster.broker(spare).program.signal("SIGSTOP");
    try {
      // Straight to the controller, quickly: the target must still be registered when it checks.
      await using starter = new Admin({ bootstrap: reachable[1] });
      await starter.alterPartitionReassignments([{
        topic: "c",
        partition: 0,
        replicas: [...original, spare],
      }]);
      const listed = await runCli(["topic", "reassign", "--list", "--json", ...reachable]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(JSON.parse(listed.stdout), [{
        topic: "c",
        partition: 0,
        replicas: [...original, spare],
        adding: [spare],
        removing: [],
      }]);
      // Growing the topic meanwhile is refused (as Kafka) and leaves the reassignment as it was.
      const grow = await runCli(["topic", "alter", "c", "--partitions", "2", ...reachable]);
      assert.equal(grow.code, 1, grow.stderr);
      assert.match(grow.stderr, /REASSIGNMENT_IN_PROGRESS.*reassignment in progress \(partition 0\)/);
      assert.equal(grow.stderr.trim().split("\n").length, 1, "one line");
      const still = await runCli(["topic", "reassign", "--list", "--json", ...reachable]);
      assert.deepEqual(JSON.parse(still.stdout), JSON.parse(listed.stdout));
      const cancel = await runCli(["topic", "reassign", "c", "--partition", "0", "--cancel", ...reachable]);
      assert.equal(cancel.code, 0, cancel.stderr);
      await using sparing = new Admin({ bootstrap: reachable[1] });
      await eventually(
        "the original replicas back in the metadata",
        async () =>
          (await sparing.describeTopics(["c"]))[0].partitions[0].replicas.join(",") === original.join(","),
      );
      assert.deepEqual(await sparing.listPartitionReassignments(), []);
    } finally {
      cluster.broker(spare).program.signal("SIGCONT");
    }
    // Once nothing moves, the topic grows.
    const grow = await runCli(["topic", "alter", "c", "--partitions", "2", ...b]);
    assert.equal(grow.code, 0, grow.stderr);
    await eventually(
      "2 partitions",
      async () => (await admin.describeTopics(["c"]))[0].partitions.length === 2,
    );
  },
});

Deno.test({
  name: "topic alter changes the replication factor by reassignment and grows the partition count",
  ...options,
  async fn() {
    await using cluster = await startCluster({ brokers: 3 });
    await cluster.waitForBrokers();
    const b = ["--bootstrap", cluster.bootstrap];
    await createTopics(cluster.bootstrap, [{ name: "rf", partitions: 2, replicationFactor: 1 }]);
    await using admin = new Admin({ bootstrap: cluster.bootstrap });
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: "all" });
    for (let i = 0; i < 20; i++) await producer.send({ topic: "rf", partition: i % 2, value: `r${i}` });
    await producer.close();
    const [before] = await admin.describeTopics(["rf"]);

    let result = await runCli(["topic", "alter", "rf", "--replication-factor", "3", "--yes", ...b]);
    assert.equal(result.code, 0, result.stderr);
    // Progress in bytes (not a terminal: plain lines); the last one: everything moved and copied.
    const last = result.stderr.trim().split("\n").filter((line) => / moved/.test(line)).at(-1) ?? "";
    assert.match(last, /^(\d+) of \1 partition\(s\) moved, ([\d.]+ k?B) of \2 copied/, result.stderr);
    let [rf] = await eventually("3 replicas in sync in the metadata", async () => {
      const described = await admin.describeTopics(["rf"]);
      return described[0].partitions.every((p) => p.replicas.length === 3 && p.isr.length === 3) && described;
    });
    for (const p of rf.partitions) {
      assert.equal(p.replicas.length, 3);
      assert.equal(p.replicas[0], before.partitions[p.partition].replicas[0], "the preferred leader stays");
      assert.equal(p.isr.length, 3);
      assert.equal(p.highWatermark, 10);
    }
    result = await runCli(["topic", "alter", "rf", "--replication-factor", "2", "--yes", ...b]);
    assert.equal(result.code, 0, result.stderr);
    await eventually("2 replicas in the metadata", async () => {
      [rf] = await admin.describeTopics(["rf"]);
      return rf.partitions.every((p) => p.replicas.length === 2);
    });

    result = await runCli(["topic", "alter", "rf", "--replication-factor", "5", "--yes", ...b]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /replication factor 5 needs that many live brokers: 3 live/);
    result = await runCli(["topic", "alter", "rf", "--partitions", "4", ...b]);
    assert.equal(result.code, 0, result.stderr);
    await eventually(
      "4 partitions",
      async () => (await admin.describeTopics(["rf"]))[0].partitions.length === 4,
    );
  },
});
