/**
 * ACLs in the coordinator, against both ZooKeeper-protocol servers: Kafka's nodes and change
 * notifications, caches that follow writes from anyone, deletes by filter, purging.
 */
import assert from "node:assert/strict";
import { connectCoordination } from "../../src/broker/zk-coordination.ts";
import { AclOperation as Op, AclPermission, PatternType, ResourceType } from "../../src/kafka/acl.ts";
import { AclAuthorizer } from "../../src/security/acl-authorizer.ts";
import { ANY_ACL_FILTER } from "../../src/security/acl-bindings.ts";
import { AclCache, bindingsOf, createAcls, deleteAcls, readAllAcls } from "../../src/security/acl-store.ts";
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";
import { eventually } from "../helpers/program.ts";
import { zkServerTest } from "../helpers/zk-servers.ts";
import { binding } from "./acl-fixtures.ts";

const text = (bytes: Uint8Array | null) => new TextDecoder().decode(bytes ?? new Uint8Array());
const may = (
  authorizer: AclAuthorizer,
  principal: string,
  operation: number,
  resourceName: string,
  resourceType: number = ResourceType.Topic,
) => authorizer.authorize({ principal, host: "127.0.0.1", operation, resourceType, resourceName });

zkServerTest(
  "ACL store: Kafka's nodes and notifications, caches on two brokers, delete by filter",
  async (server) => {
    const logs: string[] = [];
    const coordination = await connectCoordination(server.connectString, 10_000);
    const other = await connectCoordination(server.connectString, 10_000);
    await using raw = await ZooKeeperClient.connect(server.connectString);
    const first = new AclAuthorizer();
    const second = new AclAuthorizer();
    const cacheA = await AclCache.start(coordination, first, (line) => logs.push(line));
    const cacheB = await AclCache.start(other, second, (line) => logs.push(line));
    try {
      const results = await createAcls(coordination, [
        binding({}),
        binding({}), // the same entry twice is stored once
        binding({ resourceName: "orders-", patternType: PatternType.Prefixed, operation: Op.Read }),
        binding({
          principal: "User:bob",
          permissionType: AclPermission.Deny,
          operation: Op.Read,
          resourceName: "payments",
        }),
      ]);
      assert.deepEqual(results, [undefined, undefined, undefined, undefined]);

      // The nodes read as Kafka writes them.
      const orders = JSON.parse(text((await raw.getData("/kafka-acl/Topic/orders")).data));
      assert.deepEqual(orders, {
        version: 1,
        acls: [{ principal: "User:alice", permissionType: "Allow", operation: "Write", host: "*" }],
      });
      const prefixed = JSON.parse(
        text((await raw.getData("/kafka-acl-extended/prefixed/Topic/orders-")).data),
      );
      assert.equal(prefixed.acls[0].operation, "Read");
      const literalChanges = await raw.getChildren("/kafka-acl-changes");
      assert.ok(literalChanges.every((name) => /^acl_changes_\d{10}$/.test(name)));
      const notes = await Promise.all(
        literalChanges.map(async (name) => text((await raw.getData(`/kafka-acl-changes/${name}`)).data)),
      );
      assert.deepEqual(notes.sort(), ["TOPIC:orders", "TOPIC:payments"]);
      const [extended] = await raw.getChildren("/kafka-acl-extended-changes");
      assert.deepEqual(
        JSON.parse(text((await raw.getData(`/kafka-acl-extended-changes/${extended}`)).data)),
        {
          version: 1,
          resourceType: "TOPIC",
          name: "orders-",
          patternType: "PREFIXED",
        },
      );

      // Both brokers' caches follow.
      for (const authorizer of [first, second]) {
        await eventually(
          "ACLs in the cache",
          () => may(authorizer, "User:alice", Op.Read, "orders-eu") && authorizer.aclCount === 3,
        );
        assert.equal(may(authorizer, "User:alice", Op.Write, "orders"), true);
        assert.equal(may(authorizer, "User:alice", Op.Read, "orders"), false);
        assert.equal(may(authorizer, "User:bob", Op.Read, "payments"), false);
      }

      // A write by another tool, in Kafka's shapes, with Kafka's legacy notification text.
      await raw.mkdirp("/kafka-acl/Group");
      await raw.create(
        "/kafka-acl/Group/billing",
        JSON.stringify({
          version: 1,
          acls: [{ principal: "User:*", permissionType: "Allow", operation: "Read", host: "*" }],
        }),
      );
      await raw.create("/kafka-acl-changes/acl_changes_", "Group:billing", { sequential: true });
      await eventually(
        "a foreign write",
        () => may(second, "User:carol", Op.Read, "billing", ResourceType.Group),
      );

      // A broken node is reported and grants nothing.
      await raw.create("/kafka-acl/Topic/broken", "{}");
      await raw.create("/kafka-acl-changes/acl_changes_", "TOPIC:broken", { sequential: true });
      await eventually(
        "the broken node reported",
        () => logs.some((line) => line.includes("/kafka-acl/Topic/broken")),
      );
      assert.equal(may(first, "User:alice", Op.Read, "broken"), false);
      await raw.delete("/kafka-acl/Topic/broken");

      // Delete by filter: every ACL of alice (from any broker's view of what exists).
      const deleted = await deleteAcls(
        coordination,
        [{ ...ANY_ACL_FILTER, principal: "User:alice" }],
        first.acls(ANY_ACL_FILTER),
      );
      assert.deepEqual(
        deleted[0].map((b) => `${b.resourceName}:${b.operation}`).sort(),
        ["orders-:3", "orders:4"],
      );
      assert.equal(await raw.exists("/kafka-acl/Topic/orders"), null, "an emptied node is deleted");
      for (const authorizer of [first, second]) {
        await eventually(
          "alice's ACLs gone",
          () =>
            !may(authorizer, "User:alice", Op.Write, "orders") &&
            !may(authorizer, "User:alice", Op.Read, "orders-eu"),
        );
      }
      assert.deepEqual(
        bindingsOf(await readAllAcls(coordination)).map((b) => b.principal).sort(),
        ["User:*", "User:bob"],
      );

      // A broker started later reads everything that is stored.
      const late = new AclAuthorizer();
      const lateCache = await AclCache.start(coordination, late, () => {});
      assert.equal(may(late, "User:dave", Op.Read, "billing", ResourceType.Group), true);
      assert.equal(late.aclCount, 2);
      lateCache.close();
    } finally {
      cacheA.close();
      cacheB.close();
      await coordination.close();
      await other.close();
    }
  },
);

zkServerTest("ACL store: notifications older than the expiry are purged", async (server) => {
  const coordination = await connectCoordination(server.connectString, 10_000);
  await using raw = await ZooKeeperClient.connect(server.connectString);
  let now = Date.now();
  const authorizer = new AclAuthorizer();
  const cache = await AclCache.start(coordination, authorizer, () => {}, {
    changeExpirationMs: 60_000,
    nowMs: () => now,
  });
  try {
    await createAcls(coordination, [binding({ resourceName: "a" }), binding({ resourceName: "b" })]);
    await eventually("the cache applied both", () => may(authorizer, "User:alice", Op.Write, "b"));
    // A reload queues behind the updates before it, so both notifications have been looked at.
    await cache.reload();
    assert.equal((await raw.getChildren("/kafka-acl-changes")).length, 2, "young ones stay");

    // Ages come from the nodes' creation times (the server's clock), so with the cache's clock
    // two minutes ahead every notification, the next one included, is past the expiry: the
    // next one is still applied before it is purged.
    now += 120_000;
    await createAcls(coordination, [binding({ resourceName: "c" })]);
    await eventually("the cache applied the new one", () => may(authorizer, "User:alice", Op.Write, "c"));
    await eventually(
      "old notifications purged",
      async () => (await raw.getChildren("/kafka-acl-changes")).length === 0,
    );
    assert.equal(authorizer.aclCount, 3);
  } finally {
    cache.close();
    await coordination.close();
  }
});
