import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { murmur2, partitionForKey } from "../../src/kafka/murmur2.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

Deno.test("murmur2 matches the Java client's vectors", () => {
  const vectors: [string, number][] = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
    ["0", 971027396],
    ["1", -1993445489],
    ["100:48069", 1009543857],
  ];
  for (const [key, expected] of vectors) assert.equal(murmur2(utf8(key)), expected, key);
});

Deno.test("partitionForKey uses the positive hash modulo all partitions", () => {
  assert.equal(partitionForKey(utf8("foobar"), 4), 2);
  assert.equal(partitionForKey(utf8("21"), 3), (-973932308 & 0x7fffffff) % 3);
  for (let i = 0; i < 200; i++) {
    const partition = partitionForKey(utf8(`key-${i}`), 7);
    assert.ok(partition >= 0 && partition < 7);
  }
  assert.throws(() => partitionForKey(utf8("x"), 0), RangeError);
});

Deno.test("partitionForKey agrees with kafkajs's DefaultPartitioner on random binary keys", async () => {
  const { Partitioners } = await import("kafkajs");
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: 12 }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));
  for (let i = 0; i < 500; i++) {
    const key = crypto.getRandomValues(new Uint8Array(i % 40));
    if (key.length === 0) continue; // kafkajs treats an empty key as no key
    const theirs = partitioner({
      topic: "t",
      partitionMetadata,
      message: { key: Buffer.from(key), value: null },
    });
    assert.equal(partitionForKey(key, 12), theirs, `key ${Array.from(key)}`);
  }
});
