import assert from "node:assert/strict";
import { type FollowerLogView, truncationOffset } from "../../../src/broker/replication/truncation.ts";
import { LeaderEpochCache } from "../../../src/storage/leader-epoch-cache.ts";

/** A follower log with these epoch starts, log end and (possibly stale) high watermark. */
function follower(epochs: [number, number][], logEndOffset: number, highWatermark: number): FollowerLogView {
  const cache = LeaderEpochCache.inMemory(epochs.map(([epoch, startOffset]) => ({ epoch, startOffset })));
  return {
    logEndOffset,
    highWatermark,
    latestEpoch: cache.latestEpoch,
    endOffsetForEpoch: (epoch) => cache.endOffsetFor(epoch, logEndOffset),
  };
}

Deno.test("truncates to where the leader says our epoch ended, not to a stale high watermark", () => {
  // KIP-101 case 1: we hold offsets 0..9 of epoch 0, all committed, but our HWM said 6.
  assert.equal(truncationOffset(follower([[0, 0]], 10, 6), { leaderEpoch: 0, endOffset: 10 }), 10);
  // The leader's epoch 0 ended at 8 (it took over at 8 in epoch 1): our 8..9 diverged.
  assert.equal(truncationOffset(follower([[0, 0]], 10, 6), { leaderEpoch: 0, endOffset: 8 }), 8);
});

Deno.test("never past our own log end", () => {
  assert.equal(truncationOffset(follower([[0, 0]], 5, 5), { leaderEpoch: 0, endOffset: 12 }), 5);
});

Deno.test("an older epoch in the answer bounds the truncation by that epoch's end in our log (KIP-279)", () => {
  // We led epochs 1 and 2 (starting 5 and 7); the leader never saw either: its epoch 0 ends at 9.
  // Our epoch 0 ended at 5, so everything from 5 on may differ.
  const log = follower([[0, 0], [1, 5], [2, 7]], 9, 4);
  assert.equal(truncationOffset(log, { leaderEpoch: 0, endOffset: 9 }), 5);
});

Deno.test("falls back to the high watermark only when no epoch is known", () => {
  assert.equal(truncationOffset(follower([[0, 0]], 10, 6), { leaderEpoch: -1, endOffset: -1 }), 6);
  assert.equal(truncationOffset(follower([], 10, 6), null), 6);
});
