/**
 * ACL enforcement by a real broker process (`--authorizer acl`), clients over SASL: kafkajs
 * manages ACLs (createAcls, describeAcls, deleteAcls) as the super user; alice may write
 * `orders` but not read `payments`; bob's group read is denied; deny beats allow; PREFIXED
 * ACLs; Metadata hides what a principal may not describe; the CLI says what to ask for; users
 * are managed through the broker; and a restarted broker still enforces the stored ACLs.
 */
import assert from "node:assert/strict";
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from "kafkajs";
import { Admin } from "../../src/client/admin.ts";
import { Connection } from "../../src/client/connection.ts";
import { AclOperation } from "../../src/kafka/acl.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import {
  readDescribeGroupsResponse,
  writeDescribeGroupsRequest,
} from "../../src/kafka/apis/describe-groups.ts";
import { readMetadataResponse, writeMetadataRequest } from "../../src/kafka/apis/metadata.ts";
import { Consumer } from "../../src/client/consumer.ts";
import { Producer } from "../../src/client/producer.ts";
import type { ClientSecurity } from "../../src/client/security.ts";
import { KafkaError } from "../../src/kafka/errors.ts";
import { createTopics } from "../helpers/cluster.ts";
import { runCli } from "../helpers/program.ts";
import { startSecureCluster } from "../helpers/secure-cluster.ts";

const sasl = (username: string): ClientSecurity => ({
  protocol: "SASL_PLAINTEXT",
  sasl: { mechanism: "SCRAM-SHA-512", username, password: `${username}-secret` },
});

/** The Kafka error code an operation fails with, or 0. */
async function codeOf(operation: () => Promise<unknown>): Promise<number> {
  try {
    await operation();
    return 0;
  } catch (error) {
    if (error instanceof KafkaError) return error.code;
    throw error;
  }
}

/** A vltava client command as `user` over SASL_PLAINTEXT SCRAM-SHA-512. */
function cliAs(user: string, bootstrap: string, args: string[]) {
  return runCli([
    ...args,
    "--bootstrap",
    bootstrap,
    "--security-protocol",
    "SASL_PLAINTEXT",
    "--sasl-mechanism",
    "SCRAM-SHA-512",
    "--sasl-username",
    user,
  ], { env: { VLTAVA_SASL_PASSWORD: `${user}-secret` } });
}

async function produce(bootstrap: string, user: string, topic: string): Promise<number> {
  await using producer = new Producer({ bootstrap, security: sasl(user), acks: "all", retries: 0 });
  return await codeOf(() => producer.send({ topic, partition: 0, value: `from ${user}` }));
}

async function read(bootstrap: string, user: string, topic: string): Promise<number> {
  await using consumer = new Consumer({ bootstrap, security: sasl(user) });
  return await codeOf(async () => {
    await consumer.assign([{ topic, partition: 0, from: "earliest" }]);
    await consumer.poll(2_000);
  });
}

/** A connection to the (one) broker as `user`, closed after `body`. */
async function withConnection<T>(bootstrap: string, user: string, body: (c: Connection) => Promise<T>) {
  const [host, port] = bootstrap.split(",")[0].split(":");
  const connection = await Connection.connect({ host, port: Number(port), security: sasl(user) });
  try {
    return await body(connection);
  } finally {
    connection.close();
  }
}

/** DescribeGroups v3 of one group as `user`, asking for authorized operations: [error, operations]. */
function groupOperations(bootstrap: string, user: string, group: string) {
  return withConnection(bootstrap, user, async (connection) => {
    const response = await connection.request(
      ApiKey.DescribeGroups,
      3,
      (w) => writeDescribeGroupsRequest(w, 3, { groups: [group], includeAuthorizedOperations: true }),
      (r) => readDescribeGroupsResponse(r, 3),
    );
    return [response.groups[0].errorCode, response.groups[0].authorizedOperations];
  });
}

/** Metadata v8 for all topics as `user`, asking for topic and cluster authorized operations. */
function authorizedOperations(bootstrap: string, user: string) {
  return withConnection(bootstrap, user, async (connection) => {
    const response = await connection.request(
      ApiKey.Metadata,
      8,
      (w) =>
        writeMetadataRequest(w, 8, {
          topics: null,
          allowAutoTopicCreation: false,
          includeClusterAuthorizedOperations: true,
          includeTopicAuthorizedOperations: true,
        }),
      (r) => readMetadataResponse(r, 8),
    );
    return {
      cluster: response.clusterAuthorizedOperations,
      topics: Object.fromEntries(
        response.topics.map((topic) => [topic.name, topic.topicAuthorizedOperations]),
      ),
    };
  });
}

Deno.test({
  name:
    "ACLs: alice writes orders but cannot read payments, bob's group is denied, deny wins, prefixes, restart",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using secure = await startSecureCluster({
      users: { admin: "admin-secret", broker: "broker-secret", alice: "alice-secret", bob: "bob-secret" },
      listeners: (_id, port) => [`SASL_PLAINTEXT://127.0.0.1:${port}`],
      brokerArgs: ["--authorizer", "acl", "--super-users", "User:admin;User:broker"],
      interBrokerProperties: () =>
        [
          "security.protocol=SASL_PLAINTEXT",
          "sasl.mechanism=SCRAM-SHA-512",
          "sasl.username=broker",
          "sasl.password=broker-secret",
        ].join("\n"),
      clientSecurity: () => sasl("admin"),
    });
    const { cluster } = secure;
    const bootstrap = cluster.bootstrap;
    const topics = ["orders", "payments", "billing-eu", "public"];
    await createTopics(
      bootstrap,
      topics.map((name) => ({ name, partitions: 1, replicationFactor: 1 })),
      60_000,
      sasl("admin"),
    );

    const kafkajs = (user: string) =>
      new Kafka({
        clientId: `acl-${user}`,
        brokers: [bootstrap],
        sasl: { mechanism: "scram-sha-512", username: user, password: `${user}-secret` },
        logLevel: logLevel.NOTHING,
      }).admin();
    const admin = kafkajs("admin");
    await admin.connect();
    try {
      const acl = (
        principal: string,
        resourceType: AclResourceTypes,
        resourceName: string,
        operation: AclOperationTypes,
        permissionType = AclPermissionTypes.ALLOW,
        resourcePatternType = ResourcePatternTypes.LITERAL,
      ) => ({
        principal,
        resourceType,
        resourceName,
        operation,
        permissionType,
        resourcePatternType,
        host: "*",
      });
      await admin.createAcls({
        acl: [
          acl("User:alice", AclResourceTypes.TOPIC, "orders", AclOperationTypes.WRITE),
          acl(
            "User:alice",
            AclResourceTypes.TOPIC,
            "billing-",
            AclOperationTypes.WRITE,
            undefined,
            ResourcePatternTypes.PREFIXED,
          ),
          acl("User:*", AclResourceTypes.TOPIC, "public", AclOperationTypes.READ),
          acl("User:bob", AclResourceTypes.TOPIC, "public", AclOperationTypes.READ, AclPermissionTypes.DENY),
          acl("User:bob", AclResourceTypes.TOPIC, "orders", AclOperationTypes.READ),
        ],
      });
      const described = await admin.describeAcls({
        resourceType: AclResourceTypes.TOPIC,
        resourcePatternType: ResourcePatternTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
        operation: AclOperationTypes.ANY,
      });
      assert.deepEqual(
        described.resources.map((r) => `${r.resourceName}:${r.acls.length}`).sort(),
        ["billing-:1", "orders:2", "public:2"],
      );

      // alice: writes orders and (prefixed) billing-eu; not payments; not read payments.
      assert.equal(await produce(bootstrap, "alice", "orders"), 0);
      assert.equal(await produce(bootstrap, "alice", "billing-eu"), 0);
      assert.notEqual(await produce(bootstrap, "alice", "payments"), 0);
      assert.equal(await read(bootstrap, "alice", "payments"), 29); // TOPIC_AUTHORIZATION_FAILED
      // Deny wins over User:* allow: bob cannot read public, alice can.
      assert.equal(await read(bootstrap, "alice", "public"), 0);
      assert.equal(await read(bootstrap, "bob", "public"), 29);
      // Metadata lists only what alice may describe (Write implies Describe).
      {
        await using alice = new Admin({ bootstrap, security: sasl("alice") });
        assert.deepEqual((await alice.listTopics()).sort(), ["billing-eu", "orders", "public"]);
      }
      // Metadata v8's authorized operations, when asked for: bit n = operation code n.
      const bits = (...operations: number[]) => operations.reduce((field, op) => field | (1 << op), 0);
      assert.deepEqual(await authorizedOperations(bootstrap, "alice"), {
        cluster: 0,
        topics: {
          "billing-eu": bits(AclOperation.Write, AclOperation.Describe),
          orders: bits(AclOperation.Write, AclOperation.Describe),
          public: bits(AclOperation.Read, AclOperation.Describe),
        },
      });
      const everyTopicOperation = bits(3, 4, 5, 6, 7, 8, 10, 11); // Read … AlterConfigs, as Kafka reports them
      assert.deepEqual(await authorizedOperations(bootstrap, "admin"), {
        cluster: bits(5, 7, 8, 9, 10, 11, 12), // Create, Alter, Describe, ClusterAction, …Configs, IdempotentWrite
        topics: Object.fromEntries(topics.map((name) => [name, everyTopicOperation])),
      });
      // DescribeGroups v3 likewise: the super user may do every group operation; alice
      // may not describe it, so nothing is reported (Integer.MIN_VALUE, "omitted").
      // (whatever the group's own error, e.g. NOT_COORDINATOR before the offsets topic exists, as Kafka).
      assert.equal(
        (await groupOperations(bootstrap, "admin", "audit-group"))[1],
        bits(
          AclOperation.Read,
          AclOperation.Describe,
          AclOperation.Delete,
          AclOperation.DescribeConfigs,
          AclOperation.AlterConfigs,
        ),
      );
      assert.deepEqual(await groupOperations(bootstrap, "alice", "audit-group"), [30, -2147483648]);
      // bob may read orders, but his group is not his: GROUP_AUTHORIZATION_FAILED.
      assert.equal(await read(bootstrap, "bob", "orders"), 0);
      const bobsGroup = await cliAs("bob", bootstrap, [
        "consume",
        "orders",
        "--group",
        "bob-group",
        "--from-beginning",
        "--max-messages",
        "1",
        "--timeout-ms",
        "5000",
      ]);
      assert.equal(bobsGroup.code, 1, bobsGroup.stderr);
      assert.equal(
        bobsGroup.stderr.trim(),
        `error: not allowed to use group "bob-group" (ask for: vltava acl add --allow User:bob --operation Read --group bob-group)`,
      );
      // The CLI says what to ask for.
      const cli = await cliAs("alice", bootstrap, [
        "consume",
        "payments",
        "--partition",
        "0",
        "--from-beginning",
        "--timeout-ms",
        "3000",
      ]);
      assert.equal(cli.code, 1, cli.stderr);
      assert.equal(
        cli.stderr.trim(),
        `error: not allowed to read topic "payments" (ask for: vltava acl add --allow User:alice --operation Read --topic payments)`,
      );

      // Only the super user manages ACLs.
      const aliceAdmin = kafkajs("alice");
      await aliceAdmin.connect();
      try {
        await assert.rejects(
          aliceAdmin.createAcls({
            acl: [acl("User:alice", AclResourceTypes.TOPIC, "payments", AclOperationTypes.READ)],
          }),
          /authoriz/i,
        );
      } finally {
        await aliceAdmin.disconnect();
      }
      // Users through the broker: admin creates carol, who can log in (and sees what User:* may).
      const created = await cliAs("admin", bootstrap, [
        "user",
        "create",
        "carol",
        "--password",
        "carol-secret",
      ]);
      assert.equal(created.code, 0, created.stderr);
      {
        await using carol = new Admin({ bootstrap, security: sasl("carol") });
        assert.deepEqual(await carol.listTopics(), ["public"]);
      }

      // deleteAcls: bob loses orders.
      await admin.deleteAcls({
        filters: [{
          resourceType: AclResourceTypes.TOPIC,
          resourceName: "orders",
          resourcePatternType: ResourcePatternTypes.LITERAL,
          principal: "User:bob",
          host: "*",
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ANY,
        }],
      });
      assert.equal(await read(bootstrap, "bob", "orders"), 29);
    } finally {
      await admin.disconnect();
    }

    // A restarted broker reads the stored ACLs and enforces them.
    const { port } = cluster.broker(1);
    await cluster.broker(1).program.stop("SIGTERM");
    await cluster.startBroker(1, port);
    assert.equal(await produce(bootstrap, "alice", "orders"), 0);
    assert.equal(await read(bootstrap, "alice", "payments"), 29);
    assert.equal(await read(bootstrap, "bob", "public"), 29);
  },
});
