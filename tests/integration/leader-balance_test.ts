/**
 * Leaders where they belong (issue 12), with real broker processes: after every broker was
 * restarted the leaders are bunched up; `vltava topic elect-leaders` puts them back on their
 * preferred replicas (and says so), and with the automatic rebalance on, the controller does it
 * by itself within its check interval. Bad input gets a one-line error.
 */
import assert from "node:assert/strict";
import { Admin } from "../../src/client/admin.ts";
import { createTopics, startCluster, type TestCluster } from "../helpers/cluster.ts";
import { eventually, runCli } from "../helpers/program.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

/** Restart each broker in turn (clean stop, start, back in every ISR): leadership drifts away. */
async function restartEveryBroker(cluster: TestCluster, admin: Admin, topic: string): Promise<void> {
  for (const { id, port } of [...cluster.brokers]) {
    await cluster.broker(id).program.stop("SIGTERM");
    await cluster.startBroker(id, port);
    await eventually(`broker ${id} back in every ISR`, async () => {
      const [described] = await admin.describeTopics([topic]);
      return described.partitions.every((p) => p.isr.length === 3 && p.leader >= 0);
    }, 60_000);
  }
}

async function misplaced(admin: Admin, topic: string): Promise<number> {
  const [described] = await admin.describeTopics([topic]);
  return described.partitions.filter((p) => p.leader !== p.replicas[0]).length;
}

Deno.test({
  name: "elect-leaders moves leaders back to their preferred replicas after restarts",
  ...options,
  async fn() {
    await using cluster = await startCluster({ brokers: 3, brokerArgs: ["--no-auto-leader-rebalance"] });
    await cluster.waitForBrokers();
    const b = ["--bootstrap", cluster.bootstrap];
    await createTopics(cluster.bootstrap, [{ name: "bal", partitions: 6, replicationFactor: 3 }]);
    await using admin = new Admin({ bootstrap: cluster.bootstrap });
    await restartEveryBroker(cluster, admin, "bal");
    const before = await misplaced(admin, "bal");
    assert.ok(before > 0, "the last broker restarted leads none of its preferred partitions");

    let result = await runCli(["topic", "elect-leaders", "--topic", "bal", ...b]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${before} leader\\(s\\) moved, ${6 - before} left as they were`));
    assert.match(result.stdout, /elected/);
    assert.equal(await misplaced(admin, "bal"), 0);

    result = await runCli(["topic", "elect-leaders", "--topic", "bal", "--partition", "0", "--json", ...b]);
    assert.equal(result.code, 0, result.stderr);
    const [only] = JSON.parse(result.stdout);
    assert.deepEqual({ topic: only.topic, partition: only.partition, errorCode: only.errorCode }, {
      topic: "bal",
      partition: 0,
      errorCode: 84, // ELECTION_NOT_NEEDED
    });

    result = await runCli(["topic", "elect-leaders", "--topic", "bal", "--partition", "9", ...b]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim(), `error: topic "bal" has no partition 9 (it has 6)`);
    result = await runCli(["topic", "elect-leaders", "--partition", "1", ...b]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--partition needs --topic/);
  },
});

Deno.test({
  name: "the controller rebalances leaders by itself within its check interval",
  ...options,
  async fn() {
    await using cluster = await startCluster({
      brokers: 3,
      brokerArgs: ["--leader-imbalance-check-interval-seconds", "1"],
    });
    await cluster.waitForBrokers();
    await createTopics(cluster.bootstrap, [{ name: "auto", partitions: 6, replicationFactor: 3 }]);
    await using admin = new Admin({ bootstrap: cluster.bootstrap });
    await restartEveryBroker(cluster, admin, "auto");
    await eventually(
      "every leader back on its preferred replica",
      async () => await misplaced(admin, "auto") === 0,
    );
    const logs = cluster.brokers.map((broker) => broker.program.stderr).join("\n");
    assert.match(logs, /leader imbalance: electing preferred leaders of \d+ partition/);
  },
});
