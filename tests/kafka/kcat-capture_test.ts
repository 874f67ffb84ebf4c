/**
 * Compatibility with librdkafka (kcat 1.7.1 from Debian), through the capture broker built only
 * from our codecs: kcat -P with each compression codec sends batches our decoder must read, and
 * kcat -C reads back batches our encoder compressed with each codec, via our ListOffsets and
 * Fetch v11 writers. librdkafka sends ApiVersions v3 (flexible) first, so that is covered too.
 */
import assert from "node:assert/strict";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import type { ProduceRequest } from "../../src/kafka/apis/produce.ts";
import { codecFromName, type CompressionName } from "../../src/kafka/compression.ts";
import { decodeRecordBatches, encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { CaptureBroker } from "./capture-broker.ts";
import { kcat } from "../helpers/command.ts";

const TOPIC = "capture";
const CODECS: CompressionName[] = ["none", "gzip", "snappy", "lz4", "zstd"];
const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);

/** kcat -P the lines into partition 0 with a codec; returns the batches the broker received. */
async function kcatProduce(codec: CompressionName, lines: string[], produceMinVersion = 0) {
  await using broker = new CaptureBroker({ [TOPIC]: 1 }, { produceMinVersion });
  const result = await kcat(
    [
      "-P",
      "-b",
      `127.0.0.1:${broker.port}`,
      "-t",
      TOPIC,
      "-p",
      "0",
      "-K",
      ":",
      "-z",
      codec,
      "-X",
      "linger.ms=50",
    ],
    lines.join("\n") + "\n",
  );
  assert.equal(result.code, 0, `kcat -P -z ${codec}: ${result.stderr}`);
  assert.deepEqual(broker.errors, []);
  assert.ok(
    broker.of(ApiKey.ApiVersions).some((c) => c.header.apiVersion === 3),
    "librdkafka asks ApiVersions v3",
  );
  const produce = broker.of<ProduceRequest>(ApiKey.Produce);
  assert.ok(produce.length >= 1);
  assert.ok(produce.every((p) => p.header.apiVersion === 7));
  return produce.flatMap((p) =>
    p.body.topicData.flatMap((t) => t.partitionData.flatMap((d) => decodeRecordBatches(d.records!)))
  );
}

peerTest("kcat -P batches (every codec) decode with our readers", [PEERS.kcat], async () => {
  for (const codec of CODECS) {
    const lines = Array.from({ length: 300 }, (_, i) => `key-${i}:${codec} value ${i} ${"x".repeat(i % 50)}`);
    const batches = await kcatProduce(codec, lines);
    assert.ok(
      batches.every((b) => b.compression === codecFromName(codec)),
      `${codec}: every batch uses ${codec}`,
    );
    const records = batches.flatMap((b) => b.records.map((r) => `${text(r.key)}:${text(r.value)}`));
    assert.deepEqual(records, lines, codec);
  }
});

peerTest("kcat compresses gzip only when Produce is advertised from version 0", [PEERS.kcat], async () => {
  // librdkafka's gate (issue #4956): with a 3-7 range it quietly sends gzip uncompressed, which is
  // why Produce 0-2 are implemented and advertised.
  // Compressible lines: librdkafka also sends a batch plain when compressing does not shrink it.
  const lines = Array.from({ length: 20 }, (_, i) => `k${i}:${"compressible ".repeat(10)}${i}`);
  const exact = await kcatProduce("gzip", lines, 3);
  assert.ok(exact.every((b) => b.compression === 0));
  assert.deepEqual(exact.flatMap((b) => b.records.map((r) => `${text(r.key)}:${text(r.value)}`)), lines);
  const quirk = await kcatProduce("gzip", lines);
  assert.ok(quirk.every((b) => b.compression === codecFromName("gzip")));
  // zstd is gated on Produce 7 and Fetch 10, both inside the exact ranges.
  assert.ok((await kcatProduce("zstd", lines, 3)).every((b) => b.compression === codecFromName("zstd")));
});

peerTest("kcat -C reads batches our encoder compressed with every codec", [PEERS.kcat], async () => {
  await using broker = new CaptureBroker({ [TOPIC]: 1 });
  const expected: string[] = [];
  for (const codec of CODECS) {
    const records = Array.from({ length: 100 }, (_, i) => ({
      key: `${codec}-${i}`,
      value: `${codec} value ${i} ${"y".repeat(i)}`,
      headers: [{ key: "codec", value: codec }],
      timestamp: 1_700_000_000_000 + i,
    }));
    const base = broker.append(TOPIC, 0, encodeRecordBatch({ records, compression: codec }));
    records.forEach((r, i) => expected.push(`${base + i} ${r.key} ${r.value}`));
  }
  const result = await kcat([
    "-C",
    "-b",
    `127.0.0.1:${broker.port}`,
    "-t",
    TOPIC,
    "-p",
    "0",
    "-o",
    "beginning",
    "-e",
    "-f",
    "%o %k %s\\n",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(broker.errors, []);
  assert.deepEqual(result.stdout.trimEnd().split("\n"), expected);
  assert.ok(broker.of(ApiKey.ListOffsets).length >= 1);
  assert.ok(broker.of(ApiKey.Fetch).some((c) => c.header.apiVersion === 11));
});

peerTest("kcat -L reads our Metadata response", [PEERS.kcat], async () => {
  await using broker = new CaptureBroker({ [TOPIC]: 3, other: 1 });
  const result = await kcat(["-L", "-J", "-b", `127.0.0.1:${broker.port}`]);
  assert.equal(result.code, 0, result.stderr);
  const listing = JSON.parse(result.stdout);
  assert.deepEqual(listing.brokers, [{ id: 1, name: `127.0.0.1:${broker.port}` }]);
  const topics = Object.fromEntries(
    listing.topics.map((t: { topic: string; partitions: unknown[] }) => [t.topic, t.partitions.length]),
  );
  assert.deepEqual(topics, { [TOPIC]: 3, other: 1 });
  assert.deepEqual(listing.topics[0].partitions[0].replicas, [{ id: 1 }]);
});
