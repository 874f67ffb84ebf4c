/**
 * ACL and SCRAM user management end to end: SecurityAdmin (the client) talks over SASL to a
 * stand-in listener whose handlers are the broker's request logic (acl-requests.ts,
 * scram-requests.ts) over the real coordinator; plus the request logic's refusals on their own.
 */
import assert from "node:assert/strict";
import { startCoordinator } from "../../src/coordinator/mod.ts";
import { connectCoordination } from "../../src/broker/zk-coordination.ts";
import { SecurityAdmin } from "../../src/client/security-admin.ts";
import { KafkaError } from "../../src/kafka/errors.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { AclOperation as Op, PatternType, ResourceType } from "../../src/kafka/acl.ts";
import * as createAclsApi from "../../src/kafka/apis/create-acls.ts";
import * as describeAclsApi from "../../src/kafka/apis/describe-acls.ts";
import * as deleteAclsApi from "../../src/kafka/apis/delete-acls.ts";
import * as describeUsersApi from "../../src/kafka/apis/describe-user-scram-credentials.ts";
import * as alterUsersApi from "../../src/kafka/apis/alter-user-scram-credentials.ts";
import { AclAuthorizer } from "../../src/security/acl-authorizer.ts";
import { ANY_ACL_FILTER } from "../../src/security/acl-bindings.ts";
import {
  createAclsResponse,
  deleteAclsResponse,
  describeAclsResponse,
  type SecurityRequestContext,
} from "../../src/security/acl-requests.ts";
import { AclCache } from "../../src/security/acl-store.ts";
import { ScramCredentialStore, upsertScramCredential } from "../../src/security/credential-store.ts";
import {
  alterUserScramCredentialsResponse,
  describeUserScramCredentialsResponse,
} from "../../src/security/scram-requests.ts";
import { createScramCredential, SCRAM_SHA_512 } from "../../src/security/scram.ts";
import { eventually, tempDir } from "../helpers/program.ts";
import { SecureTestBroker, type TestHandler } from "./secure-test-broker.ts";
import { binding } from "./acl-fixtures.ts";

async function withCoordinator(body: (connectString: string) => Promise<void>): Promise<void> {
  await using dir = await tempDir("vltava-management-");
  const coordinator = await startCoordinator({ port: 0, dataDir: dir.path, log: () => {} });
  try {
    await body(`127.0.0.1:${coordinator.port}`);
  } finally {
    await coordinator.close();
  }
}

Deno.test({
  name: "SecurityAdmin manages users and ACLs over SASL; only the super user may, until ACLs say otherwise",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withCoordinator(async (connectString) => {
      const coordination = await connectCoordination(connectString, 10_000);
      const authorizer = new AclAuthorizer({ superUsers: ["User:admin"] });
      const store = await ScramCredentialStore.start(coordination, () => {});
      const acls = await AclCache.start(coordination, authorizer, () => {});
      await upsertScramCredential(
        coordination,
        "admin",
        "SCRAM-SHA-512",
        await createScramCredential(SCRAM_SHA_512, "root", 4096),
      );
      await eventually("admin in the cache", () => store.lookup("admin", "SCRAM-SHA-512"));
      const context = (caller: { principal: string; host: string }): SecurityRequestContext => ({
        ...caller,
        authorizer,
        coordination,
      });
      const serve = <Req, Res>(
        apiKey: number,
        max: number,
        read: (r: Parameters<TestHandler>[1], v: number) => Req,
        handle: (ctx: SecurityRequestContext, request: Req) => Promise<Res> | Res,
        write: (w: Parameters<Awaited<ReturnType<TestHandler>>>[0], v: number, response: Res) => void,
      ) => ({
        apiKey,
        minVersion: 0,
        maxVersion: max,
        handle: (async (version, body, caller) => {
          const response = await handle(context(caller), read(body, version));
          return (writer) => write(writer, version, response);
        }) as TestHandler,
      });
      await using broker = await SecureTestBroker.start({
        protocol: "SASL_PLAINTEXT",
        lookup: store.lookup,
        handlers: [
          serve(
            ApiKey.CreateAcls,
            3,
            createAclsApi.readCreateAclsRequest,
            createAclsResponse,
            createAclsApi.writeCreateAclsResponse,
          ),
          serve(
            ApiKey.DescribeAcls,
            3,
            describeAclsApi.readDescribeAclsRequest,
            describeAclsResponse,
            describeAclsApi.writeDescribeAclsResponse,
          ),
          serve(
            ApiKey.DeleteAcls,
            3,
            deleteAclsApi.readDeleteAclsRequest,
            deleteAclsResponse,
            deleteAclsApi.writeDeleteAclsResponse,
          ),
          serve(
            ApiKey.DescribeUserScramCredentials,
            0,
            describeUsersApi.readDescribeUserScramCredentialsRequest,
            (ctx, request) => describeUserScramCredentialsResponse(ctx, request, () => store.describe()),
            describeUsersApi.writeDescribeUserScramCredentialsResponse,
          ),
          serve(
            ApiKey.AlterUserScramCredentials,
            0,
            alterUsersApi.readAlterUserScramCredentialsRequest,
            alterUserScramCredentialsResponse,
            alterUsersApi.writeAlterUserScramCredentialsResponse,
          ),
        ],
      });
      const as = (username: string, password: string) =>
        new SecurityAdmin({
          bootstrap: `127.0.0.1:${broker.port}`,
          security: { protocol: "SASL_PLAINTEXT", sasl: { mechanism: "SCRAM-SHA-512", username, password } },
        });
      await using admin = as("admin", "root");
      try {
        await admin.upsertUserScramCredential("alice", "SCRAM-SHA-512", "wonderland", 8192);
        await eventually(
          "alice listed",
          async () => (await admin.describeUserScramCredentials()).length === 2,
        );
        assert.deepEqual(await admin.describeUserScramCredentials(["alice"]), [
          { user: "alice", mechanisms: [{ mechanism: "SCRAM-SHA-512", iterations: 8192 }] },
        ]);
        await assert.rejects(admin.describeUserScramCredentials(["nobody"]), /RESOURCE_NOT_FOUND/);

        // alice can log in, but may not manage anything yet.
        await using alice = as("alice", "wonderland");
        const denied = await alice.describeAcls(ANY_ACL_FILTER).catch((e) => e);
        assert.ok(denied instanceof KafkaError && denied.type === "CLUSTER_AUTHORIZATION_FAILED");
        await assert.rejects(
          alice.upsertUserScramCredential("mallory", "SCRAM-SHA-256", "x"),
          /CLUSTER_AUTHORIZATION_FAILED/,
        );

        await admin.createAcls([
          binding({
            resourceType: ResourceType.Cluster,
            resourceName: "kafka-cluster",
            operation: Op.Describe,
          }),
          binding({}),
          binding({ resourceName: "logs-", patternType: PatternType.Prefixed, operation: Op.Read }),
        ]);
        // The writing broker applies its own writes at once.
        assert.equal(authorizer.aclCount, 3);
        assert.equal((await alice.describeAcls(ANY_ACL_FILTER)).length, 3);
        await assert.rejects(
          admin.createAcls([binding({ resourceType: ResourceType.Cluster, resourceName: "other" })]),
          /INVALID_REQUEST.*only valid name for the Cluster resource is kafka-cluster/,
        );
        const deleted = await admin.deleteAcls([{ ...ANY_ACL_FILTER, resourceType: ResourceType.Topic }]);
        assert.deepEqual(deleted.map((b) => b.resourceName).sort(), ["logs-", "orders"]);
        assert.deepEqual((await admin.describeAcls(ANY_ACL_FILTER)).map((b) => b.resourceType), [
          ResourceType.Cluster,
        ]);

        await admin.deleteUserScramCredential("alice", "SCRAM-SHA-512");
        await assert.rejects(admin.deleteUserScramCredential("alice", "SCRAM-SHA-512"), /RESOURCE_NOT_FOUND/);
        await eventually("alice gone", async () => (await admin.describeUserScramCredentials()).length === 1);
        await assert.rejects(
          as("alice", "wonderland").describeAcls(ANY_ACL_FILTER),
          /authentication failed for "alice"/,
        );
      } finally {
        acls.close();
        store.close();
        await coordination.close();
      }
    }),
});

Deno.test({
  name: "Management requests: SECURITY_DISABLED without an authorizer, and per-user validation",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withCoordinator(async (connectString) => {
      const coordination = await connectCoordination(connectString, 10_000);
      try {
        const open: SecurityRequestContext = {
          principal: "User:ANONYMOUS",
          host: "h",
          authorizer: undefined,
          coordination,
        };
        const created = await createAclsResponse(open, { creations: [binding({})] });
        assert.equal(created.results[0].errorCode, 54);
        assert.equal(describeAclsResponse(open, { filter: ANY_ACL_FILTER }).errorCode, 54);
        assert.equal(
          (await deleteAclsResponse(open, { filters: [ANY_ACL_FILTER] })).filterResults[0].errorCode,
          54,
        );

        const salt = new Uint8Array([1, 2, 3]);
        const salted = new Uint8Array(64);
        const response = await alterUserScramCredentialsResponse(open, {
          deletions: [{ name: "ghost", mechanism: 2 }, { name: "twice", mechanism: 2 }],
          upsertions: [
            { name: "few", mechanism: 2, iterations: 100, salt, saltedPassword: salted },
            { name: "many", mechanism: 2, iterations: 20_000, salt, saltedPassword: salted },
            {
              name: "nosalt",
              mechanism: 2,
              iterations: 4096,
              salt: new Uint8Array(),
              saltedPassword: salted,
            },
            { name: "short", mechanism: 2, iterations: 4096, salt, saltedPassword: new Uint8Array(10) },
            { name: "weird", mechanism: 9, iterations: 4096, salt, saltedPassword: salted },
            { name: "twice", mechanism: 2, iterations: 4096, salt, saltedPassword: salted },
            { name: "ok", mechanism: 2, iterations: 4096, salt, saltedPassword: salted },
          ],
        });
        const codes = Object.fromEntries(response.results.map((r) => [r.user, r.errorCode]));
        assert.deepEqual(codes, {
          ghost: 91,
          twice: 92,
          few: 93,
          many: 93,
          nosalt: 93,
          short: 93,
          weird: 33,
          ok: 0,
        });
        assert.match(
          response.results.find((r) => r.user === "few")!.errorMessage!,
          /Too few iterations: at least 4096/,
        );
        // Nothing of a refused user is written; the accepted one is.
        assert.equal(await coordination.getData("/config/users/twice"), null);
        assert.ok(await coordination.getData("/config/users/ok"));
      } finally {
        await coordination.close();
      }
    }),
});
