/**
 * 1,000 failed logins in a row cost other clients nothing beyond the configured delay: against
 * a real broker process, raw clients (tests/helpers/failed-login.ts) fail SASL logins, 20 at a
 * time, alternating PLAIN with a wrong password and SCRAM-SHA-512 with a wrong proof, while an
 * authenticated producer and consumer work through it. Each failed login must get
 * SASL_AUTHENTICATION_FAILED and then be closed by the broker (the raw client never closes
 * first); the broker's open connections (its vltava_connections gauge) never exceed the storm's
 * parallelism plus the authenticated clients, and afterwards its connections and file
 * descriptors are back where they were, resident memory grew by no more than a coarse bound,
 * and every failure was counted. Every send and poll of the authenticated clients succeeds and
 * the consumer reads every record in order. No timing is asserted (the bench measures that).
 */
import assert from "node:assert/strict";
import { Consumer } from "../../src/client/consumer.ts";
import { Producer } from "../../src/client/producer.ts";
import type { ClientSecurity } from "../../src/client/security.ts";
import { createTopics } from "../helpers/cluster.ts";
import { failedLogin } from "../helpers/failed-login.ts";
import { eventually } from "../helpers/program.ts";
import { PLAINTEXT_AND_SASL_PLAINTEXT, startSecureCluster } from "../helpers/secure-cluster.ts";

const ATTEMPTS = 1_000;
const PARALLEL = 20;
const DELAY_MS = 100;
/** Authenticated connections the producer and consumer may hold (bootstrap and leader each). */
const CLIENT_CONNECTIONS = 4;
/** Growth of the broker's resident memory over the storm that fails the test. */
const MAX_RSS_GROWTH_BYTES = 128 * 1024 * 1024;
const SASL = 'listener="SASL_PLAINTEXT"';

/** The value of one sample (exact name and label text), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("1,000 failed logins: each refused and closed, connections bounded, authenticated traffic unharmed", async () => {
  await using secure = await startSecureCluster({
    users: { alice: "alice-secret" },
    listeners: PLAINTEXT_AND_SASL_PLAINTEXT,
    brokerArgs: ["--http-port", "0", "--failed-authentication-delay-ms", String(DELAY_MS)],
  });
  const broker = secure.cluster.broker(1);
  const url = (await broker.program.waitForOutput(/broker \d+ metrics on (http:\/\/\S+\/metrics)/))[1];
  const scrape = async () => await (await fetch(url)).text();
  const saslPort = secure.port(1, 0);
  const bootstrap = `127.0.0.1:${saslPort}`;
  const security: ClientSecurity = {
    protocol: "SASL_PLAINTEXT",
    sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "alice-secret" },
  };
  await createTopics(secure.cluster.bootstrap, [{ name: "storm", partitions: 1, replicationFactor: 1 }]);

  await using producer = new Producer({ bootstrap, security, acks: "all" });
  await using consumer = new Consumer({ bootstrap, security, maxWaitMs: 200 });
  await consumer.assign([{ topic: "storm", partition: 0, from: "earliest" }]);
  await producer.send({ topic: "storm", partition: 0, value: "v0" });
  const read: string[] = [];
  const decoder = new TextDecoder();
  for (const record of await consumer.poll(5_000)) read.push(decoder.decode(record.value!));
  const before = await scrape();
  const connectionsBefore = sample(before, `vltava_connections{${SASL}}`)!;
  const fdsBefore = sample(before, "process_open_fds")!;
  const rssBefore = sample(before, "process_resident_memory_bytes")!;
  assert.ok(connectionsBefore >= 1 && connectionsBefore <= CLIENT_CONNECTIONS, before);

  let stormOver = false;
  let sent = 1;
  const producing = (async () => {
    do {
      await producer.send({ topic: "storm", partition: 0, value: `v${sent}` });
      sent++;
    } while (!stormOver);
  })();
  const consuming = (async () => {
    // Polls throughout the storm, then until every record sent has been read (or a minute more).
    let giveUpAt = Infinity;
    while (!(stormOver && read.length >= sent) && Date.now() < giveUpAt) {
      if (stormOver && giveUpAt === Infinity) giveUpAt = Date.now() + 60_000;
      for (const record of await consumer.poll(1_000)) read.push(decoder.decode(record.value!));
    }
  })();
  let mostConnections = 0;
  const sampling = (async () => {
    while (!stormOver) {
      mostConnections = Math.max(mostConnections, sample(await scrape(), `vltava_connections{${SASL}}`) ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();

  const outcomes = new Map<string, number>();
  let next = 0;
  try {
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (next < ATTEMPTS) {
        const attempt = next++;
        const mechanism = attempt % 2 === 0 ? "PLAIN" : "SCRAM-SHA-512";
        const { errorCode, closedByBroker } = await failedLogin({
          host: "127.0.0.1",
          port: saslPort,
          user: "alice",
          mechanism,
        });
        const outcome = `${mechanism} error ${errorCode}, closed by the broker: ${closedByBroker}`;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }));
  } finally {
    stormOver = true;
    // Let the clients' loops end before they are disposed, whatever happened.
    await Promise.allSettled([producing, consuming, sampling]);
  }
  await Promise.all([producing, consuming, sampling]);

  // Every attempt refused with SASL_AUTHENTICATION_FAILED, and the broker closed every one.
  assert.deepEqual(
    Object.fromEntries(outcomes),
    {
      "PLAIN error 58, closed by the broker: true": ATTEMPTS / 2,
      "SCRAM-SHA-512 error 58, closed by the broker: true": ATTEMPTS / 2,
    },
  );
  // Open connections never piled up beyond the storm's own parallelism.
  assert.ok(
    mostConnections <= PARALLEL + CLIENT_CONNECTIONS,
    `at most ${PARALLEL + CLIENT_CONNECTIONS} connections expected, saw ${mostConnections}`,
  );
  // Every send succeeded and the consumer read each record, in order.
  assert.deepEqual(read, Array.from({ length: sent }, (_, i) => `v${i}`));
  // Afterwards: the storm left no connection, descriptor or notable memory behind.
  const after = await eventually("the storm's connections closed", async () => {
    const text = await scrape();
    const settled = sample(text, `vltava_connections{${SASL}}`)! <= connectionsBefore &&
      sample(text, "process_open_fds")! <= fdsBefore;
    return settled ? text : undefined;
  });
  assert.equal(sample(after, `vltava_failed_authentications_total{${SASL}}`), ATTEMPTS);
  const rssGrowth = sample(after, "process_resident_memory_bytes")! - rssBefore;
  assert.ok(rssGrowth < MAX_RSS_GROWTH_BYTES, `resident memory grew by ${rssGrowth} bytes`);
  assert.equal(broker.program.exited, false);
  assert.match(broker.program.stderr, /authentication failed/);
});
