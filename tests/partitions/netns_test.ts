/**
 * The partition harness itself (tests/helpers/netns.ts): the hosts reach each other over the
 * bridge and nothing outside it, cuts drop exactly the directions asked for, heal restores them,
 * SIGSTOP freezes a process in a namespace, and no namespace outlives its test or a crashed run.
 */
import assert from "node:assert/strict";
import { mustRun, NetLab, NETNS_PEERS, removeStaleNamespaces } from "../helpers/netns.ts";
import { peerTest } from "../helpers/peers.ts";
import { eventually, type RunningProgram } from "../helpers/program.ts";

const PROBE = new URL("./scripts/probe.ts", import.meta.url).pathname;
const DENO = [Deno.execPath(), "run", "-A", "--quiet", PROBE];
const PORT = 7001;

async function probeConnect(lab: NetLab, from: string, to: string, timeoutMs = 1_500): Promise<string> {
  const result = await lab.run(from, [...DENO, "connect", lab.address(to), String(PORT), String(timeoutMs)]);
  return result.stdout.trim();
}

function listenTcp(lab: NetLab, host: string): RunningProgram {
  return lab.spawn(host, ["listen-tcp", lab.address(host), String(PORT)], {}, { command: DENO });
}

async function namespacesOf(lab: NetLab): Promise<string[]> {
  return (await mustRun("ip", ["netns", "list"])).split("\n").map((line) => line.split(" ")[0])
    .filter((name) => name.startsWith(lab.prefix));
}

/** Send UDP from one host to another and say whether any datagram arrived. */
async function udpArrives(lab: NetLab, from: string, to: string): Promise<boolean> {
  const listener = lab.spawn(to, ["listen-udp", lab.address(to), String(PORT + 1)], {}, { command: DENO });
  try {
    await listener.waitForOutput(/listening/);
    await lab.run(from, [...DENO, "send-udp", lab.address(to), String(PORT + 1), `from-${from}`, "10"]);
    return listener.stdout.includes(`got from-${from}`);
  } finally {
    await listener.stop("SIGKILL");
  }
}

peerTest(
  "hosts reach each other over the bridge, their own loopback, and nothing outside",
  NETNS_PEERS,
  async () => {
    await using lab = await NetLab.create(["a", "b"]);
    await using server = listenTcp(lab, "b");
    await server.waitForOutput(/listening/);
    assert.equal(await probeConnect(lab, "a", "b"), "connected");
    // The machine's own interfaces are out of reach: no route leaves the private network.
    const outside = Deno.networkInterfaces().find((i) =>
      i.family === "IPv4" && !i.address.startsWith("127.")
    );
    if (outside) {
      const result = await lab.run("a", [...DENO, "connect", outside.address, "22", "1500"]);
      assert.match(
        result.stdout.trim(),
        /^error: /,
        `reached ${outside.address} from inside: ${result.stdout}`,
      );
    }
    // Loopback is up and private: a's 127.0.0.1 is not b's.
    const loopback = lab.spawn("b", ["listen-tcp", "127.0.0.1", String(PORT)], {}, { command: DENO });
    await loopback.waitForOutput(/listening/);
    const local = await lab.run("b", [...DENO, "connect", "127.0.0.1", String(PORT), "1500"]);
    assert.equal(local.stdout.trim(), "connected");
    const other = await lab.run("a", [...DENO, "connect", "127.0.0.1", String(PORT), "1500"]);
    assert.match(other.stdout.trim(), /^error: ConnectionRefused/);
  },
);

peerTest("cut, one-way block, isolate and heal drop exactly the links asked for", NETNS_PEERS, async () => {
  await using lab = await NetLab.create(["a", "b", "c"]);
  await using serverB = listenTcp(lab, "b");
  await using serverC = listenTcp(lab, "c");
  await serverB.waitForOutput(/listening/);
  await serverC.waitForOutput(/listening/);

  await lab.cut("a", "b");
  assert.equal(await probeConnect(lab, "a", "b"), "timeout");
  assert.equal(await probeConnect(lab, "a", "c"), "connected", "a cut from b must still reach c");
  await lab.heal();
  assert.equal(await probeConnect(lab, "a", "b"), "connected");
  assert.deepEqual(lab.blocks, []);

  await lab.block("a", "b");
  assert.equal(await udpArrives(lab, "a", "b"), false, "a→b is blocked");
  assert.equal(await udpArrives(lab, "b", "a"), true, "b→a stays open");
  await lab.heal();
  assert.equal(await udpArrives(lab, "a", "b"), true, "healed");

  await lab.isolate("a");
  assert.equal(await probeConnect(lab, "a", "b"), "timeout");
  assert.equal(await probeConnect(lab, "a", "c"), "timeout");
  assert.equal(await probeConnect(lab, "b", "c"), "connected", "the others still talk");
  await lab.heal();
  assert.equal(await probeConnect(lab, "a", "c"), "connected");
});

peerTest("pause freezes a process in a namespace and resume lets it run", NETNS_PEERS, async () => {
  await using lab = await NetLab.create(["a"]);
  await using server = listenTcp(lab, "a");
  await server.waitForOutput(/listening/);
  const state = () => Deno.readTextFileSync(`/proc/${server.pid}/status`).match(/^State:\s+(\S)/m)?.[1];
  lab.pause(server);
  await eventually("the process to stop", () => state() === "T");
  lab.resume(server);
  await eventually("the process to run again", () => state() !== "T");
});

peerTest(
  "namespaces go on dispose, also when the test body fails, and stale ones of a dead run are removed",
  NETNS_PEERS,
  async () => {
    let prefix = "";
    await assert.rejects(async () => {
      await using lab = await NetLab.create(["a"]);
      prefix = lab.prefix;
      lab.spawn("a", ["listen-tcp", lab.address("a"), String(PORT)], {}, { command: DENO });
      throw new Error("the test body failed");
    }, /the test body failed/);
    const left = (await mustRun("ip", ["netns", "list"])).split("\n").filter((line) =>
      line.startsWith(prefix)
    );
    assert.deepEqual(left, []);

    // A run that crashed: its namespace, named after a pid that no longer runs, with a process inside.
    const gone = new Deno.Command("true").spawn();
    await gone.status;
    const stale = `vltava-${gone.pid}-00000000-a`;
    await mustRun("ip", ["netns", "add", stale]);
    const orphan = new Deno.Command("ip", { args: ["netns", "exec", stale, "sleep", "600"] }).spawn();
    await using live = await NetLab.create(["a"]); // create() removes the stale namespace first
    assert.ok(!(await mustRun("ip", ["netns", "list"])).includes(stale), `${stale} was not removed`);
    assert.equal((await orphan.status).signal, "SIGKILL");
    assert.deepEqual((await namespacesOf(live)).sort(), [`${live.prefix}a`, `${live.prefix}hub`]);
    assert.deepEqual(await removeStaleNamespaces(), [], "a live run's namespaces are not stale");
  },
);
