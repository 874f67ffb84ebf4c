/**
 * FollowerJoins: becoming leader wakes the followers' parked fetches (their key in the purgatory)
 * and holds their next waits short for a moment, then lets them park as asked again.
 */
import assert from "node:assert/strict";
import { Purgatory } from "../../../src/broker/purgatory.ts";
import {
  FollowerJoins,
  JOIN_POLL_MS,
  JOIN_WINDOW_MS,
} from "../../../src/broker/replication/follower-joins.ts";

Deno.test("becoming leader wakes each follower's parked fetch and holds its waits short for a while", async () => {
  const purgatory = new Purgatory(100);
  let now = 1_000;
  const joins = new FollowerJoins(purgatory, () => now);
  const parked2 = purgatory.wait(["log:t:0", FollowerJoins.key(2)], 60_000);
  const parked4 = purgatory.wait(["log:t:1", FollowerJoins.key(4)], 50);
  assert.equal(joins.waitCapMs(2), Infinity, "nothing expected yet: park as asked");

  joins.expect([2, 3]);
  assert.equal(await parked2, "woken");
  assert.equal(await parked4, "timeout", "another follower's fetch is left alone");
  assert.equal(joins.waitCapMs(2), JOIN_POLL_MS);
  assert.equal(joins.waitCapMs(3), JOIN_POLL_MS);
  assert.equal(joins.waitCapMs(4), Infinity);

  now += JOIN_WINDOW_MS;
  assert.equal(joins.waitCapMs(2), Infinity, "the window is over");
  purgatory.close();
});
