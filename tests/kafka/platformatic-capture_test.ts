/**
 * Compatibility with @platformatic/kafka's producer through the capture broker built only from
 * our codecs: it sends ApiVersions v3 (flexible), Metadata and Produce v7 with its own codecs
 * (raw snappy blocks and its WebAssembly lz4), which our readers and decoder must accept.
 */
import assert from "node:assert/strict";
import { compatibilityPartitioner, Producer, stringSerializers } from "@platformatic/kafka";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import type { ApiVersionsRequest } from "../../src/kafka/apis/api-versions.ts";
import type { ProduceRequest } from "../../src/kafka/apis/produce.ts";
import { codecFromName, type CompressionName } from "../../src/kafka/compression.ts";
import { partitionForKey } from "../../src/kafka/murmur2.ts";
import { decodeRecordBatches } from "../../src/kafka/record-batch.ts";
import { CaptureBroker } from "./capture-broker.ts";

const TOPIC = "capture";
const PARTITIONS = 3;
const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);

Deno.test({
  name: "@platformatic/kafka producer frames and batches (every codec) parse with our readers",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"] as CompressionName[]) {
      await using broker = new CaptureBroker({ [TOPIC]: PARTITIONS });
      const producer = new Producer({
        clientId: "platformatic-capture",
        bootstrapBrokers: [`127.0.0.1:${broker.port}`],
        serializers: stringSerializers,
        compression: codec,
        retries: 0,
        // Its default partitioner takes murmur2 >>> 0 (not Java's & 0x7fffffff); this one is Java's.
        partitioner: compatibilityPartitioner,
      });
      const messages = Array.from({ length: 50 }, (_, i) => ({
        topic: TOPIC,
        key: `key-${i}`,
        value: `${codec} value ${i} `.repeat(4),
        headers: { source: "platformatic" },
      }));
      try {
        await producer.send({ messages, acks: 1 });
      } finally {
        await producer.close();
      }
      assert.deepEqual(broker.errors, [], codec);

      const apiVersions = broker.of<ApiVersionsRequest>(ApiKey.ApiVersions);
      assert.equal(apiVersions[0].header.apiVersion, 3);
      assert.ok(apiVersions[0].body.clientSoftwareName, "v3 carries the client software name");
      const produce = broker.of<ProduceRequest>(ApiKey.Produce);
      assert.ok(produce.length >= 1);
      assert.ok(produce.every((p) => p.header.apiVersion === 7));
      const sent = produce.flatMap((p) =>
        p.body.topicData.flatMap((t) =>
          t.partitionData.flatMap((d) =>
            decodeRecordBatches(d.records!).flatMap((batch) =>
              batch.records.map((record) => ({ partition: d.index, batch, record }))
            )
          )
        )
      );
      assert.equal(sent.length, messages.length, codec);
      for (const { partition, batch, record } of sent) {
        const i = Number(text(record.key)!.slice(4));
        assert.equal(text(record.value), messages[i].value);
        assert.deepEqual(record.headers.map((h) => [h.key, text(h.value)]), [["source", "platformatic"]]);
        assert.equal(batch.compression, codecFromName(codec), codec);
        assert.equal(
          partition,
          partitionForKey(record.key!, PARTITIONS),
          `platformatic's compatibility partitioner agrees on key-${i}`,
        );
      }
    }
  },
});
