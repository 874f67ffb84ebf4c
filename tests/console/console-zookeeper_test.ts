/**
 * The console on a real ZooKeeper 3.8 (Debian's `zookeeper`): two brokers registered there, and
 * `vltava console` watching it. The same views as on the built-in coordinator — brokers, the
 * controller, a partition's leader, ISR and progress, the znode browser (ZooKeeper's own
 * /zookeeper node included) — and, after the partition's leader is SIGKILLed, the leader change
 * and the ISR shrink, in the view and the timeline. Skipped with the reason when ZooKeeper or Java
 * is missing; required under VLTAVA_COMPAT=require.
 */
import assert from "node:assert/strict";
import { createTopics, produceValues, TestCluster } from "../helpers/cluster.ts";
import { eventually, freePorts, RunningProgram, tempDir } from "../helpers/program.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { startRealZooKeeper } from "../helpers/real-zookeeper.ts";

const BROKER_ARGS = ["--replica-lag-time-max-ms", "3000", "--session-timeout-ms", "4000"];
const TOPIC = "watched";

interface PartitionBody {
  leader: number;
  isr: number[];
  outOfSync: number[];
  highWatermark: number | null;
  logEnd: number | null;
}

peerTest(
  "the console on a real ZooKeeper 3.8 shows the brokers, the tree, and a killed leader's partition moving",
  [PEERS.zookeeper],
  async () => {
    await using zookeeper = await startRealZooKeeper();
    await using cluster = new TestCluster(await tempDir("vltava-zk-console-"), zookeeper.port, {
      brokerArgs: BROKER_ARGS,
    });
    for (const [i, port] of freePorts(2).entries()) await cluster.startBroker(i + 1, port);
    await cluster.waitForBrokers();
    await using consoleProgram = new RunningProgram([
      "console",
      "--coordinator",
      zookeeper.connectString,
      "--port",
      "0",
      "--sample-ms",
      "300",
    ]);
    const url = (await consoleProgram.waitForOutput(/console: (http:\/\/\S+)/, 60_000))[1];
    const get = async (path: string) => {
      const response = await fetch(`${url}${path}`);
      return { status: response.status, body: await response.json() };
    };

    const view = await eventually("two live brokers and a controller", async () => {
      const { body } = await get("/api/cluster");
      return body.brokers.filter((b: { live: boolean }) => b.live).length === 2 && body.controller !== null
        ? body
        : undefined;
    });
    assert.equal(view.watchMode, "recursive", "ZooKeeper 3.8 has persistent recursive watches");

    const root = await get("/api/znodes?path=/");
    assert.equal(root.status, 200);
    assert.ok(root.body.children.includes("zookeeper") && root.body.children.includes("brokers"));
    const controllerNode = await get("/api/znodes?path=/controller");
    assert.equal(JSON.parse(controllerNode.body.data).brokerid, view.controller);

    await createTopics(cluster.bootstrap, [{ name: TOPIC, partitions: 1, replicationFactor: 2 }]);
    await produceValues(cluster.bootstrap, TOPIC, 0, 4);
    const partition = async (): Promise<PartitionBody | undefined> =>
      (await get("/api/topics")).body.topics.find((t: { name: string }) => t.name === TOPIC)?.partitions[0];
    const before = await eventually("the partition at 4 on both replicas", async () => {
      const p = await partition();
      return p?.highWatermark === 4 && p.logEnd === 4 && p.isr.length === 2 ? p : undefined;
    });

    const victim = before.leader;
    await cluster.broker(victim).program.stop("SIGKILL");
    const after = await eventually("a new leader and the victim out of sync", async () => {
      const p = await partition();
      return p && p.leader > 0 && p.leader !== victim && p.outOfSync.includes(victim) ? p : undefined;
    }, 90_000);
    assert.deepEqual(after.isr, [after.leader]);
    const { body } = await get("/api/events?type=leader-changed&type=isr-shrunk");
    const mine = body.events.filter((e: { topic: string }) => e.topic === TOPIC);
    assert.ok(
      mine.some((e: { type: string; oldLeader: number }) =>
        e.type === "leader-changed" && e.oldLeader === victim
      ),
    );
    assert.ok(
      mine.some((e: { type: string; newIsr: number[] }) =>
        e.type === "isr-shrunk" && !e.newIsr.includes(victim)
      ),
    );
  },
  { sanitizeOps: false, sanitizeResources: false },
);
