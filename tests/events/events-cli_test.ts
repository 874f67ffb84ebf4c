/**
 * `vltava events` against real processes: a 3-broker cluster, a replicated topic, a produce, then
 * the leader of partition 0 SIGKILLed and restarted. The NDJSON stream must tell it in order:
 * topic-created, the partition's first leader, its high watermark moving, the victim leaving
 * (expired), leader-changed away from it with the ISR shrunk, and after the restart the victim
 * back and the ISR expanded. Once on the built-in coordinator, once with the brokers on a real
 * ZooKeeper 3.8, and once through the library with one-shot watches (servers older than 3.6).
 */
import assert from "node:assert/strict";
import { produceValues, startCluster, TestCluster } from "../helpers/cluster.ts";
import { eventually, freePorts, runCli, RunningProgram, tempDir } from "../helpers/program.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { startRealZooKeeper } from "../helpers/real-zookeeper.ts";
import { Admin } from "../../src/client/admin.ts";
import { Timeline } from "../../src/events/timeline.ts";
import type { ClusterEvent } from "../../src/events/cluster-event.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const BROKER_ARGS = ["--replica-lag-time-max-ms", "3000", "--session-timeout-ms", "4000"];
const TOPIC = "watched";

/** Events parsed from an NDJSON stream so far. */
function parsed(output: string): ClusterEvent[] {
  return output.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
}

type Source = () => ClusterEvent[];

function waitFor(source: Source, what: string, match: (e: ClusterEvent) => boolean, timeoutMs = 90_000) {
  return eventually(what, () => source().find(match), timeoutMs, 100);
}

/** The scripted failover, checked against whatever `source` has seen. */
async function failover(cluster: TestCluster, source: Source): Promise<void> {
  await waitFor(source, "a controller-elected event", (e) => e.type === "controller-elected");
  for (const id of [1, 2, 3]) {
    await waitFor(source, `broker ${id} joined`, (e) => e.type === "broker-joined" && e.broker === id);
  }
  {
    await using admin = new Admin({ bootstrap: cluster.bootstrap });
    await admin.createTopics([{ name: TOPIC, partitions: 2, replicationFactor: 3 }]);
  }
  const created = await waitFor(
    source,
    "topic-created",
    (e) => e.type === "topic-created" && e.topic === TOPIC,
  );
  assert.deepEqual(created.type === "topic-created" && [created.partitions, created.replicationFactor], [
    2,
    3,
  ]);
  const first = await waitFor(
    source,
    "the first leader of partition 0",
    (e) => e.type === "leader-changed" && e.topic === TOPIC && e.partition === 0,
  );
  assert.ok(first.type === "leader-changed" && first.oldLeader === null && first.newLeader > 0);
  const victim = first.newLeader;

  await produceValues(cluster.bootstrap, TOPIC, 0, 5);
  await waitFor(
    source,
    "the high watermark of partition 0 at 5",
    (e) => e.type === "high-watermark" && e.topic === TOPIC && e.partition === 0 && e.value === 5,
  );

  const killedAt = source().length;
  cluster.broker(victim).program.signal("SIGKILL");
  const after = () => source().slice(killedAt);
  const left = await waitFor(
    after,
    `broker ${victim} left`,
    (e) => e.type === "broker-left" && e.broker === victim,
  );
  assert.equal(left.type === "broker-left" && left.how, "expired");
  const moved = await waitFor(
    after,
    "leader-changed off the victim",
    (e) => e.type === "leader-changed" && e.topic === TOPIC && e.partition === 0 && e.oldLeader === victim,
  );
  assert.ok(moved.type === "leader-changed" && moved.newLeader !== victim && moved.newLeader > 0);
  assert.equal(moved.type === "leader-changed" && moved.why, "old leader offline");
  const shrunk = await waitFor(
    after,
    "isr-shrunk without the victim",
    (e) => e.type === "isr-shrunk" && e.topic === TOPIC && e.partition === 0,
  );
  assert.ok(
    shrunk.type === "isr-shrunk" && shrunk.oldIsr.includes(victim) && !shrunk.newIsr.includes(victim),
  );
  // In order: the victim left before the partition moved; sequence numbers only grow.
  assert.ok(left.seq < moved.seq && moved.seq <= shrunk.seq);

  const restartedAt = source().length;
  await cluster.startBroker(victim, cluster.broker(victim).port);
  const back = () => source().slice(restartedAt);
  await waitFor(
    back,
    `broker ${victim} joined again`,
    (e) => e.type === "broker-joined" && e.broker === victim,
  );
  const expanded = await waitFor(
    back,
    "isr-expanded with the victim back",
    (e) => e.type === "isr-expanded" && e.topic === TOPIC && e.partition === 0,
  );
  assert.ok(expanded.type === "isr-expanded" && expanded.newIsr.includes(victim));
}

/** Run `vltava events --follow --json` against the cluster's coordinator, for the whole test. */
function followEvents(connect: string): RunningProgram {
  return new RunningProgram(["events", "--coordinator", connect, "--follow", "--json", "--sample-ms", "200"]);
}

Deno.test(
  "vltava events --follow --json tells a scripted failover in order (built-in coordinator)",
  { ...options, timeout: 300_000 },
  async () => {
    await using cluster = await startCluster({ brokers: 3, brokerArgs: BROKER_ARGS });
    await using events = followEvents(cluster.coordinatorAddress);
    await failover(cluster, () => parsed(events.stdout));

    // The history the tree keeps is there for a late viewer, with the tree's own times.
    const late = await runCli(["events", "--coordinator", cluster.coordinatorAddress]);
    assert.equal(late.code, 0, late.stderr);
    const lines = late.stdout.trim().split("\n");
    assert.ok(
      lines.some((line) => /topic-created\s+watched\s+2 partition\(s\), replication factor 3$/.test(line)),
    );
    assert.ok(lines.every((line) => /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}[a-z-]+ +\S/.test(line)), late.stdout);
    const json = await runCli([
      "events",
      "--coordinator",
      cluster.coordinatorAddress,
      "--json",
      "--since",
      "1h",
    ]);
    const replayed = parsed(json.stdout);
    assert.ok(replayed.length >= 4 && replayed.every((e) => e.replayed === true));
    const none = await runCli(["events", "--coordinator", cluster.coordinatorAddress, "--since", "0s"]);
    assert.equal(none.stdout, "");
  },
);

peerTest(
  "vltava events tells the same failover with the brokers on a real ZooKeeper 3.8",
  [PEERS.zookeeper],
  async () => {
    await using zookeeper = await startRealZooKeeper();
    await using cluster = new TestCluster(await tempDir("vltava-zk-events-"), zookeeper.port, {
      brokerArgs: BROKER_ARGS,
    });
    const ports = freePorts(3);
    for (const [i, port] of ports.entries()) await cluster.startBroker(i + 1, port);
    await cluster.waitForBrokers();
    await using events = followEvents(zookeeper.connectString);
    await failover(cluster, () => parsed(events.stdout));
  },
  options,
);

Deno.test(
  "the timeline library with one-shot watches (servers without addWatch) sees the same failover",
  { ...options, timeout: 300_000 },
  async () => {
    await using cluster = await startCluster({ brokers: 3, brokerArgs: BROKER_ARGS });
    await using timeline = await Timeline.start({
      coordinator: cluster.coordinatorAddress,
      watchMode: "one-shot",
      sampleIntervalMs: 200,
    });
    assert.equal(timeline.watchMode, "one-shot");
    await failover(cluster, () => timeline.log.all());
  },
);

Deno.test("vltava events refuses a bad --since and names an unreachable coordinator", options, async () => {
  const bad = await runCli(["events", "--coordinator", "127.0.0.1:1", "--since", "ten minutes"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /expected a duration like 30s, 10m, 2h or 1d/);
  const [port] = freePorts(1);
  const gone = await runCli(["events", "--coordinator", `127.0.0.1:${port}`]);
  assert.equal(gone.code, 1);
  assert.match(
    gone.stderr,
    /^error: cannot read the coordinator at 127\.0\.0\.1:\d+: .*\(is it running\?\)\n$/,
  );
});
