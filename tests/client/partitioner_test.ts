import assert from "node:assert/strict";
import { keyedPartition, StickyPartitioner } from "../../src/client/partitioner.ts";
import { murmur2 } from "../../src/kafka/murmur2.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("keyed records go where Kafka's Java client puts them (reference murmur2 vectors)", () => {
  const vectors: [string, number][] = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["abc", 479470107],
    ["0", 971027396],
    ["1", -1993445489],
    ["100:48069", 1009543857],
  ];
  for (const [key, hash] of vectors) {
    assert.equal(murmur2(bytes(key)), hash, key);
    for (const count of [1, 3, 7, 12]) {
      assert.equal(keyedPartition(bytes(key), count), (hash & 0x7fffffff) % count, `${key} over ${count}`);
    }
  }
  assert.equal(keyedPartition(bytes("foobar"), 4), 2);
});

Deno.test("sticky partitioner keeps one partition until its batch closes, then moves", () => {
  const randoms = [0.1, 0.1, 0.9];
  const sticky = new StickyPartitioner(() => randoms.shift() ?? 0.5);
  const first = sticky.partition("t", 4);
  assert.equal(first, 0);
  for (let i = 0; i < 10; i++) assert.equal(sticky.partition("t", 4), first);
  // A batch closing on another partition does not move it.
  sticky.batchClosed("t", 3, 4);
  assert.equal(sticky.partition("t", 4), first);
  // Closing the sticky one moves it, never back to the same partition when there is a choice.
  sticky.batchClosed("t", first, 4);
  const second = sticky.partition("t", 4);
  assert.notEqual(second, first);
  // Topics are independent.
  assert.equal(sticky.partition("other", 2), 1);
});

Deno.test("sticky partitioner stays in range when a topic shrinks in metadata", () => {
  const sticky = new StickyPartitioner(() => 0.99);
  assert.equal(sticky.partition("t", 8), 7);
  const after = sticky.partition("t", 3);
  assert.ok(after >= 0 && after < 3);
});
