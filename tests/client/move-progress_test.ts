/**
 * Reassignment progress in bytes (pure): bytes to copy are the leader's size once per added
 * replica, bytes copied what the added replicas hold (capped by the leader's size), a finished
 * move counts as copied, the rate counts only what was copied while waiting, and the time left
 * is what remains at that rate.
 */
import assert from "node:assert/strict";
import { replicaKey } from "../../src/client/log-dir-sizes.ts";
import { bytesText, MoveProgress, progressLine } from "../../src/client/move-progress.ts";
import { partitionKey } from "../../src/client/partition-key.ts";

const moves = [
  // Two replicas added: 2 x 10 MB to copy.
  { topic: "a", partition: 0, from: [1], replicas: [1, 2, 3] },
  // One replaced: 20 MB to copy.
  { topic: "a", partition: 1, from: [1, 2], replicas: [3, 2] },
  // Only reordered: nothing to copy.
  { topic: "b", partition: 0, from: [1, 2], replicas: [2, 1] },
];
const leaders: Record<string, number> = { "a\u00000": 1, "a\u00001": 1, "b\u00000": 1 };
const leaderOf = (topic: string, partition: number) => leaders[partitionKey(topic, partition)];

Deno.test("move progress: bytes copied of the total, rate and time left", () => {
  const progress = new MoveProgress(moves, 0);
  assert.deepEqual(
    progress.replicasToMeasure(leaderOf).map((r) => `${r.broker}:${r.topic}-${r.partition}`),
    ["1:a-0", "2:a-0", "3:a-0", "1:a-1", "3:a-1"],
  );
  const all = new Set(moves.map((m) => partitionKey(m.topic, m.partition)));
  progress.update(
    all,
    leaderOf,
    new Map([
      [replicaKey(1, "a", 0), 10e6],
      [replicaKey(2, "a", 0), 2e6],
      [replicaKey(1, "a", 1), 20e6],
    ]),
  );
  let f = progress.figures(1000);
  assert.deepEqual([f.copiedBytes, f.totalBytes, f.partitionsDone, f.bytesPerSecond], [2e6, 40e6, 0, null]);
  assert.equal(progressLine(f), "0 of 3 partition(s) moved, 2.0 MB of 40.0 MB copied (1.0 s)");

  // 10 s in: a-0 done (counts fully), a-1's new replica at 6 MB, b-0 done (nothing to copy).
  progress.update(
    new Set([partitionKey("a", 1)]),
    leaderOf,
    new Map([[replicaKey(1, "a", 1), 20e6], [replicaKey(3, "a", 1), 6e6]]),
  );
  f = progress.figures(10_000);
  assert.deepEqual([f.copiedBytes, f.totalBytes, f.partitionsDone], [26e6, 40e6, 2]);
  assert.equal(f.bytesPerSecond, 24e6 / 10);
  assert.equal(f.secondsLeft, 14e6 / 2.4e6);
  assert.equal(
    progressLine(f),
    "2 of 3 partition(s) moved, 26.0 MB of 40.0 MB copied at 2.4 MB/s, about 6 s left (10.0 s)",
  );
  // A new replica larger than the leader (its own segment overhead) counts at most the leader's size.
  progress.update(
    new Set(),
    leaderOf,
    new Map([[replicaKey(3, "a", 1), 25e6], [replicaKey(1, "a", 1), 20e6]]),
  );
  f = progress.figures(12_000);
  assert.deepEqual([f.copiedBytes, f.totalBytes, f.partitionsDone], [40e6, 40e6, 3]);
  assert.equal(progress.replicasToMeasure(leaderOf).length, 0);
  assert.doesNotMatch(progressLine(f), /left/);
});

Deno.test("byte counts read at a glance", () => {
  assert.deepEqual([512, 1_500, 2_000_000, 3.25e9].map(bytesText), ["512 B", "1.5 kB", "2.0 MB", "3.3 GB"]);
});
