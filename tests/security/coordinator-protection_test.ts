/**
 * Brokers started with `--coordinator-auth` protect everything they and the controller write in
 * the coordinator (Kafka's zookeeper.set.acl), against the built-in coordinator and a real
 * ZooKeeper 3.8 alike: two real broker processes under a chroot register, elect a controller,
 * create topics (with a config override, the internal offsets topic through a group), alter a
 * topic's config, add partitions, move a replica, store an ACL and a SCRAM user over the Kafka
 * protocol, and lose and regain a broker (partition state rewritten, ISR change notifications);
 * `vltava user create --coordinator --coordinator-auth` writes too. Then every node under the
 * chroot must carry the brokers' digest identity with all permissions and at most world READ
 * (nothing at all for others under /config/users and /config/brokers). A session without the credentials reads the
 * cluster state but cannot change /brokers/…, partition state, /controller or configs; one with
 * them can; the CLI and a broker without them are refused with a line saying what to pass.
 */
import assert from "node:assert/strict";
import { Admin } from "../../src/client/admin.ts";
import { GroupConsumer } from "../../src/client/group-consumer.ts";
import { SecurityAdmin } from "../../src/client/security-admin.ts";
import { isSensitivePath } from "../../src/broker/coordinator-acls.ts";
import { digestId } from "../../src/coordinator/acl.ts";
import { partitionStatePath } from "../../src/broker/zk-layout.ts";
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";
import { ErrorCode, KeeperError } from "../../src/zk/protocol/mod.ts";
import { binding } from "./acl-fixtures.ts";
import { createTopics, produceValues, TestCluster } from "../helpers/cluster.ts";
import { eventually, freePorts, runCli, tempDir } from "../helpers/program.ts";
import { zkServerTest } from "../helpers/zk-servers.ts";

const AUTH = "broker:zk-s3cret";
const READ = 1;
const ALL = 31;

async function expectNoAuth(what: string, action: () => Promise<unknown>): Promise<void> {
  const error = await action().then(() => undefined, (e) => e);
  assert.ok(
    error instanceof KeeperError && error.code === ErrorCode.noAuth,
    `${what}: expected NOAUTH, got ${error}`,
  );
}

/** Every node at and under `root` (client paths), parents first. */
async function walk(zk: ZooKeeperClient, root: string): Promise<string[]> {
  const nodes: string[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const path = pending.shift()!;
    let children: string[];
    try {
      children = await zk.getChildren(path);
    } catch (error) {
      // Deleted since its parent was listed (a notification the controller consumed): gone.
      if (error instanceof KeeperError && error.code === ErrorCode.noNode) continue;
      throw error;
    }
    nodes.push(path);
    for (const child of children) pending.push(path === "/" ? `/${child}` : `${path}/${child}`);
  }
  return nodes;
}

zkServerTest(
  "brokers with --coordinator-auth protect every znode they and the controller write",
  async (server) => {
    const connect = `${server.connectString}/vltava-protected`;
    await using cluster = new TestCluster(await tempDir("vltava-coordinator-auth-"), 0, {
      coordinatorConnect: connect,
      brokerArgs: [
        "--coordinator-auth",
        AUTH,
        "--session-timeout-ms",
        "4000",
        "--replica-lag-time-max-ms",
        "2000",
        "--authorizer",
        "acl",
        "--super-users",
        "User:ANONYMOUS",
        "--offsets-topic-partitions",
        "1",
        "--offsets-topic-replication-factor",
        "1",
      ],
    });
    const ports = freePorts(2);
    for (const [i, port] of ports.entries()) await cluster.startBroker(i + 1, port);
    await cluster.waitForBrokers();

    // Writes along every path the brokers and the controller have.
    await createTopics(cluster.bootstrap, [{ name: "orders", partitions: 1, replicationFactor: 2 }]);
    {
      await using admin = new Admin({ bootstrap: cluster.bootstrap });
      await admin.createTopics([{
        name: "audit",
        partitions: 1,
        replicationFactor: 1,
        configs: { "retention.ms": "60000" },
      }]);
      await admin.alterTopicConfigs("orders", [{ name: "retention.ms", value: "120000" }]);
      await admin.createPartitions("audit", 2);
      const [audit] = await admin.describeTopics(["audit"]);
      const from = audit.partitions[0].replicas[0];
      await admin.alterPartitionReassignments([{
        topic: "audit",
        partition: 0,
        replicas: [from === 1 ? 2 : 1],
      }]);
      await eventually(
        "the reassignment to finish",
        async () => (await admin.listPartitionReassignments()).length === 0,
      );
    }
    {
      await using security = new SecurityAdmin({ bootstrap: cluster.bootstrap });
      await security.createAcls([binding()]);
      await security.upsertUserScramCredential("alice", "SCRAM-SHA-512", "alice-secret");
    }
    const created = await runCli([
      "user",
      "create",
      "carol",
      "--password",
      "carol-secret",
      "--coordinator",
      connect,
      "--coordinator-auth",
      AUTH,
    ]);
    assert.equal(created.code, 0, created.stderr);
    {
      // A group commit makes the group coordinator create the offsets topic.
      await produceValues(cluster.bootstrap, "orders", 0, 3);
      await using consumer = new GroupConsumer({
        bootstrap: cluster.bootstrap,
        groupId: "readers",
        topics: ["orders"],
        autoOffsetReset: "earliest",
      });
      await consumer.start();
      await eventually("the group to read", async () => (await consumer.poll(1_000)).length > 0, 60_000);
      await consumer.commit();
    }
    // A broker lost and back: the controller rewrites partition state, leaders notify ISR changes.
    await cluster.broker(2).program.stop("SIGKILL");
    await using watcher = await ZooKeeperClient.connect(connect);
    const isrOf = async () =>
      JSON.parse(new TextDecoder().decode((await watcher.getData(partitionStatePath("orders", 0))).data!))
        .isr;
    await eventually("broker 2 out of the ISR", async () => !(await isrOf()).includes(2), 60_000);
    await cluster.startBroker(2, ports[1]);
    await eventually("broker 2 back in the ISR", async () => (await isrOf()).includes(2), 60_000);

    // Every node under the chroot: the brokers' identity may do all, others at most read.
    await using insider = await ZooKeeperClient.connect(connect);
    await insider.addAuth("digest", AUTH);
    const owner = `digest:${digestId(AUTH)}:${ALL}`;
    const nodes = await walk(insider, "/");
    assert.ok(nodes.length > 30, `a cluster's worth of nodes, got ${nodes.join(" ")}`);
    for (const required of ["/controller", "/brokers/ids/1", "/config/users/carol", "/config/users/alice"]) {
      assert.ok(nodes.includes(required), `${required} in ${nodes.join(" ")}`);
    }
    const open: string[] = [];
    for (const path of nodes) {
      let acl;
      try {
        ({ acl } = await insider.getACL(path));
      } catch (error) {
        if (error instanceof KeeperError && error.code === ErrorCode.noNode) continue; // consumed meanwhile
        throw error;
      }
      const entries = acl.map((entry) => `${entry.id.scheme}:${entry.id.id}:${entry.perms}`).sort();
      const expected = isSensitivePath(path) // credentials, broker configs: not even readable
        ? [owner]
        : [owner, `world:anyone:${READ}`].sort();
      if (JSON.stringify(entries) !== JSON.stringify(expected)) open.push(`${path} ${entries.join(",")}`);
    }
    assert.deepEqual(open, [], "nodes without the protected ACL");

    // A session without the credentials reads the cluster state but cannot change it.
    await using outsider = await ZooKeeperClient.connect(connect);
    assert.ok((await outsider.getData("/brokers/ids/1")).data);
    assert.ok((await outsider.getData(partitionStatePath("orders", 0))).data);
    const controller = await outsider.getData("/controller");
    await expectNoAuth("rewrite a registration", () => outsider.setData("/brokers/ids/1", "{}"));
    await expectNoAuth("register a fake broker", () => outsider.create("/brokers/ids/9", "{}"));
    await expectNoAuth(
      "rewrite partition state",
      () => outsider.setData(partitionStatePath("orders", 0), "{}"),
    );
    await expectNoAuth("take the controller role", () => outsider.delete("/controller"));
    await expectNoAuth("rewrite the controller", () => outsider.setData("/controller", "{}"));
    await expectNoAuth("rewrite a topic config", () => outsider.setData("/config/topics/orders", "{}"));
    await expectNoAuth("add a config change", () => outsider.create("/config/changes/config_change_9", "{}"));
    await expectNoAuth("read a SCRAM credential", () => outsider.getData("/config/users/alice"));
    // The CLI without the credentials is refused with what to pass.
    const refused = await runCli(["user", "create", "mallory", "--password", "x", "--coordinator", connect]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--coordinator-auth/);
    // A broker without the credentials cannot join, and is told what to pass.
    const intruder = await runCli([
      "broker",
      "start",
      "--id",
      "3",
      "--port",
      "0",
      "--coordinator",
      connect,
      "--data-dir",
      `${cluster.dataRoot}/broker-3`,
    ]);
    assert.notEqual(intruder.code, 0);
    assert.match(intruder.stderr, /NOAUTH on \/brokers\/ids\/3.*--coordinator-auth/);
    // With the credentials, a session may change what the brokers wrote (here: the same bytes back).
    const config = await insider.getData("/config/topics/orders");
    await insider.setData("/config/topics/orders", config.data, config.stat.version);
    await insider.setData("/controller", controller.data, controller.stat.version);
    assert.equal(cluster.broker(1).program.exited, false);
  },
);
