/**
 * The project's client with kcat (librdkafka): kcat reads every record our producer wrote
 * (plain and compressed), and our consumer reads what kcat wrote with librdkafka's
 * Java-compatible `murmur2_random` partitioner, each key in the partition our producer picks.
 */
import assert from "node:assert/strict";
import { Admin } from "../../src/client/admin.ts";
import { Consumer, type ConsumerRecord } from "../../src/client/consumer.ts";
import { keyedPartition } from "../../src/client/partitioner.ts";
import { Producer } from "../../src/client/producer.ts";
import { startCluster } from "../helpers/cluster.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { kcat } from "../helpers/command.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);

peerTest("kcat reads our producer's records, our consumer reads kcat's", [PEERS.kcat], async () => {
  await using cluster = await startCluster();
  const bootstrap = cluster.bootstrap;
  const admin = new Admin({ bootstrap });
  try {
    await admin.createTopics([{ name: "ours", partitions: 3 }, { name: "theirs", partitions: 3 }]);
  } finally {
    admin.close();
  }

  {
    await using plain = new Producer({ bootstrap });
    await using compressed = new Producer({ bootstrap, compression: "lz4" });
    await plain.connect(["ours"]);
    await compressed.connect(["ours"]);
    for (let i = 0; i < 1000; i++) {
      (i % 2 === 0 ? plain : compressed).produce({
        topic: "ours",
        key: `key-${i % 37}`,
        value: `value ${i}`,
      });
    }
    await plain.flush();
    await compressed.flush();
  }
  const read = await kcat([
    "-b",
    bootstrap,
    "-C",
    "-t",
    "ours",
    "-o",
    "beginning",
    "-e",
    "-q",
    "-f",
    "%p %k %s\n",
  ]);
  assert.equal(read.code, 0, read.stderr);
  const lines = read.stdout.trim().split("\n");
  assert.equal(lines.length, 1000);
  for (const line of lines) {
    const [partition, key, ...value] = line.split(" ");
    assert.equal(Number(partition), keyedPartition(utf8(key), 3), line);
    assert.match(value.join(" "), /^value \d+$/);
  }

  const input = Array.from({ length: 1000 }, (_, i) => `k${i % 53}:line ${i}`).join("\n") + "\n";
  const wrote = await kcat([
    "-b",
    bootstrap,
    "-P",
    "-t",
    "theirs",
    "-K",
    ":",
    "-X",
    "partitioner=murmur2_random",
  ], input);
  assert.equal(wrote.code, 0, wrote.stderr);
  await using consumer = new Consumer({ bootstrap });
  await consumer.assignTopic("theirs", "earliest");
  const records: ConsumerRecord[] = [];
  const deadline = Date.now() + 60_000;
  while (records.length < 1000 && Date.now() < deadline) records.push(...await consumer.poll(1_000));
  assert.equal(records.length, 1000);
  for (const record of records) {
    assert.equal(record.partition, keyedPartition(record.key!, 3), text(record.key)!);
    assert.match(text(record.value)!, /^line \d+$/);
  }
});
