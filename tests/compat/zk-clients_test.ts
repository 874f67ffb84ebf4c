/**
 * Clients nobody here wrote, against `vltava coordinator start`: node-zookeeper-client (npm),
 * kazoo's recipes (python3-kazoo) and zkCli.sh (Debian zookeeper) in batch mode.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import zookeeper from "node-zookeeper-client";
import { eventually, freePort, startProgram, tempDir } from "../helpers/program.ts";
import { KAZOO_PYTHON, PEERS, peerTest } from "../helpers/peers.ts";
import { startCoordinatorProgram } from "../helpers/cluster.ts";

// deno-lint-ignore no-explicit-any
type NodeClient = any;

function connectNode(port: number): Promise<NodeClient> {
  const client = zookeeper.createClient(`127.0.0.1:${port}`, { sessionTimeout: 10_000, retries: 0 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("node-zookeeper-client did not connect")), 30_000);
    client.once("connected", () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.connect();
  });
}

/** Close a client and wait until its session is closed, so no reply is still in flight when the server stops. */
function closeNode(client: NodeClient): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    client.once("disconnected", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      client.close();
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Call a callback-style method of node-zookeeper-client as a promise of its result list. */
function call(client: NodeClient, method: string, ...args: unknown[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    client[method](...args, (error: Error | null, ...results: unknown[]) => {
      if (error) reject(error);
      else resolve(results);
    });
  });
}

Deno.test({
  name: "node-zookeeper-client: create modes, getChildren2, watchers, multi, close removes ephemerals",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using dir = await tempDir();
    const { program, port } = await startCoordinatorProgram(dir.path);
    await using _program = program;
    const a = await connectNode(port);
    const b = await connectNode(port);
    try {
      const data = (value: string) => Buffer.from(value);
      const [root] = await call(a, "create", "/node", data("root"), zookeeper.CreateMode.PERSISTENT);
      assert.equal(root, "/node");
      const [seq] = await call(
        a,
        "create",
        "/node/seq-",
        data("s"),
        zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
      );
      assert.equal(seq, "/node/seq-0000000000");
      const [eph] = await call(b, "create", "/node/eph", null, zookeeper.CreateMode.EPHEMERAL);
      assert.equal(eph, "/node/eph");
      const [ephSeq] = await call(b, "create", "/node/es-", null, zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL);
      assert.equal(ephSeq, "/node/es-0000000002");

      const [children, stat] = await call(a, "getChildren", "/node") as [string[], { numChildren: number }];
      assert.deepEqual(children.sort(), ["eph", "es-0000000002", "seq-0000000000"]);
      assert.equal(stat.numChildren, 3);

      // exists + getData watchers fire.
      const events: string[] = [];
      let bothFired: () => void = () => {};
      const fired = new Promise<void>((resolve) => bothFired = resolve);
      const record = (event: { getType(): number; getPath(): string }) => {
        events.push(`${event.getType()} ${event.getPath()}`);
        if (events.length === 2) bothFired();
      };
      // Registered (answered) before the other session writes.
      const [missing] = await call(a, "exists", "/node/later", record);
      assert.equal(missing, null);
      await call(a, "getData", "/node", record);
      await call(b, "create", "/node/later", null, zookeeper.CreateMode.PERSISTENT);
      await call(b, "setData", "/node", data("changed"), -1);
      await fired;
      assert.deepEqual(events.sort(), ["1 /node/later", "3 /node"]);

      // multi: all-or-nothing.
      const results = await new Promise<unknown[]>((resolve, reject) => {
        a.transaction()
          .create("/node/tx", data("t"))
          .setData("/node", data("tx"), -1)
          .check("/node", 2)
          .remove("/node/later", -1)
          .commit((error: Error | null, results: unknown[]) => error ? reject(error) : resolve(results));
      });
      assert.equal(results.length, 4);
      const failure = await new Promise<{ error: { getCode(): number } | null; results: { err: number }[] }>(
        (resolve) => {
          a.transaction().create("/node/never").check("/node", 99).commit(
            (error: { getCode(): number } | null, results: { err: number }[]) => resolve({ error, results }),
          );
        },
      );
      assert.equal(failure.error?.getCode(), zookeeper.Exception.BAD_VERSION);
      await assert.rejects(
        call(a, "exists", "/node/never").then(([stat]) => {
          if (stat === null) throw new Error("absent");
        }),
      );

      // Closing b's session removes its ephemerals.
      let childEvent: (type: string) => void = () => {};
      const gone = new Promise<string>((resolve) => childEvent = resolve);
      await call(
        a,
        "getChildren",
        "/node",
        (event: { getType(): number }) => childEvent(String(event.getType())),
      );
      await closeNode(b);
      assert.equal(await gone, "4");
      const [after] = await call(a, "getChildren", "/node") as [string[]];
      assert.deepEqual(after.sort(), ["seq-0000000000", "tx"]);
    } finally {
      await closeNode(a);
      await closeNode(b);
    }
  },
});

Deno.test({
  name: "node-zookeeper-client: survives a coordinator restart (re-attach, setWatches, ephemerals kept)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using dir = await tempDir();
    const port = freePort();
    const args = ["coordinator", "start", "--port", String(port), "--data-dir", dir.path];
    let program = await startProgram(args, port);
    await using _first = program; // stopped even when connecting fails
    const client = await connectNode(port);
    let other: NodeClient | undefined;
    try {
      const states: string[] = [];
      for (const state of ["connected", "disconnected", "expired"]) {
        client.on(state, () => states.push(state));
      }
      await call(client, "create", "/np", null, zookeeper.CreateMode.PERSISTENT);
      await call(client, "create", "/np/data", Buffer.from("v0"), zookeeper.CreateMode.PERSISTENT);
      await call(client, "create", "/np/eph", null, zookeeper.CreateMode.EPHEMERAL);
      let dataEvent: (text: string) => void = () => {};
      const changed = new Promise<string>((resolve) => dataEvent = resolve);
      await call(
        client,
        "getData",
        "/np/data",
        (event: { getType(): number; getPath(): string }) =>
          dataEvent(`${event.getType()} ${event.getPath()}`),
      );
      await program.stop("SIGTERM");
      program = await startProgram(args, port);
      await eventually("the client to re-attach", () => states.includes("connected"), 60_000);
      assert.ok(!states.includes("expired"), `session expired: ${states}`);
      other = await connectNode(port);
      await call(other, "setData", "/np/data", Buffer.from("v1"), -1);
      assert.equal(await changed, "3 /np/data");
      const [stat] = await call(other, "exists", "/np/eph") as [{ ephemeralOwner: unknown } | null];
      assert.ok(stat !== null, "the ephemeral survived the restart");
    } finally {
      await closeNode(client);
      if (other) await closeNode(other);
      await program.stop("SIGKILL");
    }
  },
});

const PYTHON = KAZOO_PYTHON;

peerTest("kazoo recipes: Lock, Election, ChildrenWatch, DataWatch, transactions", [PEERS.kazoo], async () => {
  await using dir = await tempDir();
  const { program, port } = await startCoordinatorProgram(dir.path);
  await using _program = program;
  const script = new URL("./kazoo_recipes.py", import.meta.url).pathname;
  const output = await new Deno.Command(PYTHON!, {
    args: [script, `127.0.0.1:${port}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `kazoo script failed:\n${stdout}\n${stderr}`);
  assert.deepEqual(stdout.trim().split("\n"), [
    "ok Lock",
    "ok Election",
    "ok ChildrenWatch",
    "ok DataWatch",
    "ok transaction",
  ]);
});

async function zkCli(port: number, ...command: string[]): Promise<string> {
  const output = await new Deno.Command("/usr/share/zookeeper/bin/zkCli.sh", {
    args: ["-server", `127.0.0.1:${port}`, ...command],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  // Keep only the command's own output: drop JVM logging and the connect banner.
  return text.split("\n").filter((line) =>
    line.trim() !== "" && !/^(SLF4J|Connecting to|WATCHER::|WatchedEvent|log4j)/.test(line) &&
    !/ (INFO|WARN|DEBUG) /.test(line)
  ).join("\n");
}

peerTest(
  "zkCli.sh batch mode: ls, create -e -s, get, set, stat, delete, deleteall",
  [PEERS.zookeeper],
  async () => {
    await using dir = await tempDir();
    const { program, port } = await startCoordinatorProgram(dir.path);
    await using _program = program;
    assert.equal(await zkCli(port, "ls", "/"), "[zookeeper]");
    assert.equal(await zkCli(port, "create", "/cli", "hello"), "Created /cli");
    assert.equal(await zkCli(port, "create", "/cli/kid"), "Created /cli/kid");
    assert.equal(await zkCli(port, "create", "-s", "/cli/s"), "Created /cli/s0000000001");
    assert.equal(await zkCli(port, "create", "-e", "-s", "/cli/e", "x"), "Created /cli/e0000000002");
    assert.equal(await zkCli(port, "get", "/cli"), "hello");
    assert.equal(await zkCli(port, "get", "/cli/kid"), "null");
    assert.equal(await zkCli(port, "set", "/cli", "world"), "");
    assert.equal(await zkCli(port, "get", "/cli"), "world");
    const stat = await zkCli(port, "stat", "/cli");
    assert.match(
      stat,
      /^cZxid = 0x[0-9a-f]+\nctime = .+\nmZxid = 0x[0-9a-f]+\nmtime = .+\npZxid = 0x[0-9a-f]+\n/,
    );
    assert.match(
      stat,
      /\ncversion = 3\ndataVersion = 1\naclVersion = 0\nephemeralOwner = 0x0\ndataLength = 5\nnumChildren = 3$/,
    );
    // Batch mode exits without closeSession, so the ephemeral lives until that session expires.
    assert.equal(await zkCli(port, "ls", "/cli"), "[e0000000002, kid, s0000000001]");
    assert.equal(await zkCli(port, "delete", "/cli/kid"), "");
    assert.match(await zkCli(port, "delete", "/cli"), /Node not empty: \/cli/);
    assert.equal(await zkCli(port, "create", "/cli/deep"), "Created /cli/deep");
    assert.equal(await zkCli(port, "create", "/cli/deep/er"), "Created /cli/deep/er");
    assert.equal(await zkCli(port, "deleteall", "/cli"), "");
    assert.equal(await zkCli(port, "ls", "/"), "[zookeeper]");
    assert.match(await zkCli(port, "get", "/cli"), /Node does not exist: \/cli/);
  },
);
