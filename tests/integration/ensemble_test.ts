/**
 * Brokers on a 3-node Apache ZooKeeper 3.8 ensemble (issue 12), under a chroot so clusters can
 * share it: with an acks=all producer running, the ZooKeeper leader is SIGKILLed (the ensemble
 * elects another and the brokers' sessions move to a live server), then a reassignment is started
 * and the controller broker is SIGKILLed midway; another controller finishes it from the state in
 * the coordinator. Nothing acknowledged is lost.
 */
import assert from "node:assert/strict";
import { Admin } from "../../src/client/admin.ts";
import { Producer } from "../../src/client/producer.ts";
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";
import { createTopics, TestCluster } from "../helpers/cluster.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { eventually, freePortRun, freePorts, RunningProgram, tempDir } from "../helpers/program.ts";
import { startRealZooKeeperEnsemble } from "../helpers/real-zookeeper.ts";
import { RawKafka, text } from "./broker-harness.ts";

peerTest(
  "on a 3-node ZooKeeper 3.8 ensemble: its leader killed, then the controller killed mid-reassignment",
  [PEERS.zookeeper],
  async () => {
    // Tick 500 ms: sessions of up to 10 s are granted as asked (a frozen broker keeps its own).
    await using ensemble = await startRealZooKeeperEnsemble(3, { tickTimeMs: 500 });
    const connect = `${ensemble.connectString}/vltava-ops`;
    await using cluster = new TestCluster(await tempDir("vltava-ensemble-"), 0, {
      coordinatorConnect: connect,
      brokerArgs: ["--session-timeout-ms", "10000"],
    });
    for (const [i, port] of freePorts(3).entries()) await cluster.startBroker(i + 1, port);
    await cluster.waitForBrokers();
    await createTopics(cluster.bootstrap, [{ name: "ens", partitions: 2, replicationFactor: 2 }]);

    const acknowledged: { partition: number; value: string }[] = [];
    let producing = true;
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: "all", lingerMs: 0 });
    const writer = (async () => {
      for (let i = 0; producing; i++) {
        try {
          const metadata = await producer.send({ topic: "ens", partition: i % 2, value: `v${i}` });
          acknowledged.push({ partition: metadata.partition, value: `v${i}` });
        } catch {
          // Not acknowledged, not promised: only acknowledged records are checked below.
        }
      }
    })();
    let admin: Admin | undefined;
    let killed = -1;
    try {
      await eventually("records flowing", () => acknowledged.length > 50, 60_000);
      const zkLeader = await ensemble.leader();
      await zkLeader.kill();
      await ensemble.leader(); // the other two elect a new one
      const afterZkKill = acknowledged.length;
      await eventually(
        "records flowing after the ZooKeeper leader died",
        () => acknowledged.length > afterZkKill + 50,
        60_000,
      );

      // A reassignment whose target is frozen cannot finish; the controller dies meanwhile.
      admin = new Admin({ bootstrap: cluster.bootstrap });
      const probe = admin;
      const controllerId = await eventually("a controller", async () => {
        const { controllerId } = await probe.describeCluster();
        return controllerId > 0 ? controllerId : false;
      }, 60_000);
      const [kept, frozen] = [1, 2, 3].filter((id) => id !== controllerId);
      // First the partition onto [controller, kept], so that `frozen` is a new replica below.
      const setUp = admin;
      await setUp.alterPartitionReassignments([{
        topic: "ens",
        partition: 0,
        replicas: [controllerId, kept],
      }]);
      await eventually(
        "set-up move done",
        async () => (await setUp.listPartitionReassignments()).length === 0,
      );
      const reachable = cluster.brokers.filter((b) => b.id !== frozen).map((b) => `127.0.0.1:${b.port}`).join(
        ",",
      );
      cluster.broker(frozen).program.signal("SIGSTOP");
      try {
        // Straight to the controller: a CLI would describe the topic first and wait on the frozen broker.
        await using starter = new Admin({ bootstrap: reachable });
        await starter.alterPartitionReassignments([{ topic: "ens", partition: 0, replicas: [frozen, kept] }]);
        assert.equal((await starter.listPartitionReassignments()).length, 1, "in progress");
        await cluster.broker(controllerId).program.stop("SIGKILL");
        killed = controllerId;
      } finally {
        cluster.broker(frozen).program.signal("SIGCONT");
      }
      const alive = cluster.brokers.filter((b) => b.id !== controllerId).map((b) => `127.0.0.1:${b.port}`)
        .join(",");
      admin.close();
      admin = new Admin({ bootstrap: alive });
      const survivor = admin;
      await eventually("the new controller finished the reassignment", async () => {
        const [now] = await survivor.describeTopics(["ens"]);
        return (await survivor.listPartitionReassignments()).length === 0 &&
          now.partitions[0].replicas.join(",") === `${frozen},${kept}`;
      }, 120_000);
    } finally {
      producing = false;
      await writer;
      // Records refused while leaders moved were not acknowledged; the check below is what counts.
      await producer.close().catch(() => undefined);
    }
    // The killed broker comes back: a partition whose ISR had shrunk to it alone (a follower
    // lagging on a loaded machine) has no other leader to elect, and holds records it acknowledged.
    await cluster.startBroker(killed, cluster.broker(killed).port);
    // A partition the killed controller led may still be between leaders: wait until each has one.
    const topic = await eventually("every partition of ens led", async () => {
      const [described] = await admin.describeTopics(["ens"]);
      return described.partitions.every((p) => p.leader >= 0) ? described : undefined;
    }, 60_000);
    for (const p of topic.partitions) {
      const leader = cluster.broker(p.leader);
      await using raw = await RawKafka.connect(leader.port);
      const stored = new Set((await raw.readAll("ens", p.partition)).map((record) => text(record.value)));
      const lost = acknowledged.filter((a) => a.partition === p.partition && !stored.has(a.value));
      assert.deepEqual(lost, [], `acknowledged records of ens-${p.partition} lost`);
    }
    admin.close();

    // Everything lives under the chroot: the ensemble's root holds only it (and ZooKeeper's own).
    const zk = await ZooKeeperClient.connect(ensemble.connectString);
    try {
      assert.deepEqual((await zk.getChildren("/")).sort(), ["vltava-ops", "zookeeper"]);
    } finally {
      await zk.close();
    }
  },
);

/** A free port whose next one is free too (`vltava dev` gives broker N base + N - 1). */
peerTest(
  "vltava dev --zookeeper runs the dev brokers on an existing ensemble, under its chroot",
  [PEERS.zookeeper],
  async () => {
    await using ensemble = await startRealZooKeeperEnsemble(3);
    await using dir = await tempDir("vltava-dev-zk-");
    const dev = new RunningProgram([
      "dev",
      "--brokers",
      "2",
      "--base-port",
      String(freePortRun(2)),
      "--data-dir",
      dir.path,
      "--zookeeper",
      `${ensemble.connectString}/dev-cluster`,
      "--console-port",
      "0",
      "--metrics-base-port",
      "0",
    ]);
    try {
      await dev.waitForOutput(/cluster ready: controller is broker \d/, 120_000);
      assert.match(dev.stdout, /using the ZooKeeper ensemble at .*\/dev-cluster/);
      assert.doesNotMatch(dev.stdout, /starting coordinator/);
    } finally {
      await dev.stop("SIGINT");
    }
    const zk = await ZooKeeperClient.connect(ensemble.connectString);
    try {
      assert.deepEqual((await zk.getChildren("/dev-cluster/brokers/registered")).sort(), ["1", "2"]);
    } finally {
      await zk.close();
    }
  },
);
