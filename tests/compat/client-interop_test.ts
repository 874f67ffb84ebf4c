/**
 * The project's client against clients nobody here wrote, through their npm packages:
 * - kafkajs 2.2.4's producer and @platformatic/kafka's producer write keyed records with
 *   headers; the project's consumer reads them, and keys land where our partitioner puts them
 *   (platformatic with its Java-compatible `compatibilityPartitioner`).
 * - The project's producer writes; kafkajs's own Fetch record decoder parses the stored
 *   batches (its consumer needs consumer groups, which come with a later issue).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { Kafka, logLevel } from "kafkajs";
import {
  compatibilityPartitioner,
  Producer as PlatformaticProducer,
  stringSerializers,
} from "@platformatic/kafka";
import { Admin } from "../../src/client/admin.ts";
import { Connection } from "../../src/client/connection.ts";
import { Consumer, type ConsumerRecord } from "../../src/client/consumer.ts";
import { keyedPartition } from "../../src/client/partitioner.ts";
import { Producer } from "../../src/client/producer.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { readFetchResponse, writeFetchRequest } from "../../src/kafka/apis/fetch.ts";
import { startCluster } from "../helpers/cluster.ts";

const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);
const utf8 = (s: string) => new TextEncoder().encode(s);

async function readAll(bootstrap: string, topic: string, count: number): Promise<ConsumerRecord[]> {
  await using consumer = new Consumer({ bootstrap });
  await consumer.assignTopic(topic, "earliest");
  const records: ConsumerRecord[] = [];
  const deadline = Date.now() + 60_000;
  while (records.length < count && Date.now() < deadline) records.push(...await consumer.poll(1_000));
  return records;
}

/** kafkajs's internal Fetch v4+ record decoder, loaded from the npm package itself. */
function kafkajsDecodeMessages(): (decoder: unknown) => Promise<KafkajsMessage[]> {
  const require = createRequire(import.meta.resolve("kafkajs"));
  return require("./src/protocol/requests/fetch/v4/decodeMessages.js");
}
function kafkajsDecoder(bytes: Buffer): unknown {
  const require = createRequire(import.meta.resolve("kafkajs"));
  const Decoder = require("./src/protocol/decoder.js");
  return new Decoder(bytes);
}

interface KafkajsMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: string;
}

Deno.test({
  name: "interoperability with kafkajs and @platformatic/kafka",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using cluster = await startCluster();
    const bootstrap = cluster.bootstrap;
    const admin = new Admin({ bootstrap });
    try {
      await t.step("kafkajs producer → our consumer: keys, headers, partitions, gzip", async () => {
        await admin.createTopics([{ name: "from-kafkajs", partitions: 3 }]);
        const kafka = new Kafka({ clientId: "compat", brokers: [bootstrap], logLevel: logLevel.NOTHING });
        const producer = kafka.producer();
        await producer.connect();
        const messages = Array.from({ length: 300 }, (_, i) => ({
          key: `key-${i % 11}`,
          value: `kafkajs ${i}`,
          headers: { n: String(i), origin: "kafkajs" },
        }));
        await producer.send({ topic: "from-kafkajs", messages: messages.slice(0, 150), acks: -1 });
        const { CompressionTypes } = await import("kafkajs");
        await producer.send({
          topic: "from-kafkajs",
          messages: messages.slice(150),
          compression: CompressionTypes.GZIP,
        });
        await producer.disconnect();
        const records = await readAll(bootstrap, "from-kafkajs", 300);
        assert.equal(records.length, 300);
        for (const record of records) {
          const i = Number(text(record.value)!.split(" ")[1]);
          assert.equal(text(record.key), `key-${i % 11}`);
          assert.equal(
            record.partition,
            keyedPartition(utf8(`key-${i % 11}`), 3),
            `partition of key-${i % 11}`,
          );
          assert.deepEqual(record.headers.map((h) => [h.key, text(h.value)]), [["n", String(i)], [
            "origin",
            "kafkajs",
          ]]);
        }
      });

      await t.step("@platformatic/kafka producer → our consumer: keys, headers, partitions", async () => {
        await admin.createTopics([{ name: "from-platformatic", partitions: 3 }]);
        const producer = new PlatformaticProducer({
          clientId: "compat",
          bootstrapBrokers: [bootstrap],
          serializers: stringSerializers,
          idempotent: false,
          acks: 1,
          // Its default partitioner is murmur2 >>> 0; this one is the Java client's (& 0x7fffffff).
          partitioner: compatibilityPartitioner,
        });
        try {
          await producer.send({
            messages: Array.from({ length: 100 }, (_, i) => ({
              topic: "from-platformatic",
              key: `pk-${i % 9}`,
              value: `platformatic ${i}`,
              headers: { n: String(i) },
            })),
          });
        } finally {
          await producer.close();
        }
        const records = await readAll(bootstrap, "from-platformatic", 100);
        assert.equal(records.length, 100);
        const seen = new Set<number>();
        for (const record of records) {
          const i = Number(text(record.value)!.split(" ")[1]);
          seen.add(i);
          assert.equal(text(record.key), `pk-${i % 9}`);
          assert.equal(record.partition, keyedPartition(utf8(`pk-${i % 9}`), 3));
          assert.deepEqual(record.headers.map((h) => [h.key, text(h.value)]), [["n", String(i)]]);
        }
        assert.equal(seen.size, 100);
      });

      await t.step("our producer → kafkajs's record decoder reads every record, plain and gzip", async () => {
        await admin.createTopics([{ name: "for-kafkajs", partitions: 1 }]);
        await using producer = new Producer({ bootstrap, compression: "none" });
        await using gzipProducer = new Producer({ bootstrap, compression: "gzip" });
        for (let i = 0; i < 50; i++) {
          await (i < 25 ? producer : gzipProducer).send({
            topic: "for-kafkajs",
            partition: 0,
            key: i % 2 === 0 ? `k${i}` : null,
            value: `ours ${i}`,
            headers: [{ key: "i", value: String(i) }],
            timestamp: 1_700_000_000_000 + i,
          });
        }
        const connection = await Connection.connect({ host: "127.0.0.1", port: cluster.brokers[0].port });
        try {
          const version = connection.versionFor(ApiKey.Fetch);
          const response = await connection.request(
            ApiKey.Fetch,
            version,
            (w) =>
              writeFetchRequest(w, version, {
                replicaId: -1,
                maxWaitMs: 0,
                minBytes: 1,
                maxBytes: 1 << 20,
                isolationLevel: 0,
                sessionId: 0,
                sessionEpoch: -1,
                topics: [{
                  topic: "for-kafkajs",
                  partitions: [{
                    partition: 0,
                    currentLeaderEpoch: -1,
                    fetchOffset: 0,
                    logStartOffset: -1,
                    partitionMaxBytes: 1 << 20,
                  }],
                }],
                forgottenTopicsData: [],
                rackId: "",
              }),
            (r) => readFetchResponse(r, version),
          );
          const records = response.responses[0].partitions[0].records!;
          const framed = Buffer.alloc(4 + records.length);
          framed.writeInt32BE(records.length, 0);
          Buffer.from(records).copy(framed, 4);
          const messages = await kafkajsDecodeMessages()(kafkajsDecoder(framed));
          assert.equal(messages.length, 50);
          messages.forEach((message, i) => {
            assert.equal(message.offset, String(i));
            assert.equal(message.key?.toString() ?? null, i % 2 === 0 ? `k${i}` : null);
            assert.equal(message.value!.toString(), `ours ${i}`);
            assert.equal(message.headers.i.toString(), String(i));
            assert.equal(message.timestamp, String(1_700_000_000_000 + i));
          });
        } finally {
          connection.close();
        }
      });
    } finally {
      admin.close();
    }
  },
});
