/**
 * The controller with real processes: a coordinator and three brokers over TCP. Election and
 * failover of the controller (higher epoch, stale epoch refused), leader failover on SIGKILL,
 * no unclean election by default, controlled shutdown on SIGTERM.
 */
import assert from "node:assert/strict";
import { createTopics, startCluster, TestCluster } from "../helpers/cluster.ts";
import { eventually, freePorts, tempDir } from "../helpers/program.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { startRealZooKeeper } from "../helpers/real-zookeeper.ts";
import { Kafka, logLevel } from "kafkajs";
import { Producer } from "../../src/client/producer.ts";
import { Connection } from "../../src/client/connection.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { readLeaderAndIsrResponse, writeLeaderAndIsrRequest } from "../../src/kafka/apis/leader-and-isr.ts";
import {
  encodePartitionState,
  encodeTopicAssignment,
  partitionStatePath,
} from "../../src/broker/zk-layout.ts";
import { ClusterProbe, FAST_SESSION_ARGS } from "./controller-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

async function threeBrokers(): Promise<TestCluster> {
  return await startCluster({ brokers: 3, brokerArgs: FAST_SESSION_ARGS });
}

function createTopic(cluster: TestCluster, name: string, partitions: number, configs = {}) {
  return createTopics(cluster.bootstrap, [{ name, partitions, replicationFactor: 3, configs }]);
}

/** LeaderAndIsr with no partitions, as a controller of `epoch`; returns the error code. */
async function leaderAndIsrAs(port: number, epoch: number): Promise<number> {
  const connection = await Connection.connect({ host: "127.0.0.1", port });
  try {
    const version = connection.versionFor(ApiKey.LeaderAndIsr);
    const response = await connection.request(
      ApiKey.LeaderAndIsr,
      version,
      (writer) =>
        writeLeaderAndIsrRequest(writer, version, {
          controllerId: 99,
          controllerEpoch: epoch,
          ungroupedPartitionStates: [],
          liveLeaders: [],
        }),
      (reader) => readLeaderAndIsrResponse(reader, version),
    );
    return response.errorCode;
  } finally {
    connection.close();
  }
}

/** Kill the controller: another broker takes over with a higher epoch; the old one is refused. */
async function controllerFailover(cluster: TestCluster): Promise<void> {
  await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
  const first = await probe.waitForController();
  assert.ok(first.epoch >= 1);
  assert.ok([1, 2, 3].includes(first.brokerId));

  await cluster.broker(first.brokerId).program.stop("SIGKILL");
  const second = await probe.waitForController((c) => c.brokerId !== first.brokerId);
  assert.ok(second.epoch > first.epoch, `epoch ${second.epoch} after ${first.epoch}`);

  // Every live broker has heard from the new controller, so the old epoch is stale there.
  const survivor = cluster.brokers.find((b) => b.id !== first.brokerId)!;
  const STALE_CONTROLLER_EPOCH = 11;
  await eventually(
    "the old controller epoch refused",
    async () => (await leaderAndIsrAs(survivor.port, first.epoch)) === STALE_CONTROLLER_EPOCH,
  );
  assert.equal(await leaderAndIsrAs(survivor.port, second.epoch), 0);

  // The replaced broker comes back as a candidate, not as the controller.
  await cluster.startBroker(first.brokerId, cluster.broker(first.brokerId).port);
  await eventually("three live brokers", async () => (await probe.liveBrokers()).length === 3);
  assert.deepEqual(await probe.controller(), second);
}

/** SIGKILL a partition leader: an ISR member leads with a higher epoch; writes resume. */
async function leaderFailover(cluster: TestCluster): Promise<void> {
  await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
  await probe.waitForController();
  await createTopic(cluster, "orders", 3);
  const before = await eventually("partition 0 led", async () => {
    const state = await probe.state("orders", 0);
    return state && state.leader > 0 && state.isr.length === 3 ? state : undefined;
  });

  await cluster.broker(before.leader).program.stop("SIGKILL");
  const after = await eventually("a new leader for orders-0", async () => {
    const state = await probe.state("orders", 0);
    return state && state.leader !== before.leader && state.leader > 0 ? state : undefined;
  });
  assert.ok(before.isr.includes(after.leader), `new leader ${after.leader} from the ISR ${before.isr}`);
  assert.ok(after.leaderEpoch > before.leaderEpoch);
  assert.ok(!after.isr.includes(before.leader), "the dead broker left the ISR");

  const survivors = cluster.brokers.filter((b) => b.id !== before.leader).map((b) => `127.0.0.1:${b.port}`);
  const producer = new Producer({ bootstrap: survivors.join(","), acks: "all" });
  try {
    const metadata = await producer.send({ topic: "orders", partition: 0, value: "after failover" });
    assert.equal(metadata.partition, 0);
  } finally {
    await producer.close();
  }

  // The dead broker comes back as a follower of the new leader, catches up and rejoins the ISR.
  await cluster.startBroker(before.leader, cluster.broker(before.leader).port);
  const rejoined = await eventually("the restarted broker back in the ISR", async () => {
    const state = await probe.state("orders", 0);
    return state && state.isr.includes(before.leader) ? state : undefined;
  }, 60_000);
  assert.equal(rejoined.leader, after.leader);
}

Deno.test(
  "a killed controller is replaced by another broker with a higher epoch; the old epoch is refused",
  options,
  async () => {
    await using cluster = await threeBrokers();
    await controllerFailover(cluster);
  },
);

Deno.test(
  "a SIGKILLed partition leader is replaced by an ISR member with a bumped leader epoch; writes resume",
  options,
  async () => {
    await using cluster = await threeBrokers();
    await leaderFailover(cluster);
  },
);

peerTest(
  "on a real ZooKeeper 3.8: leader failover, controller election and failover, stale epoch refused",
  [PEERS.zookeeper],
  async () => {
    // Tick 500 ms: the brokers' 3000 ms sessions are granted as asked (the minimum is 2 ticks).
    await using zookeeper = await startRealZooKeeper({ tickTimeMs: 500 });
    await using cluster = new TestCluster(await tempDir("vltava-zk-controller-"), zookeeper.port, {
      brokerArgs: FAST_SESSION_ARGS,
    });
    for (const [i, port] of freePorts(3).entries()) await cluster.startBroker(i + 1, port);
    await cluster.waitForBrokers();
    await leaderFailover(cluster);
    await controllerFailover(cluster);
  },
);

Deno.test(
  "with no live in-sync replica the partition goes offline, unless unclean election is enabled",
  options,
  async () => {
    await using cluster = await threeBrokers();
    await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
    await probe.waitForController();
    await createTopic(cluster, "strict", 1);
    await createTopic(cluster, "lenient", 1, { "unclean.leader.election.enable": "true" });
    const strict = await eventually(
      "strict-0 led",
      async () => (await probe.state("strict", 0)) ?? undefined,
    );
    const lenient = await eventually(
      "lenient-0 led",
      async () => (await probe.state("lenient", 0)) ?? undefined,
    );

    // As if each leader had shrunk its ISR to itself (followers fell behind): a versioned write.
    for (const [topic, state] of [["strict", strict], ["lenient", lenient]] as const) {
      const path = partitionStatePath(topic, 0);
      const { stat } = await probe.zk.getData(path);
      await probe.zk.setData(path, encodePartitionState({ ...state, isr: [state.leader] }), stat.version);
    }
    await cluster.broker(strict.leader).program.stop("SIGKILL");
    if (lenient.leader !== strict.leader) await cluster.broker(lenient.leader).program.stop("SIGKILL");

    const offline = await eventually("strict-0 offline", async () => {
      const state = await probe.state("strict", 0);
      return state && state.leader === -1 ? state : undefined;
    });
    assert.deepEqual(offline.isr, [strict.leader], "the last in-sync replica stays in the ISR");
    assert.ok(offline.leaderEpoch > strict.leaderEpoch);
    const unclean = await eventually("lenient-0 led by an out-of-sync replica", async () => {
      const state = await probe.state("lenient", 0);
      return state && state.leader > 0 && state.leader !== lenient.leader ? state : undefined;
    });
    // The ISR restarts as [new leader] (a live follower may already have caught up and rejoined).
    assert.ok(unclean.isr.includes(unclean.leader));
    const outputs = cluster.brokers.map((b) => b.program.stdout + b.program.stderr).join("\n");
    assert.match(outputs, /lenient-0: unclean election: leader \d+, leader epoch \d+, isr \[\d+\]/);
    assert.doesNotMatch(outputs, /strict-0: unclean election/);

    // The last in-sync replica comes back and leads again.
    await cluster.startBroker(strict.leader, cluster.broker(strict.leader).port);
    const back = await eventually("strict-0 led again", async () => {
      const state = await probe.state("strict", 0);
      return state && state.leader === strict.leader ? state : undefined;
    });
    assert.ok(back.leaderEpoch > offline.leaderEpoch);
  },
);

Deno.test("SIGTERM: the broker's leaderships move away before it exits", options, async () => {
  await using cluster = await threeBrokers();
  await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
  const controller = await probe.waitForController();
  await createTopic(cluster, "moving", 3);
  const states = await eventually("every partition led", async () => {
    const all = await Promise.all([0, 1, 2].map((p) => probe.state("moving", p)));
    return all.every((s) => s && s.leader > 0) ? all.map((s) => s!) : undefined;
  });
  // A broker other than the controller that leads something (the controller's own case: below).
  const victim = states.map((s) => s.leader).find((id) => id !== controller.brokerId) ?? states[0].leader;
  const led = states.map((s, p) => ({ ...s, p })).filter((s) => s.leader === victim);

  // A producer keeps writing with acks=all to the partitions the victim leads: the client only
  // sees retriable errors, so every send succeeds.
  const producer = new Producer({ bootstrap: cluster.bootstrap, acks: "all" });
  const failures: Error[] = [];
  let acked = 0;
  const writing = { stop: false };
  const writer = (async () => {
    for (let i = 0; !writing.stop; i++) {
      try {
        await producer.send({ topic: "moving", partition: led[0].p, value: `r${i}` });
        acked++;
      } catch (error) {
        failures.push(error as Error);
      }
    }
  })();
  await eventually("writes before the shutdown", () => acked >= 20);

  const status = await cluster.broker(victim).program.stop("SIGTERM", 60_000);
  assert.equal(status.code, 0);
  const ackedAtExit = acked;
  await eventually("writes after the shutdown", () => acked >= ackedAtExit + 20, 60_000);
  writing.stop = true;
  await writer;
  await producer.close();
  assert.deepEqual(failures.map((error) => error.message), []);
  for (const { p, leaderEpoch } of led) {
    const state = (await probe.state("moving", p))!;
    assert.notEqual(state.leader, victim);
    assert.ok(state.leaderEpoch > leaderEpoch);
  }
  // The move was the controlled shutdown's (before the registration vanished), not a death.
  const controllerOutput = () => {
    const program = cluster.broker(controller.brokerId).program;
    return program.stdout + program.stderr;
  };
  assert.match(controllerOutput(), new RegExp(`controlled shutdown of broker ${victim}`));
  assert.match(controllerOutput(), new RegExp(`moving-${led[0].p}: leader shutting down`));

  // The controller itself shuts down cleanly too, and another broker takes over.
  if (victim !== controller.brokerId) {
    const stopped = await cluster.broker(controller.brokerId).program.stop("SIGTERM", 60_000);
    assert.equal(stopped.code, 0);
    const next = await probe.waitForController((c) => c.brokerId !== controller.brokerId);
    assert.ok(next.epoch > controller.epoch);
  }
});

Deno.test(
  "partitions added with CreatePartitions (kafkajs admin) get leaders and in-sync followers",
  options,
  async () => {
    await using cluster = await threeBrokers();
    await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
    await probe.waitForController();
    await createTopic(cluster, "growing", 2);
    const kafka = new Kafka({
      clientId: "controller-test",
      brokers: cluster.bootstrap.split(","),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createPartitions({ topicPartitions: [{ topic: "growing", count: 5 }] });
    } finally {
      await admin.disconnect();
    }
    const states = await eventually("five partitions led with full ISRs", async () => {
      const all = await Promise.all([0, 1, 2, 3, 4].map((p) => probe.state("growing", p)));
      return all.every((s) => s && s.leader > 0 && s.isr.length === 3) ? all.map((s) => s!) : undefined;
    }, 60_000);
    // Leadership of the new partitions is spread, not piled on one broker.
    assert.ok(new Set(states.map((s) => s.leader)).size >= 2);
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: "all" });
    try {
      for (let partition = 2; partition < 5; partition++) {
        assert.equal(
          (await producer.send({ topic: "growing", partition, value: "new" })).partition,
          partition,
        );
      }
    } finally {
      await producer.close();
    }
  },
);

Deno.test(
  "a topic written by an outside tool (assignment only) gets its partition states from the controller",
  options,
  async () => {
    await using cluster = await threeBrokers();
    await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
    const controller = await probe.waitForController();
    // What `kafka-topics --zookeeper` used to write: the assignment, no partition states.
    await probe.zk.create("/brokers/topics/outside", encodeTopicAssignment([[2, 3, 1], [3, 1, 2]]));
    const states = await eventually("states for both partitions", async () => {
      const all = await Promise.all([0, 1].map((p) => probe.state("outside", p)));
      return all.every((s) => s && s.isr.length === 3) ? all.map((s) => s!) : undefined;
    });
    assert.deepEqual(states.map((s) => s.leader), [2, 3], "the preferred (first) replica leads");
    assert.deepEqual(states.map((s) => s.leaderEpoch), [0, 0]);
    assert.ok(states.every((s) => s.controllerEpoch === controller.epoch));
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: "all" });
    try {
      assert.equal((await producer.send({ topic: "outside", partition: 1, value: "in" })).partition, 1);
    } finally {
      await producer.close();
    }
  },
);
