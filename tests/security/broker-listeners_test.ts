/**
 * The broker serving TLS and SASL listeners, as a real process: the project's client, kcat
 * (librdkafka), kafkajs (also its group consumer over PLAIN) and @platformatic/kafka (producer
 * and consumer) produce and consume through SASL_SSL,
 * SASL_PLAINTEXT and SSL (with a client certificate); Metadata answers with the listener the
 * client came in on. Refusals (wrong password, unknown user, a mechanism not enabled, the wrong
 * protocol on a port, a certificate from another CA, a missing client certificate) each end
 * only that client: the broker stays up and a client already connected keeps working.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import {
  Consumer as PlatformaticConsumer,
  MessagesStreamModes,
  Producer as PlatformaticProducer,
  stringDeserializers,
  stringSerializers,
} from "@platformatic/kafka";
import { Admin } from "../../src/client/admin.ts";
import { Consumer } from "../../src/client/consumer.ts";
import { AuthenticationError, TlsHandshakeError } from "../../src/client/errors.ts";
import { Producer } from "../../src/client/producer.ts";
import type { ClientSecurity } from "../../src/client/security.ts";
import { createTopics } from "../helpers/cluster.ts";
import { kcat } from "../helpers/command.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { startSecureCluster } from "../helpers/secure-cluster.ts";

const decoder = new TextDecoder();

/** Every record value of a topic's partition 0 through the project's consumer. */
async function readValues(bootstrap: string, topic: string, count: number, security?: ClientSecurity) {
  await using consumer = new Consumer({ bootstrap, security });
  await consumer.assign([{ topic, partition: 0, from: "earliest" }]);
  const values: string[] = [];
  const deadline = Date.now() + 30_000;
  while (values.length < count && Date.now() < deadline) {
    for (const record of await consumer.poll(1_000)) values.push(decoder.decode(record.value!));
  }
  return values;
}

peerTest(
  "kcat SASL_SSL SCRAM-SHA-512, kafkajs SSL+SCRAM-SHA-256 and SASL_PLAINTEXT+PLAIN, @platformatic/kafka SASL, mTLS: produce and consume",
  [PEERS.kcat],
  async () => {
    await using secure = await startSecureCluster({
      users: { alice: "alice-secret" },
      clientCertificates: ["carol"],
      listeners: (_id, port, extra) => [
        `PLAINTEXT://127.0.0.1:${port}`,
        `SASL_SSL://127.0.0.1:${extra(0)}`,
        `SASL_PLAINTEXT://127.0.0.1:${extra(1)}`,
        `SSL://127.0.0.1:${extra(2)}`,
      ],
      brokerArgs: ["--tls-client-auth", "requested"],
    });
    const { cluster, certs } = secure;
    const plaintext = `127.0.0.1:${cluster.broker(1).port}`;
    const [saslSsl, saslPlain, ssl] = [0, 1, 2].map((i) => secure.port(1, i));
    await createTopics(plaintext, [{ name: "secure", partitions: 1, replicationFactor: 1 }]);

    // Metadata advertises the listener the client came in on.
    const scram512: ClientSecurity = {
      protocol: "SASL_SSL",
      sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "alice-secret" },
      tls: { ca: certs.ca },
    };
    {
      await using admin = new Admin({ bootstrap: `127.0.0.1:${saslSsl}`, security: scram512 });
      assert.deepEqual((await admin.describeCluster()).brokers.map((b) => b.port), [saslSsl]);
    }
    {
      await using admin = new Admin({
        bootstrap: `127.0.0.1:${saslPlain}`,
        security: {
          protocol: "SASL_PLAINTEXT",
          sasl: { mechanism: "PLAIN", username: "alice", password: "alice-secret" },
        },
      });
      assert.deepEqual((await admin.describeCluster()).brokers.map((b) => b.port), [saslPlain]);
    }

    // kcat (librdkafka): SASL_SSL with SCRAM-SHA-512, produce then consume.
    const kcatSecurity = [
      "-X",
      "security.protocol=SASL_SSL",
      "-X",
      "sasl.mechanisms=SCRAM-SHA-512",
      "-X",
      "sasl.username=alice",
      "-X",
      "sasl.password=alice-secret",
      "-X",
      `ssl.ca.location=${certs.caFile}`,
    ];
    const produced = await kcat(
      ["-b", `127.0.0.1:${saslSsl}`, ...kcatSecurity, "-P", "-t", "secure", "-p", "0"],
      "kcat-1\nkcat-2\n",
    );
    assert.equal(produced.code, 0, produced.stderr);

    // kafkajs: SSL + SCRAM-SHA-256, and SASL_PLAINTEXT + PLAIN.
    const viaTls = new Kafka({
      clientId: "kafkajs-tls",
      brokers: [`127.0.0.1:${saslSsl}`],
      ssl: { ca: [certs.ca] },
      sasl: { mechanism: "scram-sha-256", username: "alice", password: "alice-secret" },
      logLevel: logLevel.NOTHING,
    });
    const viaPlain = new Kafka({
      clientId: "kafkajs-plain",
      brokers: [`127.0.0.1:${saslPlain}`],
      sasl: { mechanism: "plain", username: "alice", password: "alice-secret" },
      logLevel: logLevel.NOTHING,
    });
    for (const [kafka, value] of [[viaTls, "kafkajs-scram"], [viaPlain, "kafkajs-plain"]] as const) {
      const producer = kafka.producer();
      await producer.connect();
      try {
        await producer.send({ topic: "secure", acks: -1, messages: [{ value, partition: 0 }] });
      } finally {
        await producer.disconnect();
      }
    }

    // @platformatic/kafka: SASL_PLAINTEXT with SCRAM-SHA-512.
    const platformatic = new PlatformaticProducer({
      clientId: "platformatic",
      bootstrapBrokers: [`127.0.0.1:${saslPlain}`],
      sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "alice-secret" },
      serializers: stringSerializers,
    });
    try {
      await platformatic.send({
        acks: -1,
        messages: [{ topic: "secure", partition: 0, value: "platformatic" }],
      });
    } finally {
      await platformatic.close();
    }

    // mTLS: the project's client with carol's certificate on the SSL listener.
    const mtls: ClientSecurity = { protocol: "SSL", tls: { ca: certs.ca, ...certs.clients.carol } };
    {
      await using producer = new Producer({ bootstrap: `127.0.0.1:${ssl}`, security: mtls, acks: "all" });
      await producer.send({ topic: "secure", partition: 0, value: "mtls" });
    }

    const expected = ["kcat-1", "kcat-2", "kafkajs-scram", "kafkajs-plain", "platformatic", "mtls"];
    // Consume: kcat over SASL_SSL, kafkajs over SASL_SSL, the project's client over mTLS.
    const consumed = await kcat([
      "-b",
      `127.0.0.1:${saslSsl}`,
      ...kcatSecurity,
      "-C",
      "-t",
      "secure",
      "-p",
      "0",
      "-o",
      "beginning",
      "-e",
      "-f",
      "%s\\n",
    ]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.deepEqual(consumed.stdout.trim().split("\n"), expected);
    assert.deepEqual(await readValues(`127.0.0.1:${ssl}`, "secure", expected.length, mtls), expected);

    // kafkajs group consumers over both: SSL + SCRAM-SHA-256 and SASL_PLAINTEXT + PLAIN.
    for (const [kafka, groupId] of [[viaTls, "secure-readers"], [viaPlain, "plain-readers"]] as const) {
      const consumer = kafka.consumer({ groupId });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: "secure", fromBeginning: true });
        const seen: string[] = [];
        const done = new Promise<void>((resolve) => {
          consumer.run({
            eachMessage: ({ message }) => {
              seen.push(message.value!.toString());
              if (seen.length === expected.length) resolve();
              return Promise.resolve();
            },
          });
        });
        await done;
        assert.deepEqual(seen, expected, groupId);
      } finally {
        await consumer.disconnect();
      }
    }

    // @platformatic/kafka consumer over SASL_PLAINTEXT with SCRAM-SHA-512.
    const platformaticConsumer = new PlatformaticConsumer({
      groupId: "platformatic-readers",
      clientId: "platformatic-consumer",
      bootstrapBrokers: [`127.0.0.1:${saslPlain}`],
      sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "alice-secret" },
      deserializers: stringDeserializers,
    });
    try {
      const stream = await platformaticConsumer.consume({
        topics: ["secure"],
        mode: MessagesStreamModes.EARLIEST,
      });
      const seen: string[] = [];
      for await (const message of stream) {
        seen.push(message.value as string);
        if (seen.length === expected.length) break;
      }
      await stream.close();
      assert.deepEqual(seen, expected, "platformatic");
    } finally {
      await platformaticConsumer.close(true);
    }
  },
);

/** Open a connection with these settings; the error it fails with, or null when it worked. */
async function refusal(bootstrap: string, security: ClientSecurity | undefined): Promise<Error | null> {
  try {
    await using admin = new Admin({ bootstrap, security, connectTimeoutMs: 5_000, requestTimeoutMs: 10_000 });
    await admin.describeCluster();
    return null;
  } catch (error) {
    return error as Error;
  }
}

peerTest(
  "refusals are clean: wrong password, unknown user, disabled mechanism, wrong protocol, other CA, missing client certificate",
  [PEERS.kcat],
  async () => {
    await using secure = await startSecureCluster({
      users: { alice: "alice-secret" },
      clientCertificates: ["alice"],
      listeners: (_id, port, extra) => [
        `PLAINTEXT://127.0.0.1:${port}`,
        `SASL_SSL://127.0.0.1:${extra(0)}`,
        `SSL://127.0.0.1:${extra(1)}`,
      ],
      brokerArgs: [
        "--tls-client-auth",
        "required",
        "--sasl-enabled-mechanisms",
        "SCRAM-SHA-512",
        "--failed-authentication-delay-ms",
        "200",
      ],
    });
    const { cluster, certs } = secure;
    const plaintext = `127.0.0.1:${cluster.broker(1).port}`;
    const saslSsl = `127.0.0.1:${secure.port(1, 0)}`;
    const ssl = `127.0.0.1:${secure.port(1, 1)}`;
    await createTopics(plaintext, [{ name: "still-up", partitions: 1, replicationFactor: 1 }]);
    const tls = { ca: certs.ca, ...certs.clients.alice };
    const good: ClientSecurity = {
      protocol: "SASL_SSL",
      sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "alice-secret" },
      tls,
    };
    // A client connected before the refusals keeps producing through them.
    await using bystander = new Producer({ bootstrap: saslSsl, security: good, acks: "all" });
    await bystander.send({ topic: "still-up", partition: 0, value: "before" });

    const wrongPassword = await refusal(saslSsl, { ...good, sasl: { ...good.sasl!, password: "nope" } });
    assert.ok(wrongPassword instanceof AuthenticationError, String(wrongPassword));
    assert.match(wrongPassword.message, /authentication failed for "alice" \(SCRAM-SHA-512\)/);
    const unknownUser = await refusal(saslSsl, { ...good, sasl: { ...good.sasl!, username: "mallory" } });
    assert.ok(unknownUser instanceof AuthenticationError, String(unknownUser));
    // The same answer whether the user is unknown or the password wrong.
    assert.equal(
      unknownUser.message.replace("mallory", "alice"),
      wrongPassword.message,
    );
    const disabled = await refusal(saslSsl, { ...good, sasl: { ...good.sasl!, mechanism: "SCRAM-SHA-256" } });
    assert.ok(disabled instanceof AuthenticationError, String(disabled));
    assert.match(disabled.message, /SCRAM-SHA-512/, "names the mechanisms the broker enables");
    const plaintextOnTls = await refusal(saslSsl, { protocol: "PLAINTEXT" });
    assert.ok(plaintextOnTls !== null, "a plaintext client on a TLS port is refused");
    const tlsOnPlaintext = await refusal(plaintext, { protocol: "SSL", tls });
    assert.ok(tlsOnPlaintext instanceof TlsHandshakeError, String(tlsOnPlaintext));
    const otherCa = await refusal(ssl, { protocol: "SSL", tls: { ca: certs.ca, ...certs.foreignClient } });
    assert.ok(otherCa !== null, "a certificate from another CA is refused");
    const noCertificate = await refusal(ssl, { protocol: "SSL", tls: { ca: certs.ca } });
    assert.ok(noCertificate !== null, "a client without the required certificate is refused");
    const kcatWrong = await kcat([
      "-b",
      saslSsl,
      "-X",
      "security.protocol=SASL_SSL",
      "-X",
      "sasl.mechanisms=SCRAM-SHA-512",
      "-X",
      "sasl.username=alice",
      "-X",
      "sasl.password=wrong",
      "-X",
      `ssl.ca.location=${certs.caFile}`,
      "-X",
      `ssl.certificate.location=${certs.clients.alice.certFile}`,
      "-X",
      `ssl.key.location=${certs.clients.alice.keyFile}`,
      "-L",
      "-m",
      "5",
    ]);
    assert.notEqual(kcatWrong.code, 0);
    assert.match(kcatWrong.stderr, /[Aa]uthentication/);

    // The broker is up, the connected client unharmed, a new good client served on every listener.
    await bystander.send({ topic: "still-up", partition: 0, value: "after" });
    assert.equal(await refusal(ssl, { protocol: "SSL", tls }), null);
    assert.equal(await refusal(saslSsl, good), null);
    assert.deepEqual(await readValues(saslSsl, "still-up", 2, good), ["before", "after"]);
    assert.equal(cluster.broker(1).program.exited, false);
    assert.match(cluster.broker(1).program.stderr, /authentication failed/);
  },
);
