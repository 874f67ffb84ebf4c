/**
 * Moving replicas on a live cluster (issue 12), with real processes: a 4th broker joins and a
 * partition moves onto it, then `cluster drain 3` empties broker 3 and `cluster rebalance`
 * evens the replicas over brokers 1, 2 and 4, all while an acks=all
 * producer writes; nothing acknowledged is lost, the moved replicas are byte-identical to their
 * leaders', the removed replicas' logs are deleted, and broker 3 then stops with no partition
 * under-replicated. A reassignment held up by a frozen target is listed and cancelled back to
 * the old replicas; growing the topic meanwhile is refused (REASSIGNMENT_IN_PROGRESS) and works
 * once it is cancelled. Bad targets get a one-line error and change nothing.
 */
import assert from "node:assert/strict";
import { Admin } from "../../src/client/admin.ts";
import { Producer } from "../../src/client/producer.ts";
import { createTopics, startCluster } from "../helpers/cluster.ts";
import { delay, eventually, freePort, runCli } from "../helpers/program.ts";
import { RawKafka, text } from "./broker-harness.ts";
import { sameBytes, segmentBytes } from "./replication-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "a broker added and a broker drained under an acks=all producer: nothing acknowledged is lost",
  ...options,
  async fn() {
    await using cluster = await startCluster({ brokers: 3 });
    await cluster.waitForBrokers();
    const b = ["--bootstrap", cluster.bootstrap];
    await createTopics(cluster.bootstrap, [{ name: "flow", partitions: 3, replicationFactor: 2 }]);
    await using admin = new Admin({ bootstrap: cluster.bootstrap });

    const acknowledged: { partition: number; value: string }[] = [];
    let producing = true;
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: "all", lingerMs: 0 });
    const writer = (async () => {
      for (let i = 0; producing; i++) {
        const value = `v${i}`;
        try {
          const metadata = await producer.send({ topic: "flow", partition: i % 3, value });
          acknowledged.push({ partition: metadata.partition, value });
        } catch {
          // Not acknowledged (a move made it fail past its retries): not promised either.
        }
      }
    })();
    try {
      await eventually("records flowing", () => acknowledged.length > 50);
      await cluster.startBroker(4, freePort());
      await cluster.waitForBrokers();
      const [before] = await admin.describeTopics(["flow"]);
      const keep = before.partitions[0].replicas[0];
      let result = await runCli([
        "topic",
        "reassign",
        "flow",
        "--partition",
        "0",
        "--replicas",
        `4,${keep}`,
        "--yes",
        ...b,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /done/);
      const moved = acknowledged.length;
      result = await runCli(["cluster", "drain", "3", "--yes", ...b]);
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
    }

    const topics = await admin.describeTopics(await admin.listTopics({ includeInternal: true }));
    for (const topic of topics) {
      for (const p of topic.partitions) {
        assert.ok(!p.replicas.includes(3), `${topic.name}-${p.partition} left on 3`);
      }
    }
    const spread = [1, 2, 4].map((id) =>
      topics.flatMap((topic) => topic.partitions).filter((p) => p.replicas.includes(id)).length
    );
    assert.ok(Math.max(...spread) - Math.min(...spread) <= 1, `replicas on brokers 1, 2, 4: ${spread}`);
    const [flow] = await admin.describeTopics(["flow"]);
    for (const p of flow.partitions) {
      const leader = cluster.broker(p.leader);
      await using raw = await RawKafka.connect(leader.port);
      const stored = new Set((await raw.readAll("flow", p.partition)).map((record) => text(record.value)));
      const mine = acknowledged.filter((a) => a.partition === p.partition);
      assert.deepEqual(
        mine.filter((a) => !stored.has(a.value)),
        [],
        `acknowledged records of flow-${p.partition} lost`,
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
    const after = await admin.describeTopics(["flow"]);
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
