import assert from "node:assert/strict";
import { FollowerProgress } from "../../../src/broker/partition/follower-progress.ts";

Deno.test("HWM is the smallest LEO in the ISR and unknown until every member fetched", () => {
  const state = new FollowerProgress(1, [1, 2, 3], 0);
  assert.equal(state.highWatermark([1], 10), 10, "alone in the ISR the leader commits its LEO");
  assert.equal(state.highWatermark([1, 2, 3], 10), -1);
  state.recordFetch(2, 7, 10, 1);
  assert.equal(state.highWatermark([1, 2, 3], 10), -1, "broker 3 has not fetched yet");
  state.recordFetch(3, 9, 10, 1);
  assert.equal(state.highWatermark([1, 2, 3], 10), 7);
  assert.equal(state.highWatermark([1, 3], 10), 9, "a member outside the ISR does not hold it back");
});

Deno.test("a follower fetching at the LEO it saw last time stays caught up under load", () => {
  const state = new FollowerProgress(1, [1, 2], 0);
  state.recordFetch(2, 10, 10, 1_000); // at the LEO: caught up at 1000
  state.recordFetch(2, 10, 15, 2_000); // behind the LEO now, but at the one of its last fetch
  assert.equal(state.follower(2, 2_000).lastCaughtUpMs, 1_000);
  state.recordFetch(2, 15, 20, 3_000); // reached the LEO of its previous fetch (at 2000)
  assert.equal(state.follower(2, 3_000).lastCaughtUpMs, 2_000);
  assert.deepEqual(state.laggingMembers([1, 2], 3_400, 1_500), []);
  assert.deepEqual(state.laggingMembers([1, 2], 3_600, 1_500), [2], "no fetch since: now it lags");
});

Deno.test("an ISR member that stops fetching lags after replica.lag.time.max.ms; the leader never", () => {
  const state = new FollowerProgress(1, [1, 2, 3], 0);
  state.recordFetch(2, 0, 0, 100);
  state.recordFetch(3, 0, 0, 100);
  state.recordFetch(2, 5, 5, 5_000);
  assert.deepEqual(state.laggingMembers([1, 2, 3], 5_000, 1_000), [3]);
  assert.deepEqual(state.laggingMembers([1, 2, 3], 5_000, 10_000), []);
});

Deno.test("a follower rejoins only with every committed record and the current epoch's start", () => {
  const state = new FollowerProgress(1, [1, 2], 0);
  assert.equal(state.mayRejoin(2, 0, 0), false, "never fetched");
  state.recordFetch(2, 8, 12, 1);
  assert.equal(state.mayRejoin(2, 10, 5), false, "below the HWM");
  assert.equal(state.mayRejoin(2, 8, 9), false, "below the start of the leader's epoch");
  assert.equal(state.mayRejoin(2, 8, 5), true);
});

Deno.test("an idle follower its fetch session vouches for stays caught up; one that stopped does not", () => {
  const state = new FollowerProgress(1, [1, 2, 3], 0);
  state.recordFetch(2, 10, 10, 1_000); // both at the LEO, then left out of their sessions' requests
  state.recordFetch(3, 10, 10, 1_000);
  const seen = new Map([[2, 9_000], [3, 1_500]]); // broker 3's session stopped fetching at 1500
  const asked: number[] = [];
  const seenAt = { followerSeenAt: (id: number) => (asked.push(id), seen.get(id)) };
  assert.deepEqual(state.laggingMembers([1, 2, 3], 2_000, 5_000, seenAt), [], "within the lag: nobody asked");
  assert.deepEqual(asked, []);
  assert.deepEqual(state.laggingMembers([1, 2, 3], 10_000, 5_000, seenAt), [3]);
  assert.equal(state.follower(2, 10_000).lastCaughtUpMs, 9_000);
  assert.deepEqual(
    state.laggingMembers([1, 2], 12_000, 5_000, seenAt),
    [],
    "2 was vouched for: not asked again",
  );
  assert.deepEqual(asked, [2, 3]);

  // An append: the session says broker 2 was still at its log end (the old LEO) at 11000.
  state.stillAt(2, 11_000);
  state.recordFetch(2, 10, 15, 11_500); // its next fetch, behind the new LEO
  assert.equal(state.follower(2, 11_500).lastCaughtUpMs, 11_000);
  state.stillAt(2, 11_200); // older than its last fetch: changes nothing
  assert.equal(state.follower(2, 11_500).lastFetchMs, 11_500);
  state.recordFetch(3, 5, 15, 11_600); // behind the LEO it saw last: not caught up
  state.stillAt(3, 11_700);
  assert.equal(state.follower(3, 11_700).lastCaughtUpMs, 1_500, "a follower behind is not vouched caught up");
});
