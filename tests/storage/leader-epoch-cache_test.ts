import assert from "node:assert/strict";
import { LeaderEpochCache } from "../../src/storage/mod.ts";
import { tempLogDir } from "./batches.ts";

Deno.test("endOffsetFor answers OffsetsForLeaderEpoch: next epoch's start, LEO for the latest, floor epoch", () => {
  const cache = LeaderEpochCache.inMemory([{ epoch: 2, startOffset: 0 }, { epoch: 4, startOffset: 10 }, {
    epoch: 7,
    startOffset: 25,
  }]);
  const logEndOffset = 40;
  assert.deepEqual(cache.endOffsetFor(7, logEndOffset), { leaderEpoch: 7, endOffset: 40 });
  assert.deepEqual(cache.endOffsetFor(4, logEndOffset), { leaderEpoch: 4, endOffset: 25 });
  assert.deepEqual(
    cache.endOffsetFor(5, logEndOffset),
    { leaderEpoch: 4, endOffset: 25 },
    "unknown epoch: floor",
  );
  assert.deepEqual(cache.endOffsetFor(2, logEndOffset), { leaderEpoch: 2, endOffset: 10 });
  assert.deepEqual(cache.endOffsetFor(1, logEndOffset), { leaderEpoch: 1, endOffset: 0 }, "older than all");
  assert.deepEqual(cache.endOffsetFor(8, logEndOffset), { leaderEpoch: -1, endOffset: -1 }, "newer than all");
  assert.deepEqual(cache.endOffsetFor(-1, logEndOffset), { leaderEpoch: -1, endOffset: -1 });
  assert.deepEqual(LeaderEpochCache.inMemory().endOffsetFor(0, 5), { leaderEpoch: -1, endOffset: -1 });
});

Deno.test("assign appends new epochs, ignores a repeat, and replaces conflicting entries", () => {
  const cache = LeaderEpochCache.inMemory();
  assert.equal(cache.assign(1, 0), true);
  assert.equal(cache.assign(1, 5), false, "same epoch later: no-op");
  assert.equal(cache.assign(3, 10), true);
  assert.equal(cache.latestEpoch, 3);
  // A new leader epoch starting below an existing entry drops what it contradicts.
  assert.equal(cache.assign(4, 8), true);
  assert.deepEqual(cache.entries, [{ epoch: 1, startOffset: 0 }, { epoch: 4, startOffset: 8 }]);
  assert.equal(cache.assign(2, 20), true, "an older epoch at a later offset replaces the newer ones");
  assert.deepEqual(cache.entries, [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 20 }]);
  assert.throws(() => cache.assign(-1, 0), RangeError);
});

Deno.test("truncateFromEnd drops epochs starting at or after the new end; truncateFromStart moves the first", () => {
  const cache = LeaderEpochCache.inMemory([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 10 }, {
    epoch: 3,
    startOffset: 20,
  }]);
  cache.truncateFromEnd(20);
  assert.deepEqual(cache.entries, [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 10 }]);
  cache.truncateFromStart(15);
  assert.deepEqual(cache.entries, [{ epoch: 2, startOffset: 15 }]);
  cache.truncateFromStart(5);
  assert.deepEqual(cache.entries, [{ epoch: 2, startOffset: 15 }]);
  cache.clear();
  assert.equal(cache.latestEpoch, -1);
});

Deno.test("assigns are written on flushIfDirty, truncations at once; the file reloads; out-of-order files are refused", () => {
  using dir = tempLogDir();
  const cache = LeaderEpochCache.open(dir.path);
  cache.assign(1, 0);
  assert.equal(cache.dirty, true);
  // Not written yet: a become-leader costs no fsync (the log flushes it before its data).
  assert.deepEqual(LeaderEpochCache.open(dir.path).entries, []);
  cache.flushIfDirty();
  assert.equal(cache.dirty, false);
  assert.deepEqual(LeaderEpochCache.open(dir.path).entries, [{ epoch: 1, startOffset: 0 }]);
  cache.assign(5, 100);
  cache.truncateFromEnd(100);
  cache.assign(6, 100);
  cache.flushIfDirty();
  assert.deepEqual(LeaderEpochCache.open(dir.path).entries, [{ epoch: 1, startOffset: 0 }, {
    epoch: 6,
    startOffset: 100,
  }]);
  cache.truncateFromEnd(50);
  assert.deepEqual(LeaderEpochCache.open(dir.path).entries, [{ epoch: 1, startOffset: 0 }]);
  Deno.writeTextFileSync(`${dir.path}/leader-epoch-checkpoint`, "0\n2\n5 10\n3 20\n");
  assert.throws(() => LeaderEpochCache.open(dir.path), RangeError);
});

Deno.test("flushInBackground writes a new epoch; a truncation meanwhile wins, an assign meanwhile stays dirty", async () => {
  using dir = tempLogDir();
  const cache = LeaderEpochCache.open(dir.path);
  assert.equal(cache.flushInBackground(), null, "nothing to write");
  cache.assign(1, 0);
  await cache.flushInBackground();
  assert.equal(cache.dirty, false);
  assert.deepEqual(LeaderEpochCache.open(dir.path).entries, [{ epoch: 1, startOffset: 0 }]);

  // A truncation while the write is in flight is newer: the older entries must not replace it.
  cache.assign(2, 10);
  const stale = cache.flushInBackground()!;
  cache.truncateFromEnd(10);
  await stale;
  assert.deepEqual(LeaderEpochCache.open(dir.path).entries, [{ epoch: 1, startOffset: 0 }]);
  assert.equal(cache.dirty, false);

  // An assign while the write is in flight: written up to before it, and still to be written.
  cache.assign(3, 20);
  const earlier = cache.flushInBackground()!;
  cache.assign(4, 30);
  await earlier;
  assert.equal(cache.dirty, true);
  assert.deepEqual(LeaderEpochCache.open(dir.path).entries.map((e) => e.epoch), [1, 3]);
  await cache.flushInBackground();
  assert.equal(cache.dirty, false);
  assert.deepEqual(LeaderEpochCache.open(dir.path).entries.map((e) => e.epoch), [1, 3, 4]);
});
