/**
 * Inter-broker security end to end: three broker processes whose only listener is SASL_SSL,
 * brokers logging in to each other as User:broker (SCRAM-SHA-512 over TLS, from
 * --inter-broker-config) for replication and controller requests. A replication-factor-3
 * topic with min.insync.replicas=2 takes acks=all writes while its leader is SIGKILLed; every
 * acknowledged record is read back afterwards.
 */
import assert from "node:assert/strict";
import { Admin } from "../../src/client/admin.ts";
import { Consumer } from "../../src/client/consumer.ts";
import { Producer } from "../../src/client/producer.ts";
import type { ClientSecurity } from "../../src/client/security.ts";
import { createTopics } from "../helpers/cluster.ts";
import { eventually, runCli } from "../helpers/program.ts";
import { startSecureCluster } from "../helpers/secure-cluster.ts";

Deno.test({
  name:
    "a 3-broker cluster with every listener SASL_SSL survives a leader SIGKILL with nothing acknowledged lost",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    let security: ClientSecurity | undefined;
    await using secure = await startSecureCluster({
      brokers: 3,
      users: { broker: "broker-secret", alice: "alice-secret" },
      listeners: (_id, port) => [`SASL_SSL://127.0.0.1:${port}`],
      brokerArgs: [
        "--sasl-enabled-mechanisms",
        "SCRAM-SHA-512",
        "--replica-lag-time-max-ms",
        "3000",
        "--session-timeout-ms",
        "4000",
      ],
      interBrokerProperties: (certs) =>
        [
          "security.protocol=SASL_SSL",
          "sasl.mechanism=SCRAM-SHA-512",
          "sasl.username=broker",
          "sasl.password=broker-secret",
          `ssl.ca.location=${certs.caFile}`,
        ].join("\n"),
      clientSecurity: (certs) =>
        security = {
          protocol: "SASL_SSL",
          sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "alice-secret" },
          tls: { ca: certs.ca },
        },
    });
    const { cluster } = secure;
    const bootstrap = cluster.bootstrap;
    await createTopics(
      bootstrap,
      [{ name: "replicated", partitions: 1, replicationFactor: 3, configs: { "min.insync.replicas": "2" } }],
      60_000,
      security,
    );
    await using admin = new Admin({ bootstrap, security });
    const describe = async () => (await admin.describeTopics(["replicated"]))[0].partitions[0];
    // Replication works over SASL_SSL: every follower joins the ISR.
    await eventually("a full ISR", async () => (await describe()).isr.length === 3, 60_000);

    const acked: string[] = [];
    await using producer = new Producer({ bootstrap, security, acks: "all", retries: 20 });
    const sendSome = async (from: number, count: number) => {
      for (let i = from; i < from + count; i++) {
        try {
          await producer.send({ topic: "replicated", partition: 0, value: `v${i}` });
          acked.push(`v${i}`);
        } catch {
          // Not acknowledged: the test only promises what was acknowledged.
        }
      }
    };
    await sendSome(0, 50);
    const leader = (await describe()).leader;
    await cluster.broker(leader).program.stop("SIGKILL");
    await eventually("a new leader", async () => {
      try {
        const state = await describe();
        return state.leader >= 0 && state.leader !== leader;
      } catch {
        return false; // the client is still finding its way around the dead broker
      }
    }, 60_000);
    await sendSome(50, 50);
    assert.ok(acked.length >= 50, `acknowledged before the kill: ${acked.length}`);
    assert.ok(acked.includes("v99"), "writes resume on the new leader");

    await using consumer = new Consumer({ bootstrap, security });
    await consumer.assign([{ topic: "replicated", partition: 0, from: "earliest" }]);
    const read = new Set<string>();
    await eventually("every acknowledged record", async () => {
      for (const record of await consumer.poll(1_000)) read.add(new TextDecoder().decode(record.value!));
      return acked.every((value) => read.has(value));
    }, 60_000);
  },
});

Deno.test("a secured inter-broker listener without --inter-broker-config is refused at start, saying what to add", async () => {
  const result = await runCli([
    "broker",
    "start",
    "--id",
    "1",
    "--listeners",
    "SASL_PLAINTEXT://127.0.0.1:0",
  ]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^error: The inter-broker listener SASL_PLAINTEXT is SASL_PLAINTEXT: give --inter-broker-config FILE with security\.protocol=SASL_PLAINTEXT/,
  );
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
});
