/**
 * Compatibility with a client nobody here wrote: a tiny in-test broker built only from our
 * codecs answers kafkajs, captures every request frame, and the test checks that our readers
 * parse what kafkajs sent (ApiVersions, Metadata, Produce, InitProducerId) and that our batch
 * decoder reads kafkajs's record batches (keys, headers, timestamps, gzip). kafkajs in turn
 * parses our responses (the admin test checks what it made of them).
 */
import assert from "node:assert/strict";
import { CompressionTypes, ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import type { CreateTopicsRequest } from "../../src/kafka/apis/create-topics.ts";
import type { MetadataRequest } from "../../src/kafka/apis/metadata.ts";
import type { ProduceRequest } from "../../src/kafka/apis/produce.ts";
import { partitionForKey } from "../../src/kafka/murmur2.ts";
import { CompressionCodec, decodeRecordBatches, encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import { CaptureBroker, PRODUCER_ID } from "./capture-broker.ts";

const TOPIC = "capture";
const PARTITIONS = 3;

function kafkaFor(port: number, retries = 0) {
  return new Kafka({
    clientId: "capture-test",
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries },
  });
}

const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);

Deno.test("kafkajs's ApiVersions, Metadata and Produce frames parse with our readers", async () => {
  await using broker = new CaptureBroker({ [TOPIC]: PARTITIONS });
  const producer = kafkaFor(broker.port).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const messages = Array.from({ length: 30 }, (_, i) => ({
    key: `key-${i}`,
    value: `value-${i}`,
    headers: { "trace-id": `t${i}`, source: "kafkajs" },
    timestamp: String(1_700_000_000_000 + i),
  }));
  const results = await producer.send({ topic: TOPIC, acks: 1, messages });
  await producer.disconnect();
  assert.deepEqual(broker.errors, []);

  const apiVersions = broker.of(ApiKey.ApiVersions);
  assert.ok(apiVersions.length >= 1);
  assert.equal(apiVersions[0].header.clientId, "capture-test");
  assert.equal(apiVersions[0].header.apiVersion, 2); // kafkajs asks for v2 first

  const metadata = broker.of<MetadataRequest>(ApiKey.Metadata);
  assert.ok(metadata.length >= 1);
  assert.equal(metadata[0].header.apiVersion, 6); // min(kafkajs max 6, our max 8)
  assert.ok(metadata.some((m) => m.body.topics?.includes(TOPIC)));

  const produce = broker.of<ProduceRequest>(ApiKey.Produce);
  assert.ok(produce.length >= 1);
  assert.equal(produce[0].header.apiVersion, 7);
  const sent = produce.flatMap((p) =>
    p.body.topicData.flatMap((topic) =>
      topic.partitionData.flatMap((partition) =>
        decodeRecordBatches(partition.records!).flatMap((batch) =>
          batch.records.map((record) => ({ partition: partition.index, record, batch }))
        )
      )
    )
  );
  assert.equal(sent.length, messages.length);
  for (const { partition, record, batch } of sent) {
    const i = Number(text(record.key)!.slice(4));
    assert.equal(text(record.value), `value-${i}`);
    assert.equal(record.timestamp, 1_700_000_000_000 + i);
    assert.deepEqual(record.headers.map((h) => [h.key, text(h.value)]), [["trace-id", `t${i}`], [
      "source",
      "kafkajs",
    ]]);
    // kafkajs's default partitioner is the Java one: our murmur2 must pick the same partition.
    assert.equal(partition, partitionForKey(record.key!, PARTITIONS), `key-${i}`);
    assert.equal(batch.producerId, -1n);
    assert.equal(batch.compression, CompressionCodec.none);
  }
  // kafkajs read our Produce v7 responses: base offsets per partition start at 0.
  assert.deepEqual(results.map((r) => r.baseOffset).sort(), results.map(() => "0"));
});

Deno.test("kafkajs's gzip batches and idempotent producer parse with our readers", async () => {
  await using broker = new CaptureBroker({ [TOPIC]: PARTITIONS });
  const producer = kafkaFor(broker.port, 2).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = Array.from(
    { length: 200 },
    (_, i) => ({ key: "same-key", value: `gzip value ${i} `.repeat(5) }),
  );
  await producer.send({ topic: TOPIC, acks: -1, compression: CompressionTypes.GZIP, messages });
  await producer.disconnect();
  assert.deepEqual(broker.errors, []);

  const init = broker.of<{ transactionalId: string | null }>(ApiKey.InitProducerId);
  assert.equal(init.length, 1);
  assert.equal(init[0].body.transactionalId, null);

  const produce = broker.of<ProduceRequest>(ApiKey.Produce);
  const batches = produce.flatMap((p) =>
    p.body.topicData.flatMap((t) => t.partitionData.flatMap((d) => decodeRecordBatches(d.records!)))
  );
  assert.ok(batches.length >= 1);
  for (const batch of batches) {
    assert.equal(batch.compression, CompressionCodec.gzip);
    assert.equal(batch.producerId, PRODUCER_ID);
    assert.equal(batch.producerEpoch, 0);
  }
  const values = batches.flatMap((b) => b.records.map((r) => text(r.value)));
  assert.deepEqual(values, messages.map((m) => m.value));
  assert.deepEqual(batches.flatMap((b) => b.records.map((r) => r.offset)), messages.map((_, i) => i));
});

Deno.test("kafkajs admin requests parse with our readers and it understands our responses", async () => {
  await using broker = new CaptureBroker({ existing: 2 });
  broker.append(
    "existing",
    0,
    encodeRecordBatch({ records: [{ value: "a" }, { value: "b" }, { value: "c" }] }),
  );
  const admin = kafkaFor(broker.port).admin();
  await admin.connect();
  assert.equal(
    await admin.createTopics({
      topics: [{
        topic: "made",
        numPartitions: 4,
        replicationFactor: 1,
        configEntries: [{ name: "x", value: "y" }],
      }],
    }),
    true,
  );
  assert.deepEqual((await admin.listTopics()).sort(), ["existing", "made"]);
  const offsets = await admin.fetchTopicOffsets("existing");
  assert.deepEqual(
    offsets.map((o) => [o.partition, o.low, o.high]).sort(),
    [[0, "0", "3"], [1, "0", "0"]],
  );
  await admin.createPartitions({ topicPartitions: [{ topic: "made", count: 6 }] });
  const metadata = await admin.fetchTopicMetadata({ topics: ["made"] });
  assert.equal(metadata.topics[0].partitions.length, 6);
  const configs = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: "made" }],
    includeSynonyms: false,
  });
  assert.equal(configs.resources[0].configEntries[0].configName, "retention.ms");
  assert.equal(configs.resources[0].configEntries[0].configValue, "604800000");
  await admin.deleteTopics({ topics: ["made"] });
  const cluster = await admin.describeCluster();
  assert.deepEqual([cluster.controller, cluster.clusterId, cluster.brokers.length], [
    1,
    "capture-cluster",
    1,
  ]);
  await admin.disconnect();
  assert.deepEqual(broker.errors, []);

  const created = broker.of<CreateTopicsRequest>(ApiKey.CreateTopics);
  assert.equal(created.length, 1);
  assert.deepEqual(created[0].body.topics[0].configs, [{ name: "x", value: "y" }]);
  assert.equal(created[0].body.topics[0].numPartitions, 4);
  for (
    const key of [ApiKey.ListOffsets, ApiKey.CreatePartitions, ApiKey.DescribeConfigs, ApiKey.DeleteTopics]
  ) {
    assert.ok(broker.of(key).length >= 1, `kafkajs sent API ${key}`);
  }
});
