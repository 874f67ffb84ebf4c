/**
 * The coordinator's /metrics against a real process: ZooKeeper's metric names, values that follow
 * the tree (znodes, ephemerals, watches, connections), and `promtool check metrics` passing except
 * for its lint about the `_count` suffix, which ZooKeeper's names carry on purpose.
 */
import assert from "node:assert/strict";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { tempDir } from "../helpers/program.ts";
import { startCoordinatorProgram } from "../helpers/cluster.ts";
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";

function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

peerTest("the coordinator's /metrics uses ZooKeeper's names, follows the tree and passes promtool", [
  PEERS.promtool,
], async () => {
  await using dir = await tempDir("vltava-coordinator-metrics-");
  const { program, port } = await startCoordinatorProgram(dir.path, { extra: ["--http-port", "0"] });
  await using coordinator = program;
  const url = (await coordinator.waitForOutput(/coordinator metrics on (http:\/\/\S+\/metrics)/))[1];
  const before = await (await fetch(url)).text();
  await using zk = await ZooKeeperClient.connect(`127.0.0.1:${port}`, { sessionTimeoutMs: 10_000 });
  await zk.create("/metered", "x");
  await zk.create("/metered/e", "y", { ephemeral: true });
  await zk.getData("/metered", () => {});
  const after = await (await fetch(url)).text();
  assert.equal(sample(after, "znode_count")! - sample(before, "znode_count")!, 2);
  assert.equal(sample(after, "ephemerals_count")! - sample(before, "ephemerals_count")!, 1);
  assert.ok(sample(after, "watch_count")! >= 1);
  assert.ok(sample(after, "num_alive_connections")! >= 1);
  assert.ok(sample(after, "outstanding_requests")! >= 0);
  assert.ok(sample(after, "process_resident_memory_bytes")! > 0);

  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(after));
  await writer.close();
  const { stdout, stderr } = await child.output();
  const problems = (new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr)).split("\n")
    .filter((line) => line.trim() !== "");
  const other = problems.filter((line) =>
    !/non-histogram and non-summary metrics should not have "_count" suffix/.test(line)
  );
  assert.deepEqual(other, [], problems.join("\n"));
});
