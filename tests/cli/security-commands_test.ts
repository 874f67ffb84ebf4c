/**
 * `vltava user` and `vltava acl` against a coordinator (--coordinator): Kafka's znodes, the
 * password asked for or piped (never printed), usage errors, and protected nodes.
 */
import assert from "node:assert/strict";
import { startCoordinator } from "../../src/coordinator/mod.ts";
import { connectCoordination } from "../../src/broker/zk-coordination.ts";
import { readUserCredentials } from "../../src/security/credential-store.ts";
import { passwordMatches, SCRAM_SHA_256 } from "../../src/security/scram.ts";
import { credentialsOf, decodeUserConfig } from "../../src/security/user-znodes.ts";
import { runCli, tempDir } from "../helpers/program.ts";

/** Run `body` with an in-process coordinator; `at` is the --coordinator flag for it. */
async function withCoordinator(body: (at: string[], connectString: string) => Promise<void>): Promise<void> {
  await using dir = await tempDir("vltava-security-cli-");
  const coordinator = await startCoordinator({ port: 0, dataDir: dir.path, log: () => {} });
  try {
    await body(["--coordinator", `127.0.0.1:${coordinator.port}`], `127.0.0.1:${coordinator.port}`);
  } finally {
    await coordinator.close();
  }
}

Deno.test({
  name: "vltava user and vltava acl write Kafka's znodes straight to the coordinator",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withCoordinator(async (at, connectString) => {
      const coordination = await connectCoordination(connectString, 10_000);
      try {
        const admin = await runCli(["user", "create", "admin", "--password", "root", ...at]);
        assert.equal(admin.code, 0, admin.stderr);
        assert.equal(admin.stdout, 'user "admin": SCRAM-SHA-512 credential set (4096 iterations)\n');

        // The password piped on stdin; two mechanisms; it never appears in any output.
        const alice = await runCli(
          [
            "user",
            "create",
            "alice",
            "--mechanism",
            "SCRAM-SHA-256",
            "--mechanism",
            "scram-sha-512",
            "--iterations",
            "8192",
            ...at,
          ],
          { stdin: "w0nderland-pw\n" },
        );
        assert.equal(alice.code, 0, alice.stderr);
        assert.ok(!(alice.stdout + alice.stderr).includes("w0nderland-pw"));
        const stored = await coordination.getData("/config/users/alice");
        const sha256 = credentialsOf(decodeUserConfig("alice", stored!.data)).get("SCRAM-SHA-256")!;
        assert.ok(await passwordMatches(SCRAM_SHA_256, sha256, "w0nderland-pw"));
        assert.equal(sha256.iterations, 8192);

        const list = await runCli(["user", "list", "--json", ...at]);
        assert.deepEqual(JSON.parse(list.stdout), [
          { user: "admin", mechanisms: [{ mechanism: "SCRAM-SHA-512", iterations: 4096 }] },
          {
            user: "alice",
            mechanisms: [{ mechanism: "SCRAM-SHA-256", iterations: 8192 }, {
              mechanism: "SCRAM-SHA-512",
              iterations: 8192,
            }],
          },
        ]);
        const deleted = await runCli(["user", "delete", "alice", "--mechanism", "SCRAM-SHA-256", ...at]);
        assert.equal(deleted.stdout, 'user "alice": deleted SCRAM-SHA-256\n');
        const again = await runCli(["user", "delete", "alice", "--mechanism", "SCRAM-SHA-256", ...at]);
        assert.equal(again.code, 1);
        assert.equal(
          again.stderr,
          'error: user "alice" has no SCRAM-SHA-256 credential (see the users with: vltava user list)\n',
        );
        assert.deepEqual(await readUserCredentials(coordination, "alice"), {
          user: "alice",
          mechanisms: [{ mechanism: "SCRAM-SHA-512", iterations: 8192 }],
        });

        const added = await runCli([
          "acl",
          "add",
          "--allow",
          "User:alice",
          "--operation",
          "Write",
          "--operation",
          "describe",
          "--topic",
          "orders",
          ...at,
        ]);
        assert.equal(added.code, 0, added.stderr);
        assert.equal(
          added.stdout,
          'added: Allow User:alice Write on Topic "orders" from *\nadded: Allow User:alice Describe on Topic "orders" from *\n',
        );
        const prefixed = await runCli([
          "acl",
          "add",
          "--deny",
          "User:bob",
          "--operation",
          "Read",
          "--group",
          "billing-",
          "--prefixed",
          ...at,
        ]);
        assert.equal(prefixed.code, 0, prefixed.stderr);
        assert.ok(await coordination.getData("/kafka-acl-extended/prefixed/Group/billing-"));
        const acls = JSON.parse((await runCli(["acl", "list", "--json", ...at])).stdout);
        assert.equal(acls.length, 3);
        assert.deepEqual(acls.find((acl: { principal: string }) => acl.principal === "User:bob"), {
          permission: "Deny",
          principal: "User:bob",
          operation: "Read",
          resourceType: "Group",
          resourceName: "billing-",
          patternType: "PREFIXED",
          host: "*",
        });
        const removed = await runCli([
          "acl",
          "remove",
          "--topic",
          "orders",
          "--allow",
          "User:alice",
          "--operation",
          "Describe",
          ...at,
        ]);
        assert.equal(removed.stdout, 'removed: Allow User:alice Describe on Topic "orders" from *\n');
        const table = await runCli(["acl", "list", "--topic", "orders", ...at]);
        assert.match(
          table.stdout,
          /Allow\s*│\s*User:alice\s*│\s*Write\s*│\s*Topic\s*│\s*orders\s*│\s*LITERAL\s*│\s*\*/,
        );

        const usage = await runCli([
          "acl",
          "add",
          "--allow",
          "User:alice",
          "--operation",
          "ClusterAction",
          "--topic",
          "x",
          ...at,
        ]);
        assert.equal(usage.code, 2);
        assert.match(
          usage.stderr,
          /^error: ClusterAction does not apply to a Topic \(use one of Read, Write/,
        );
        const who = await runCli([
          "acl",
          "add",
          "--allow",
          "alice",
          "--operation",
          "Read",
          "--topic",
          "x",
          ...at,
        ]);
        assert.equal(who.code, 2);
        assert.match(who.stderr, /expected a principal like User:alice, got "alice"/);
      } finally {
        await coordination.close();
      }
    }),
});

Deno.test({
  name: "With --coordinator-auth the credentials are protected: others are told to pass the credentials",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withCoordinator(async (at) => {
      const created = await runCli(["user", "create", "admin", "--password", "root", ...at], {
        env: { VLTAVA_COORDINATOR_AUTH: "broker:zk-secret" },
      });
      assert.equal(created.code, 0, created.stderr);
      const outsider = await runCli(["user", "list", ...at]);
      assert.equal(outsider.code, 1);
      assert.equal(
        outsider.stderr,
        "error: the coordinator refused: these nodes are protected by the brokers' credentials " +
          "(pass them with --coordinator-auth USER:PASSWORD or @FILE)\n",
      );
      const insider = await runCli(["user", "list", "--coordinator-auth", "broker:zk-secret", ...at]);
      assert.match(insider.stdout, /admin\s*│\s*SCRAM-SHA-512 \(4096\)/);
    }),
});
