/**
 * `vltava dev --secure` as a user runs it: a one-broker cluster with a SASL_SSL listener, a
 * local CA under <data-dir>/secure, an admin user and ACLs on. The printed settings file works
 * as --command-config for vltava's own commands and for kcat; a client without credentials is
 * refused; a new user can do nothing until an ACL allows it.
 */
import assert from "node:assert/strict";
import { kcat } from "../helpers/command.ts";
import { freePort, freePortRun, runCli, RunningProgram, tempDir } from "../helpers/program.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";
import { ErrorCode, KeeperError } from "../../src/zk/protocol/mod.ts";

async function expectNoAuth(what: string, action: () => Promise<unknown>): Promise<void> {
  const error = await action().then(() => undefined, (e) => e);
  assert.ok(
    error instanceof KeeperError && error.code === ErrorCode.noAuth,
    `${what}: expected NOAUTH, got ${error}`,
  );
}

peerTest("vltava dev --secure: SASL_SSL with a local CA, an admin user, printed client settings", [
  PEERS.kcat,
], async () => {
  await using dir = await tempDir("vltava-dev-secure-");
  const basePort = freePortRun(1);
  const coordinatorPort = freePort();
  await using dev = new RunningProgram([
    "dev",
    "--secure",
    "--brokers",
    "1",
    "--data-dir",
    dir.path,
    "--base-port",
    String(basePort),
    "--coordinator-port",
    String(coordinatorPort),
    "--console-port",
    "0",
    "--metrics-base-port",
    "0",
  ]);
  await dev.waitForOutput(/cluster ready/, 120_000);
  const settings = (await dev.waitForOutput(/settings: +(\S+)/, 10_000))[1];
  const bootstrap = `127.0.0.1:${basePort}`;
  const asAdmin = ["--bootstrap", bootstrap, "--command-config", settings];

  const created = await runCli(["topic", "create", "demo", ...asAdmin]);
  assert.equal(created.code, 0, created.stderr);
  const produced = await runCli(["produce", "demo", ...asAdmin], { stdin: "hello\n" });
  assert.equal(produced.code, 0, produced.stderr);

  // The kcat line printed by dev works as printed (reads the metadata over SASL_SSL).
  const line = dev.stdout.split("\n").find((text) => text.trim().startsWith("kcat -b"))!;
  const args = line.trim().split(/\s+/).slice(1);
  const listed = await kcat(args);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /topic "demo"/);

  // The coordinator is protected too: the brokers' nodes and the admin's credentials cannot be
  // rewritten (or the credentials read) by a session without the brokers' digest identity.
  const auth = (await Deno.readTextFile(`${dir.path}/secure/coordinator-auth`)).trim();
  assert.match(dev.stdout, /coordinator: protected/);
  {
    await using outsider = await ZooKeeperClient.connect(`127.0.0.1:${coordinatorPort}`);
    await expectNoAuth("rewrite a registration", () => outsider.setData("/brokers/ids/1", "{}"));
    await expectNoAuth("read the admin's credentials", () => outsider.getData("/config/users/admin"));
    await using insider = await ZooKeeperClient.connect(`127.0.0.1:${coordinatorPort}`);
    await insider.addAuth("digest", auth);
    assert.ok(((await insider.getData("/config/users/admin")).data?.length ?? 0) > 0);
  }

  // Without credentials: refused.
  const anonymous = await runCli(["topic", "list", "--bootstrap", bootstrap]);
  assert.notEqual(anonymous.code, 0);

  // A new user sees nothing until an ACL says so.
  const user = await runCli(["user", "create", "alice", "--password", "alice-secret", ...asAdmin]);
  assert.equal(user.code, 0, user.stderr);
  const asAlice = [
    "--bootstrap",
    bootstrap,
    "--security-protocol",
    "SASL_SSL",
    "--sasl-mechanism",
    "SCRAM-SHA-512",
    "--sasl-username",
    "alice",
    "--ssl-ca-location",
    `${dir.path}/secure/ca.pem`,
  ];
  const env = { VLTAVA_SASL_PASSWORD: "alice-secret" };
  const denied = await runCli([
    "consume",
    "demo",
    "--partition",
    "0",
    "--from-beginning",
    "--timeout-ms",
    "3000",
    ...asAlice,
  ], { env });
  assert.equal(denied.code, 1);
  assert.match(
    denied.stderr,
    /not allowed to read topic "demo" \(ask for: vltava acl add --allow User:alice --operation Read --topic demo\)/,
  );
  const acl = await runCli([
    "acl",
    "add",
    "--allow",
    "User:alice",
    "--operation",
    "Read",
    "--topic",
    "demo",
    ...asAdmin,
  ]);
  assert.equal(acl.code, 0, acl.stderr);
  const read = await runCli([
    "consume",
    "demo",
    "--partition",
    "0",
    "--from-beginning",
    "--max-messages",
    "1",
    "--timeout-ms",
    "10000",
    ...asAlice,
  ], { env });
  assert.equal(read.code, 0, read.stderr);
  assert.equal(read.stdout.trim(), "hello");

  dev.signal("SIGINT");
  assert.equal((await dev.status).code, 0, dev.stderr);
});
