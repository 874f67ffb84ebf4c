/**
 * The operator's views of a 3-broker cluster through the CLI: `topic describe` (leader, epoch,
 * replicas, ISR, high watermark, log end, under-replicated mark) and `cluster describe
 * --coordinator` (every registered broker live or offline, the controller and its epoch).
 * Also: a controller whose epoch was superseded cannot write partition state (fenced in the
 * coordinator by the /controller_epoch version check).
 */
import assert from "node:assert/strict";
import { startCluster } from "../helpers/cluster.ts";
import { eventually, runCli } from "../helpers/program.ts";
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";
import { Controller } from "../../src/broker/controller/controller.ts";
import { ClusterProbe, FAST_SESSION_ARGS } from "./controller-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "topic describe and cluster describe show leadership, offsets and a dead broker",
  options,
  async () => {
    await using cluster = await startCluster({ brokers: 3, brokerArgs: FAST_SESSION_ARGS });
    await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
    const controller = await probe.waitForController();
    const bootstrap = cluster.bootstrap;
    const created = await runCli([
      "topic",
      "create",
      "seen",
      "--partitions",
      "1",
      "--replication-factor",
      "3",
      "--bootstrap",
      bootstrap,
    ]);
    assert.equal(created.code, 0, created.stderr);
    const produced = await runCli(["produce", "seen", "--acks", "all", "--bootstrap", bootstrap], {
      stdin: "a\nb\nc\n",
    });
    assert.equal(produced.code, 0, produced.stderr);

    const healthy = await eventually("a described, fully replicated partition", async () => {
      const result = await runCli(["topic", "describe", "seen", "--json", "--bootstrap", bootstrap]);
      const [topic] = JSON.parse(result.stdout);
      const p = topic.partitions[0];
      return p.isr.length === 3 && p.highWatermark === 3 ? p : undefined;
    });
    assert.equal(healthy.logEndOffset, 3);
    assert.equal(healthy.underReplicated, false);
    assert.deepEqual([...healthy.replicas].sort(), [1, 2, 3]);

    // Kill a follower that is not the controller: under-replicated, and offline in the registry.
    const follower = healthy.replicas.find((id: number) =>
      id !== healthy.leader && id !== controller.brokerId
    );
    await cluster.broker(follower).program.stop("SIGKILL");
    const shrunk = await eventually("an under-replicated partition", async () => {
      const result = await runCli(["topic", "describe", "seen", "--bootstrap", bootstrap]);
      return result.code === 0 && /\byes\s*│?\s*$/m.test(result.stdout) ? result.stdout : undefined;
    }, 60_000);
    assert.match(shrunk, /under-replicated/);
    assert.match(shrunk, /log end/);

    const described = await runCli([
      "cluster",
      "describe",
      "--coordinator",
      cluster.coordinatorAddress,
      "--json",
    ]);
    assert.equal(described.code, 0, described.stderr);
    const status = JSON.parse(described.stdout);
    assert.deepEqual(status.controller, controller);
    assert.equal(status.controllerEpoch, controller.epoch);
    assert.deepEqual(
      status.brokers.map((b: { brokerId: number; live: boolean }) => [b.brokerId, b.live]),
      [1, 2, 3].map((id) => [id, id !== follower]),
    );
    const text = await runCli(["cluster", "describe", "--coordinator", cluster.coordinatorAddress]);
    assert.match(
      text.stdout,
      new RegExp(`controller: ${controller.brokerId} \\(epoch ${controller.epoch}\\)`),
    );
    assert.match(text.stdout, /offline/);
  },
);

Deno.test("a controller whose epoch was superseded is fenced by the coordinator", options, async () => {
  await using cluster = await startCluster({ brokers: 1 });
  await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
  const current = await probe.waitForController();
  const created = await runCli([
    "topic",
    "create",
    "fenced",
    "--partitions",
    "1",
    "--bootstrap",
    cluster.bootstrap,
  ]);
  assert.equal(created.code, 0, created.stderr);
  const before = await eventually("fenced-0 led", async () => (await probe.state("fenced", 0)) ?? undefined);
  // Make the partition need a change (a dead replica in its ISR).
  const { stat } = await probe.zk.getData("/brokers/topics/fenced/partitions/0/state");
  await probe.zk.setData(
    "/brokers/topics/fenced/partitions/0/state",
    JSON.stringify({
      version: 1,
      leader: before.leader,
      leader_epoch: before.leaderEpoch,
      isr: [before.leader, 99],
      controller_epoch: current.epoch,
    }),
    stat.version,
  );
  // A newer controller raises /controller_epoch; this one still holds the version it set.
  await using zk = await ZooKeeperClient.connect(cluster.coordinatorAddress);
  const epochNode = await zk.getData("/controller_epoch");
  await zk.setData("/controller_epoch", String(current.epoch + 1), epochNode.stat.version);
  let fenced = false;
  const stale = new Controller(zk, {
    brokerId: 42,
    epoch: current.epoch,
    epochZkVersion: epochNode.stat.version,
    requestTimeoutMs: 2000,
    resyncIntervalMs: 60_000,
    onFenced: () => fenced = true,
    log: () => {},
  });
  await stale.start();
  await stale.stop();
  assert.equal(fenced, true);
  // Fenced means the multi failed at its /controller_epoch check: none of its ops was applied.
});
