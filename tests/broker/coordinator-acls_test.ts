/**
 * Brokers protect what they write in the coordinator (Kafka's zookeeper.set.acl), against the
 * built-in coordinator and a real ZooKeeper 3.8: a session without the brokers' digest
 * credentials reads cluster state but cannot change it, and cannot read credentials at all.
 */
import assert from "node:assert/strict";
import {
  isSensitivePath,
  parseCoordinatorAuth,
  readCoordinatorAuth,
  znodeAcl,
} from "../../src/broker/coordinator-acls.ts";
import { connectCoordination } from "../../src/broker/zk-coordination.ts";
import { encodePartitionState, partitionStatePath } from "../../src/broker/zk-layout.ts";
import { createAcls } from "../../src/security/acl-store.ts";
import { upsertScramCredential } from "../../src/security/credential-store.ts";
import { createScramCredential, SCRAM_SHA_512 } from "../../src/security/scram.ts";
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";
import { ErrorCode, KeeperError } from "../../src/zk/protocol/mod.ts";
import { tempDir } from "../helpers/program.ts";
import { zkServerTest } from "../helpers/zk-servers.ts";

const BROKER_AUTH = { user: "broker", password: "s3cret:with:colons" };
const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("Coordinator credentials and the ACL each znode gets", async () => {
  assert.deepEqual(parseCoordinatorAuth("broker:pa:ss\n"), { user: "broker", password: "pa:ss" });
  assert.throws(() => parseCoordinatorAuth("broker"), /USER:PASSWORD/);
  assert.throws(() => parseCoordinatorAuth(":x"), /USER:PASSWORD/);
  await using dir = await tempDir("vltava-coordinator-auth-");
  await Deno.writeTextFile(`${dir.path}/auth`, "kafka:zk-pass\n# ignored\n");
  assert.deepEqual(await readCoordinatorAuth(`@${dir.path}/auth`), { user: "kafka", password: "zk-pass" });
  await assert.rejects(readCoordinatorAuth(`@${dir.path}/missing`), /Cannot read --coordinator-auth file/);

  assert.deepEqual(znodeAcl("/brokers/ids/1", undefined), [{
    perms: 31,
    id: { scheme: "world", id: "anyone" },
  }]);
  // digest id = user:base64(sha1("user:password")); `printf u:p | openssl sha1 -binary | base64` agrees.
  assert.deepEqual(znodeAcl("/brokers/ids/1", { user: "u", password: "p" }), [
    { perms: 31, id: { scheme: "digest", id: "u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=" } },
    { perms: 1, id: { scheme: "world", id: "anyone" } },
  ]);
  assert.deepEqual(znodeAcl("/config/users/alice", { user: "u", password: "p" }).length, 1);
  assert.equal(isSensitivePath("/config/users"), true);
  assert.equal(isSensitivePath("/config/usersX"), false);
  assert.equal(isSensitivePath("/config/topics/t"), false);
});

async function expectNoAuth(what: string, action: () => Promise<unknown>): Promise<void> {
  const error = await action().then(() => undefined, (e) => e);
  assert.ok(
    error instanceof KeeperError && error.code === ErrorCode.noAuth,
    `${what}: expected NOAUTH, got ${error}`,
  );
}

zkServerTest(
  "brokers' znodes: readable by anyone, changeable only with the brokers' credentials",
  async (server) => {
    const connect = `${server.connectString}/vltava`;
    const broker = await connectCoordination(connect, 10_000, 30_000, { auth: BROKER_AUTH });
    try {
      await broker.ensurePath("/brokers/ids");
      await broker.createEphemeral("/brokers/ids/1", bytes('{"host":"h","port":1}'));
      await broker.ensurePath("/brokers/topics");
      await broker.multi([
        { op: "create", path: "/brokers/topics/orders", data: bytes("{}") },
        { op: "create", path: "/brokers/topics/orders/partitions", data: new Uint8Array() },
        { op: "create", path: "/brokers/topics/orders/partitions/0", data: new Uint8Array() },
        {
          op: "create",
          path: partitionStatePath("orders", 0),
          data: encodePartitionState({ leader: 1, leaderEpoch: 0, isr: [1], controllerEpoch: 1 }),
        },
      ]);
      await upsertScramCredential(
        broker,
        "alice",
        "SCRAM-SHA-512",
        await createScramCredential(SCRAM_SHA_512, "pw", 4096),
      );
      await createAcls(broker, [{
        resourceType: 2,
        resourceName: "orders",
        patternType: 3,
        principal: "User:alice",
        host: "*",
        operation: 4,
        permissionType: 3,
      }]);

      await using outsider = await ZooKeeperClient.connect(connect);
      // Reading cluster state is open, as in Kafka.
      assert.equal(
        new TextDecoder().decode((await outsider.getData("/brokers/ids/1")).data!),
        '{"host":"h","port":1}',
      );
      assert.ok((await outsider.getData(partitionStatePath("orders", 0))).data);
      assert.deepEqual(await outsider.getChildren("/kafka-acl/Topic"), ["orders"]);
      // Changing it is not.
      await expectNoAuth("setData of a registration", () => outsider.setData("/brokers/ids/1", "{}"));
      await expectNoAuth("delete a registration", () => outsider.delete("/brokers/ids/1"));
      await expectNoAuth("register a fake broker", () => outsider.create("/brokers/ids/9", "{}"));
      await expectNoAuth(
        "rewrite partition state",
        () => outsider.setData(partitionStatePath("orders", 0), "{}"),
      );
      await expectNoAuth("create a topic", () => outsider.create("/brokers/topics/evil", "{}"));
      await expectNoAuth("rewrite an ACL", () => outsider.setData("/kafka-acl/Topic/orders", "{}"));
      // Credentials are not even readable.
      await expectNoAuth("read a SCRAM credential", () => outsider.getData("/config/users/alice"));
      // Another password is another identity.
      await using impostor = await ZooKeeperClient.connect(connect);
      await impostor.addAuth("digest", "broker:guess");
      await expectNoAuth("setData with a wrong password", () => impostor.setData("/brokers/ids/1", "{}"));
      // The brokers' identity may, from any session (every broker shares it).
      await using peer = await ZooKeeperClient.connect(connect);
      await peer.addAuth("digest", `${BROKER_AUTH.user}:${BROKER_AUTH.password}`);
      await peer.setData(
        partitionStatePath("orders", 0),
        encodePartitionState({
          leader: 1,
          leaderEpoch: 1,
          isr: [1],
          controllerEpoch: 1,
        }),
      );
      assert.ok((await peer.getData("/config/users/alice")).data);
      const { acl } = await outsider.getACL("/brokers/topics/orders");
      assert.deepEqual(acl.map((entry) => `${entry.id.scheme}:${entry.perms}`).sort(), [
        "digest:31",
        "world:1",
      ]);
      // The chroot itself was created protected too.
      await using root = await ZooKeeperClient.connect(server.connectString);
      await expectNoAuth("delete the chroot's children", () => root.create("/vltava/intruder", ""));
    } finally {
      await broker.close();
    }
  },
);
