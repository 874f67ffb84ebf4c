/**
 * Replication throttles on a live cluster (issue 12), as Kafka's: with
 * leader.replication.throttled.rate set for every broker (`vltava cluster config set`) and a
 * topic's leader.replication.throttled.replicas=*, a reassignment copying that topic gets one
 * batch and waits, while an unthrottled topic's copy finishes; deleting the rate lets the
 * throttled copy finish at once (applied live, no restart). `topic reassign --throttle` sets its
 * throttle and removes it when the move is done. Bad broker configs get one line and change
 * nothing.
 */
import assert from "node:assert/strict";
import { Admin } from "../../src/client/admin.ts";
import { Producer } from "../../src/client/producer.ts";
import { createTopics, startCluster } from "../helpers/cluster.ts";
import { eventually, runCli } from "../helpers/program.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const RATE = "leader.replication.throttled.rate";

Deno.test({
  name: "a throttled copy waits while an unthrottled one finishes; lifting the rate live lets it finish",
  ...options,
  async fn() {
    await using cluster = await startCluster({ brokers: 3 });
    await cluster.waitForBrokers();
    const b = ["--bootstrap", cluster.bootstrap];
    await createTopics(cluster.bootstrap, [
      { name: "slow", partitions: 1, replicationFactor: 1 },
      { name: "fast", partitions: 1, replicationFactor: 1 },
    ]);
    await using admin = new Admin({ bootstrap: cluster.bootstrap });
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: "all", lingerMs: 0 });
    try {
      const value = "x".repeat(1000);
      // One batch per record: the throttled copy can take only the first.
      for (let i = 0; i < 20; i++) {
        await producer.send({ topic: "slow", partition: 0, value });
        await producer.send({ topic: "fast", partition: 0, value });
      }
    } finally {
      await producer.close();
    }

    const refused = async (pair: string, pattern: RegExp) => {
      const result = await runCli(["cluster", "config", "set", pair, ...b]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split("\n").length, 1, "one line");
    };
    await refused("log.dirs=/elsewhere", /log.dirs is not a dynamic broker config/);
    await refused(`${RATE}=fast`, /Invalid value "fast" for leader.replication.throttled.rate/);

    const [slow, fast] = await admin.describeTopics(["slow", "fast"]);
    const slowFrom = slow.partitions[0].replicas[0];
    const fastFrom = fast.partitions[0].replicas[0];
    let result = await runCli(["cluster", "config", "set", `${RATE}=1`, ...b]);
    assert.equal(result.code, 0, result.stderr);
    result = await runCli([
      "topic",
      "config",
      "set",
      "slow",
      "leader.replication.throttled.replicas=*",
      ...b,
    ]);
    assert.equal(result.code, 0, result.stderr);
    // Both are applied on notifications: wait until the leader of "slow" has both.
    const leader = cluster.broker(slowFrom).program;
    await eventually(
      "the leader of slow applying the rate and the topic's throttled replicas",
      () =>
        leader.stderr.includes(`dynamic config: {"${RATE}":"1"}`) &&
        /topic slow: configs changed/.test(leader.stderr),
    );
    // `broker config` is the same command under Kafka's name: it reads what `cluster config` set.
    result = await runCli(["broker", "config", "get", "--broker", String(slowFrom), "--json", ...b]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      JSON.parse(result.stdout).filter((entry: { name: string }) => entry.name === RATE),
      [{ name: RATE, value: "1", source: "default for every broker" }],
    );

    const other = (from: number) => [1, 2, 3].find((id) => id !== from)!;
    await admin.alterPartitionReassignments([
      { topic: "slow", partition: 0, replicas: [slowFrom, other(slowFrom)] },
      { topic: "fast", partition: 0, replicas: [fastFrom, other(fastFrom)] },
    ]);
    const moving = async () => (await admin.listPartitionReassignments()).map((r) => r.topic).sort();
    await eventually("the unthrottled copy done", async () => !(await moving()).includes("fast"));
    // At 1 byte/s after its first batch, the throttled copy cannot have caught up 20 KB.
    assert.deepEqual(await moving(), ["slow"], "the throttled copy still going");

    result = await runCli(["cluster", "config", "delete", RATE, ...b]);
    assert.equal(result.code, 0, result.stderr);
    await eventually(
      "the throttled copy done once the rate is lifted",
      async () => (await moving()).length === 0,
    );
    // The controller reports the move done once both replicas are in the ISR; a broker's metadata
    // (what describeTopics reads) hears of that ISR in the controller's next UpdateMetadata.
    const bothInSync = [slowFrom, other(slowFrom)].sort().join();
    await eventually("the moved partition's ISR holding both replicas in metadata", async () => {
      const [moved] = await admin.describeTopics(["slow"]);
      return [...moved.partitions[0].isr].sort().join() === bothInSync;
    });

    // topic reassign --throttle: set for the move, gone when it is done.
    result = await runCli([
      "topic",
      "reassign",
      "fast",
      "--partition",
      "0",
      "--replicas",
      `${other(fastFrom)},${fastFrom}`,
      "--throttle",
      "10MB",
      "--yes",
      ...b,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /done/);
    assert.match(result.stderr, /replication throttled to 10000000 bytes\/s/);
    for (const id of [fastFrom, other(fastFrom)]) {
      result = await runCli(["cluster", "config", "get", "--broker", String(id), "--json", ...b]);
      assert.equal(result.code, 0, result.stderr);
      const left = JSON.parse(result.stdout).filter((entry: { name: string }) =>
        entry.name.includes("throttled")
      );
      assert.deepEqual(left, [], `broker ${id}: the throttle removed`);
    }
    result = await runCli(["topic", "config", "get", "fast", "--json", ...b]);
    const throttled = JSON.parse(result.stdout).filter((entry: { name: string }) =>
      entry.name.includes("throttled")
    );
    assert.deepEqual(throttled.map((entry: { override: boolean }) => entry.override), [false, false]);
  },
});
