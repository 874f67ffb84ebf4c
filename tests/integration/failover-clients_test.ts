/**
 * Third-party producers through a leader failover: kafkajs and kcat (librdkafka) write with
 * acks=all to a replication-factor-3 topic (min.insync.replicas=2) while its leader is
 * SIGKILLed and the controller, once the dead broker's session has expired, elects a follower
 * (the test only waits for the new leader in the partition state; it never moves leadership).
 * They follow the metadata to the new leader, and every record they had acknowledged is read
 * back from it, in the order they were acknowledged. kafkajs's idempotent producer goes through
 * the same failover without a single duplicate (the new leader knows its sequences), and so does
 * librdkafka's (kcat with enable.idempotence=true) and @platformatic/kafka's.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { Producer as PlatformaticProducer, stringSerializers } from "@platformatic/kafka";
import { startCluster, type TestCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { RawKafka, text } from "./broker-harness.ts";
import { clientOf, createAssignedTopic, waitForIsr } from "./replication-harness.ts";
import { partitionState, waitForControllerFailover, waitForLiveBrokers } from "./controller-failover.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const BROKER_ARGS = ["--replica-lag-time-max-ms", "3000", "--session-timeout-ms", "4000"];

async function prepare(cluster: TestCluster, topic: string): Promise<void> {
  await waitForLiveBrokers(cluster, 1, [1, 2, 3]);
  await using admin = await clientOf(cluster, 1);
  await createAssignedTopic(admin, topic, [[1, 2, 3]], { "min.insync.replicas": "2" });
  await waitForIsr(admin, topic, 0, [1, 2, 3]);
}

/** SIGKILL broker 1 (the leader) and wait until the controller has elected broker 2 or 3. */
async function failOver(cluster: TestCluster, topic: string): Promise<void> {
  const before = await partitionState(cluster, topic, 0);
  assert.equal(before.leader, 1);
  await cluster.broker(1).program.stop("SIGKILL");
  const after = await waitForControllerFailover(cluster, topic, 0, 1, before.leaderEpoch);
  assert.ok([2, 3].includes(after.leader));
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

/**
 * Every acknowledged value is stored, and their first copies are in acknowledgement order (a
 * retried write may leave an unacknowledged earlier copy, never a reordering).
 */
function assertAllInOrder(acked: string[], stored: string[]): void {
  const firstAt = new Map<string, number>();
  stored.forEach((value, offset) => firstAt.has(value) || firstAt.set(value, offset));
  assert.deepEqual(acked.filter((value) => !firstAt.has(value)), [], "acknowledged records lost");
  for (let i = 1; i < acked.length; i++) {
    assert.ok(
      firstAt.get(acked[i])! > firstAt.get(acked[i - 1])!,
      `${acked[i]} stored before ${acked[i - 1]}`,
    );
  }
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
  assertAllInOrder(acked, await readBack(cluster, "js-failover"));
});

Deno.test("kafkajs's idempotent producer through a leader failover: no duplicates, no loss", {
  ...options,
  timeout: 300_000,
}, async () => {
  await using cluster = await startCluster({ brokers: 3, brokerArgs: BROKER_ARGS });
  await prepare(cluster, "js-idempotent");
  const kafka = new Kafka({
    clientId: "failover-idempotent",
    brokers: cluster.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
  await producer.connect();
  const acked: string[] = [];
  const stop = { now: false };
  const writing = (async () => {
    for (let i = 0; !stop.now; i++) {
      const messages = Array.from({ length: 5 }, (_, j) => ({ partition: 0, value: `idem-${i * 5 + j}` }));
      // kafkajs retries inside send with the same sequence numbers: that is what the broker must
      // de-duplicate. A send it gives up on is not sent again here: the same values in a new send
      // are new records to any broker (Kafka's too), so they would be a copy the test made.
      try {
        await producer.send({ topic: "js-idempotent", acks: -1, messages });
        acked.push(...messages.map((m) => m.value));
      } catch {
        if (stop.now) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  })();
  try {
    await eventually("kafkajs to get acks before the failover", () => acked.length >= 100);
    const before = acked.length;
    await failOver(cluster, "js-idempotent");
    await eventually("kafkajs to get acks from the new leader", () => acked.length >= before + 100, 120_000);
  } finally {
    stop.now = true;
    await writing;
    await producer.disconnect();
  }
  const stored = await readBack(cluster, "js-idempotent");
  assertAllInOrder(acked, stored);
  const copies = stored.length - new Set(stored).size;
  assert.equal(copies, 0, "no record is stored twice");
});

Deno.test("@platformatic/kafka's idempotent producer through a leader failover: no duplicates, no loss", {
  ...options,
  timeout: 300_000,
}, async () => {
  await using cluster = await startCluster({ brokers: 3, brokerArgs: BROKER_ARGS });
  await prepare(cluster, "pk-idempotent");
  const producer = new PlatformaticProducer({
    clientId: "failover-idempotent",
    bootstrapBrokers: cluster.bootstrap.split(","),
    serializers: stringSerializers,
    idempotent: true,
    acks: -1,
    // 100 retries 200 ms apart outlast the failover (4 s session timeout, then the election): its
    // retries follow the refreshed metadata to the new leader with the same sequence numbers,
    // which is what the broker must de-duplicate. With 30 the client gave up on the dead leader
    // in about a run in three, before the new one was known.
    retries: 100,
    retryDelay: 200,
  });
  const acked: string[] = [];
  const stop = { now: false };
  const writing = (async () => {
    for (let i = 0; !stop.now; i++) {
      const messages = Array.from({ length: 5 }, (_, j) => ({
        topic: "pk-idempotent",
        partition: 0,
        value: `pk-${i * 5 + j}`,
      }));
      // A send the client gives up on is not sent again: the same values in a new send are new
      // records to any broker (Kafka's too), so they would be a copy the test made.
      try {
        await producer.send({ messages });
        acked.push(...messages.map((m) => m.value));
      } catch {
        if (stop.now) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  })();
  try {
    await eventually("platformatic to get acks before the failover", () => acked.length >= 100);
    const before = acked.length;
    await failOver(cluster, "pk-idempotent");
    await eventually(
      "platformatic to get acks from the new leader",
      () => acked.length >= before + 100,
      120_000,
    );
  } finally {
    stop.now = true;
    await writing;
    await producer.close();
  }
  const stored = await readBack(cluster, "pk-idempotent");
  assertAllInOrder(acked, stored);
  assert.equal(stored.length - new Set(stored).size, 0, "no record is stored twice");
});

/**
 * kcat writes 1,000 records with acks=all to `topic` (500, the failover, 500 more) and must report
 * every one delivered; returns what the new leader stores. `settings` are librdkafka properties.
 */
async function kcatThroughFailover(topic: string, settings: string[]): Promise<string[]> {
  await using cluster = await startCluster({ brokers: 3, brokerArgs: BROKER_ARGS });
  await prepare(cluster, topic);
  const child = new Deno.Command("kcat", {
    args: ["-P", "-b", cluster.bootstrap, "-t", topic, "-p", "0", ...settings.flatMap((s) => ["-X", s])],
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
    return (await leader.readAll(topic, 0)).length >= 100;
  });
  await failOver(cluster, topic);
  await stdin.write(lines(500, 1000));
  await stdin.close();
  const result = await output;
  const stderr = new TextDecoder().decode(result.stderr);
  // kcat exits 0 only when librdkafka reported every message delivered (acknowledged).
  assert.equal(result.code, 0, stderr);
  return await readBack(cluster, topic);
}

const KCAT_ACKED = Array.from({ length: 1000 }, (_, i) => `kcat-${i}`);

peerTest("kcat keeps producing with acks=all through a leader failover and loses nothing acknowledged", [
  PEERS.kcat,
], async () => {
  // One batch in flight: a retried batch cannot overtake a later one, so order is checkable.
  const stored = await kcatThroughFailover("kcat-failover", [
    "acks=all",
    "linger.ms=5",
    "max.in.flight.requests.per.connection=1",
  ]);
  assertAllInOrder(KCAT_ACKED, stored);
}, options);

peerTest("kcat with enable.idempotence=true through a leader failover: no duplicates, no loss, in order", [
  PEERS.kcat,
], async () => {
  // librdkafka's idempotent producer: acks=all and up to five requests in flight, sequence numbers.
  const stored = await kcatThroughFailover("kcat-idempotent", ["enable.idempotence=true", "linger.ms=5"]);
  assertAllInOrder(KCAT_ACKED, stored);
  assert.equal(stored.length - new Set(stored).size, 0, "no record is stored twice");
}, options);
