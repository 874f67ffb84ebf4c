/**
 * `vltava zk …` through the real program (runCli), against each server kind of the fixture.
 */
import assert from "node:assert/strict";
import { runCli } from "../helpers/program.ts";
import { freePort } from "../helpers/program.ts";
import { zkServerTest } from "../helpers/zk-servers.ts";

zkServerTest(
  "vltava zk: create, ls, get, set, stat, delete, deleteall with readable output",
  async (server) => {
    const zk = (...args: string[]) => runCli(["zk", ...args, "--server", server.connectString]);

    let result = await zk("create", "/app", "hello");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "Created /app\n");
    result = await zk("create", "/app/job-", "x", "-s");
    assert.equal(result.stdout, "Created /app/job-0000000000\n");
    result = await zk("create", "/app/deep/er", "-p");
    assert.equal(result.code, 0, result.stderr);

    result = await zk("ls", "/app");
    assert.equal(result.stdout, "deep\njob-0000000000\n");
    result = await zk("ls", "/app", "--recursive");
    assert.equal(result.stdout, "/app\n/app/deep\n/app/job-0000000000\n/app/deep/er\n");

    result = await zk("get", "/app");
    assert.equal(result.stdout, "hello\n");
    result = await zk("get", "/app/deep/er");
    assert.equal(result.stdout, "null\n", "no DATA means null data, printed as zkCli does");

    result = await zk("set", "/app", "v2");
    assert.equal(result.stdout, "Set /app (data version 1)\n");
    result = await zk("set", "/app", "v3", "--data-version", "0");
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'error: node "/app" is not at the expected version (read it again and retry)\n',
    );

    result = await zk("stat", "/app");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /│ dataVersion +│ +1 │/);
    assert.match(result.stdout, /│ numChildren +│ +2 │/);
    assert.match(result.stdout, /│ ephemeralOwner +│ +0x0 │/);

    result = await zk("delete", "/app");
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'error: node "/app" has children (use deleteall, or delete --recursive)\n');
    result = await zk("deleteall", "/app");
    assert.equal(result.stdout, "Deleted /app (4 nodes)\n");

    // delete --recursive removes a whole subtree and nothing beside it.
    for (const path of ["/tree/a/b", "/tree/a/c", "/tree/d", "/beside"]) {
      result = await zk("create", path, "-p");
      assert.equal(result.code, 0, result.stderr);
    }
    result = await zk("delete", "/tree", "--recursive");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "Deleted /tree\n");
    for (const path of ["/tree", "/tree/a", "/tree/a/b"]) {
      result = await zk("stat", path);
      assert.equal(result.code, 1, path);
      assert.equal(result.stderr, `error: node "${path}" does not exist\n`);
    }
    result = await zk("get", "/beside");
    assert.equal(result.code, 0, result.stderr);
    result = await zk("delete", "/beside");
    assert.equal(result.code, 0, result.stderr);
    result = await zk("get", "/app");
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'error: node "/app" does not exist\n');
  },
);

zkServerTest("vltava zk: --json output, ephemeral nodes, usage and connection errors", async (server) => {
  const zk = (...args: string[]) => runCli(["zk", ...args, "--server", server.connectString]);

  let result = await zk("create", "/j", "data", "--json");
  assert.deepEqual(JSON.parse(result.stdout), { path: "/j" });
  result = await zk("get", "/j", "--json");
  const got = JSON.parse(result.stdout);
  assert.equal(got.data, "data");
  assert.equal(got.stat.version, 0);
  assert.equal(got.stat.ephemeralOwner, "0x0");
  result = await zk("stat", "/j", "--json");
  assert.equal(JSON.parse(result.stdout).stat.dataLength, 4);
  result = await zk("ls", "/", "--json");
  assert.ok(JSON.parse(result.stdout).includes("j"));

  // An ephemeral node lives as long as the command's session: gone once the command exits.
  result = await zk("create", "/j/e", "-e", "-s", "--json");
  assert.match(JSON.parse(result.stdout).path, /^\/j\/e0000000000$/);
  result = await zk("ls", "/j", "--json");
  assert.deepEqual(JSON.parse(result.stdout), []);

  result = await zk("delete", "/j", "--json");
  assert.deepEqual(JSON.parse(result.stdout), { path: "/j", deleted: true });

  result = await zk("get", "relative");
  assert.equal(result.code, 2);
  assert.equal(result.stderr, 'error: path must start with "/": "relative" (see: vltava zk get --help)\n');
  result = await runCli(["zk", "ls", "/", "--server", `127.0.0.1:${freePort()}`, "--timeout-ms", "1000"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^error: cannot connect to 127\.0\.0\.1:\d+ \(is the server running\? check --server\)\n$/,
  );
  result = await runCli(["zk", "ls", "/", "--server", "host:99999"]);
  assert.equal(result.code, 2);
});

Deno.test("vltava zk: an invalid path is a usage error (exit 2) before any connection is tried", async () => {
  // No server listens here: a command that tried to connect would fail with exit 1 "cannot connect".
  const server = `127.0.0.1:${freePort()}`;
  const cases: [string[], string][] = [
    [["ls", "relative/path"], 'path must start with "/": "relative/path"'],
    [["get", "relative/path"], 'path must start with "/": "relative/path"'],
    [["stat", "/a//b"], 'path has an empty component: "/a//b"'],
    [["create", "/a/"], 'path must not end with "/": "/a/"'],
    [["set", "/a/../b", "x"], 'path has a relative component: "/a/../b"'],
    [["delete", "a"], 'path must start with "/": "a"'],
    [["deleteall", "/a/./b"], 'path has a relative component: "/a/./b"'],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(["zk", ...args, "--server", server, "--timeout-ms", "60000"]);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stderr, `error: ${message} (see: vltava zk ${args[0]} --help)\n`);
  }
});
