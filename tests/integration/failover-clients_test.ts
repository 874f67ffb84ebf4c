/**
 * Third-party producers through a leader failover: kafkajs and kcat (librdkafka) write with
 * acks=all to a replication-factor-3 topic (min.insync.replicas=2) while its leader is
 * SIGKILLed and leadership moves to a follower (as the controller does; moveLeadership is a
 * no-op when a controller already moved it). They follow the metadata to the new leader, and
 * every record they had acknowledged is read back from it.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startCluster, type TestCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { RawKafka, text } from "./broker-harness.ts";
import { clientOf, createAssignedTopic, moveLeadership, waitForIsr } from "./replication-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const BROKER_ARGS = ["--replica-lag-time-max-ms", "3000", "--session-timeout-ms", "4000"];

async function prepare(cluster: TestCluster, topic: string): Promise<void> {
  await using admin = await clientOf(cluster, 1);
  await createAssignedTopic(admin, topic, [[1, 2, 3]], { "min.insync.replicas": "2" });
  await waitForIsr(admin, topic, 0, [1, 2, 3]);
}

/** SIGKILL broker 1 (the leader) and move leadership to broker 2. */
async function failOver(cluster: TestCluster, topic: string): Promise<void> {
  await cluster.broker(1).program.stop("SIGKILL");
  const state = await moveLeadership(cluster, topic, 0, 1, 2, [2, 3]);
  assert.notEqual(state.leader, 1);
}

async function readBack(cluster: TestCluster, topic: string): Promise<string[]> {
  for (const id of [2, 3]) {
    await using client = await RawKafka.connect(cluster.broker(id).port);
    try {
      return (await client.readAll(topic, 0)).map((r) => text(r.value)!);
    } catch { /* not the leader: try the other one */ }
  }
  throw new Error("Neither broker 2 nor 3 serves the partition");
}

Deno.test("kafkajs keeps producing with acks=all through a leader failover and loses nothing acknowledged", {
  ...options,
  timeout: 300_000,
}, async () => {
  await using cluster = await startCluster({ brokers: 3, brokerArgs: BROKER_ARGS });
  await prepare(cluster, "js-failover");
  const kafka = new Kafka({
    clientId: "failover",
    brokers: cluster.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2_000 } });
  await producer.connect();
  const acked: string[] = [];
  const stop = { now: false };
  const writing = (async () => {
    for (let i = 0; !stop.now; i++) {
      try {
        await producer.send({
          topic: "js-failover",
          acks: -1,
          messages: [{ partition: 0, value: `js-${i}` }],
        });
        acked.push(`js-${i}`);
      } catch { /* not acknowledged: not counted */ }
    }
  })();
  try {
    await eventually("kafkajs to get acks before the failover", () => acked.length >= 50);
    const before = acked.length;
    await failOver(cluster, "js-failover");
    await eventually("kafkajs to get acks from the new leader", () => acked.length >= before + 50, 120_000);
  } finally {
    stop.now = true;
    await writing;
    await producer.disconnect();
  }
  const stored = new Set(await readBack(cluster, "js-failover"));
  assert.deepEqual(acked.filter((value) => !stored.has(value)), [], "acknowledged records lost");
});

peerTest("kcat keeps producing with acks=all through a leader failover and loses nothing acknowledged", [
  PEERS.kcat,
], async () => {
  await using cluster = await startCluster({ brokers: 3, brokerArgs: BROKER_ARGS });
  await prepare(cluster, "kcat-failover");
  const child = new Deno.Command("kcat", {
    args: [
      "-P",
      "-b",
      cluster.bootstrap,
      "-t",
      "kcat-failover",
      "-p",
      "0",
      "-X",
      "acks=all",
      "-X",
      "linger.ms=5",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  // However the test ends, kcat does not outlive it.
  await using _kcat = {
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await output.catch(() => {});
    },
  };
  const stdin = child.stdin.getWriter();
  const lines = (from: number, to: number) =>
    new TextEncoder().encode(Array.from({ length: to - from }, (_, i) => `kcat-${from + i}\n`).join(""));
  await stdin.write(lines(0, 500));
  await eventually("kcat's first records to be stored", async () => {
    await using leader = await clientOf(cluster, 1);
    return (await leader.readAll("kcat-failover", 0)).length >= 100;
  });
  await failOver(cluster, "kcat-failover");
  await stdin.write(lines(500, 1000));
  await stdin.close();
  const result = await output;
  const stderr = new TextDecoder().decode(result.stderr);
  // kcat exits 0 only when librdkafka reported every message delivered (acknowledged).
  assert.equal(result.code, 0, stderr);
  const stored = new Set(await readBack(cluster, "kcat-failover"));
  const missing = Array.from({ length: 1000 }, (_, i) => `kcat-${i}`).filter((value) => !stored.has(value));
  assert.deepEqual(missing, [], "acknowledged records lost");
}, options);
