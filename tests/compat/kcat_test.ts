/**
 * kcat (librdkafka 2.0.2) against a real broker process: metadata, 10,000 keyed records in with
 * the Java-compatible murmur2 partitioner, all of them back out, each in the partition murmur2
 * predicts.
 */
import assert from "node:assert/strict";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { startCluster } from "../helpers/cluster.ts";
import { partitionForKey } from "../../src/kafka/murmur2.ts";
import { CompressionCodec, decodeRecordBatches } from "../../src/kafka/record-batch.ts";
import { RawKafka } from "../integration/broker-harness.ts";
import { kcat } from "../helpers/command.ts";

peerTest(
  "kcat produces 10,000 keyed records and reads them all back in murmur2's partitions",
  [PEERS.kcat],
  async () => {
    await using cluster = await startCluster();
    const port = cluster.broker(1).port;
    const bootstrap = `127.0.0.1:${port}`;
    {
      await using client = await RawKafka.connect(port);
      assert.equal((await client.createTopic("lines", 3)).topics[0].errorCode, 0);
    }

    const listing = await kcat(["-b", bootstrap, "-L", "-t", "lines"]);
    assert.equal(listing.code, 0, listing.stderr);
    assert.match(listing.stdout, new RegExp(`broker 1 at 127\\.0\\.0\\.1:${port} \\(controller\\)`));
    assert.match(listing.stdout, /topic "lines" with 3 partitions/);
    for (let p = 0; p < 3; p++) {
      assert.match(listing.stdout, new RegExp(`partition ${p}, leader 1, replicas: 1, isrs: 1`));
    }

    const count = 10_000;
    const lines = Array.from({ length: count }, (_, i) => `key-${i}:value-${i}`).join("\n") + "\n";
    const produced = await kcat([
      "-b",
      bootstrap,
      "-P",
      "-t",
      "lines",
      "-K:",
      "-X",
      "partitioner=murmur2_random",
    ], lines);
    assert.equal(produced.code, 0, produced.stderr);

    const consumed = await kcat(["-b", bootstrap, "-C", "-t", "lines", "-e", "-q", "-f", "%k\t%s\t%p\n"]);
    assert.equal(consumed.code, 0, consumed.stderr);
    const rows = consumed.stdout.split("\n").filter((line) => line.length > 0).map((line) =>
      line.split("\t")
    );
    assert.equal(rows.length, count);
    const encoder = new TextEncoder();
    const seen = new Set<string>();
    for (const [key, value, partition] of rows) {
      assert.equal(value, `value-${key.slice(4)}`);
      assert.equal(Number(partition), partitionForKey(encoder.encode(key), 3), `partition of ${key}`);
      seen.add(key);
    }
    assert.equal(seen.size, count);

    // Compressed batches from librdkafka are stored and served exactly as sent.
    await using raw = await RawKafka.connect(port);
    assert.equal((await raw.createTopic("zipped", 1)).topics[0].errorCode, 0);
    // Enough repetitive text that gzip shrinks it (librdkafka sends a batch raw when it does not).
    const zippedLines = Array.from(
      { length: 200 },
      (_, i) => `compressible line number ${i} of the zipped topic`,
    );
    const zipped = await kcat(
      ["-b", bootstrap, "-P", "-t", "zipped", "-z", "gzip", "-X", "linger.ms=50"],
      zippedLines.join("\n") + "\n",
    );
    assert.equal(zipped.code, 0, zipped.stderr);
    const fetched = await raw.fetch("zipped", 0, 0);
    const batches = decodeRecordBatches(fetched.records!);
    assert.ok(batches.length > 0);
    assert.ok(batches.every((batch) => batch.compression === CompressionCodec.gzip));
    const values = batches.flatMap((batch) => batch.records.map((r) => new TextDecoder().decode(r.value!)));
    assert.deepEqual(values, zippedLines);
  },
);
