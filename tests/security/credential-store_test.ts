/**
 * The SCRAM credential store against both ZooKeeper-protocol servers (the built-in
 * coordinator and a real ZooKeeper 3.8): Kafka's znode layout and JSON, and a cache that
 * follows writes made by anyone.
 */
import assert from "node:assert/strict";
import { connectCoordination } from "../../src/broker/zk-coordination.ts";
import {
  deleteScramCredential,
  listUserCredentials,
  ScramCredentialStore,
  upsertScramCredential,
} from "../../src/security/credential-store.ts";
import {
  createScramCredential,
  formatScramCredential,
  passwordMatches,
  SCRAM_SHA_256,
  SCRAM_SHA_512,
} from "../../src/security/scram.ts";
import { desanitizeUserName, sanitizeUserName } from "../../src/security/user-znodes.ts";
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";
import { eventually } from "../helpers/program.ts";
import { zkServerTest } from "../helpers/zk-servers.ts";

Deno.test("User names are sanitized as Kafka's Sanitizer does", () => {
  assert.equal(sanitizeUserName("alice"), "alice");
  assert.equal(sanitizeUserName("a b*c/d+é"), "a%20b%2Ac%2Fd%2B%C3%A9");
  assert.equal(sanitizeUserName("CN=x,O=y"), "CN%3Dx%2CO%3Dy");
  for (const name of ["alice", "a b*c/d+é", "CN=x,O=y", "._-"]) {
    assert.equal(desanitizeUserName(sanitizeUserName(name)), name);
  }
  assert.equal(desanitizeUserName("a+b"), "a b");
  assert.throws(() => desanitizeUserName("a%2"), TypeError);
});

zkServerTest("credential store: Kafka's layout, watch-fed cache, compare-and-set writes", async (server) => {
  const lines: string[] = [];
  const coordination = await connectCoordination(server.connectString, 10_000);
  await using raw = await ZooKeeperClient.connect(server.connectString);
  const store = await ScramCredentialStore.start(coordination, (line) => lines.push(line));
  try {
    assert.deepEqual(store.describe(), []);
    const alice512 = await createScramCredential(SCRAM_SHA_512, "wonderland", 4096);
    await upsertScramCredential(coordination, "alice", "SCRAM-SHA-512", alice512);
    const found = await eventually("alice in the cache", () => store.lookup("alice", "SCRAM-SHA-512"));
    assert.ok(await passwordMatches(SCRAM_SHA_512, found, "wonderland"));
    assert.equal(store.lookup("alice", "SCRAM-SHA-256"), undefined);

    // Exactly Kafka's znode: /config/users/<name> = {"version":1,"config":{"SCRAM-SHA-512":"salt=…"}}.
    const { data } = await raw.getData("/config/users/alice");
    assert.deepEqual(JSON.parse(new TextDecoder().decode(data!)), {
      version: 1,
      config: { "SCRAM-SHA-512": formatScramCredential(alice512) },
    });

    // A second mechanism merges into the same node.
    await upsertScramCredential(
      coordination,
      "alice",
      "SCRAM-SHA-256",
      await createScramCredential(SCRAM_SHA_256, "w", 8192),
    );
    await eventually("alice's SHA-256 credential", () => store.lookup("alice", "SCRAM-SHA-256"));
    assert.deepEqual(store.describe(), [{
      user: "alice",
      mechanisms: [{ mechanism: "SCRAM-SHA-256", iterations: 8192 }, {
        mechanism: "SCRAM-SHA-512",
        iterations: 4096,
      }],
    }]);

    // A node written by another tool (as kafka-configs --zookeeper did), with a name that needs escaping.
    const carol = await createScramCredential(SCRAM_SHA_256, "pw", 4096);
    await raw.create(
      "/config/users/carol%20the%2Aadmin",
      JSON.stringify({
        version: 1,
        config: { "SCRAM-SHA-256": formatScramCredential(carol), producer_byte_rate: "1024" },
      }),
    );
    await eventually("carol from a foreign writer", () => store.lookup("carol the*admin", "SCRAM-SHA-256"));
    // A broken node is reported and skipped; the rest keeps working.
    await raw.create("/config/users/broken", "{not json");
    await eventually(
      "the broken node reported",
      () => lines.some((line) => line.includes("/config/users/broken")),
    );
    assert.equal(store.lookup("broken", "SCRAM-SHA-512"), undefined);

    // Deleting one mechanism keeps the other; deleting the last removes the node.
    assert.equal(await deleteScramCredential(coordination, "alice", "SCRAM-SHA-512"), true);
    assert.equal(await deleteScramCredential(coordination, "alice", "SCRAM-SHA-512"), false);
    await eventually(
      "alice's SHA-512 credential gone",
      () => store.lookup("alice", "SCRAM-SHA-512") === undefined,
    );
    assert.ok(store.lookup("alice", "SCRAM-SHA-256"));
    assert.equal(await deleteScramCredential(coordination, "alice", "SCRAM-SHA-256"), true);
    assert.equal(await raw.exists("/config/users/alice"), null);
    await eventually("alice gone", () => store.lookup("alice", "SCRAM-SHA-256") === undefined);
    // Carol keeps her quota setting when her credential goes.
    await deleteScramCredential(coordination, "carol the*admin", "SCRAM-SHA-256");
    const carolNode = await raw.getData("/config/users/carol%20the%2Aadmin");
    assert.deepEqual(JSON.parse(new TextDecoder().decode(carolNode.data!)).config, {
      producer_byte_rate: "1024",
    });

    const invalid: string[] = [];
    assert.deepEqual(await listUserCredentials(coordination, (user) => invalid.push(user)), []);
    assert.deepEqual(invalid, ["broken"]);
    await upsertScramCredential(coordination, "bob", "SCRAM-SHA-512", alice512);
    assert.deepEqual((await listUserCredentials(coordination)).map((info) => info.user), ["bob"]);
  } finally {
    store.close();
    await coordination.close();
  }
});
