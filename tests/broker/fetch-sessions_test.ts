import assert from "node:assert/strict";
import { FetchSessionCache, nextEpoch, type SessionWatches } from "../../src/broker/fetch-sessions.ts";
import { Purgatory } from "../../src/broker/purgatory.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";

/** A purgatory to watch with, and every vouch for a follower it heard. */
function watches(): SessionWatches & { purgatory: Purgatory; vouched: [number, string, number][] } {
  const purgatory = new Purgatory(10);
  const vouched: [number, string, number][] = [];
  return {
    purgatory,
    vouched,
    watch: (key, watcher) => purgatory.watch(key, watcher),
    unwatch: (key, watcher) => purgatory.unwatch(key, watcher),
    wake: (key) => purgatory.wake(key),
    followerStillAt: (replicaId, entry, atMs) => vouched.push([replicaId, entry.key, atMs]),
  };
}

const partitions = (...indexes: number[]) => [{
  topic: "t",
  partitions: indexes.map((partition) => ({ partition, fetchOffset: 0, partitionMaxBytes: 1024 })),
}];

Deno.test("fetch session cache: an incremental request updates and forgets partitions and moves the epoch", () => {
  const cache = new FetchSessionCache({
    maxSessions: 10,
    evictionMs: 1000,
    now: () => 0,
    watches: watches(),
  });
  const session = cache.create(2, partitions(0, 1))!;
  assert.equal(session.size, 2);
  const opened = cache.open({
    sessionId: session.id,
    sessionEpoch: 1,
    topics: [{ topic: "t", partitions: [{ partition: 1, fetchOffset: 7, partitionMaxBytes: 1024 }] }],
    forgottenTopicsData: [{ topic: "t", partitions: [0] }],
  });
  assert.equal(opened.errorCode, 0);
  assert.equal(opened.session, session);
  assert.equal(session.get("t", 0), undefined, "forgotten");
  assert.equal(session.get("t", 1)?.fetchOffset, 7);
  assert.equal(session.epoch, 2);
  assert.equal(
    cache.open({ sessionId: session.id, sessionEpoch: 1 }).errorCode,
    ErrorCode.INVALID_FETCH_SESSION_EPOCH,
  );
  assert.equal(
    cache.open({ sessionId: session.id + 1, sessionEpoch: 1 }).errorCode,
    ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
  );
  // Epoch 0 with the id closes it (a new one is made once the full answer is known).
  assert.equal(cache.open({ sessionId: session.id, sessionEpoch: 0 }).session, null);
  assert.equal(cache.has(session.id), false);
});

Deno.test("fetch session cache: when full, only an idle session or a consumer's (for a follower) gives way", () => {
  let now = 0;
  const cache = new FetchSessionCache({
    maxSessions: 2,
    evictionMs: 1000,
    now: () => now,
    watches: watches(),
  });
  const follower = cache.create(2, partitions(0))!;
  const consumer = cache.create(-1, partitions(0))!;
  assert.equal(cache.create(-1, partitions(0)), null, "a consumer cannot push out a recent session");
  const second = cache.create(2, partitions(0))!;
  assert.ok(second !== null, "a follower pushes out a consumer's session");
  assert.equal(cache.has(consumer.id), false);
  assert.equal(cache.has(follower.id), true);
  assert.equal(cache.create(2, partitions(0)), null, "followers' recent sessions stay");
  now = 1500;
  cache.open({ sessionId: second.id, sessionEpoch: 1 }); // used: now the most recent
  const late = cache.create(-1, partitions(0));
  assert.ok(late !== null, "an idle session gives way");
  assert.equal(cache.has(follower.id), false, "the least recently used one went");
  assert.equal(cache.has(second.id), true);
  assert.equal(cache.evictions, 2);
});

Deno.test("fetch session cache: a new leader epoch or a lower offset makes the partition answered again", () => {
  const cache = new FetchSessionCache({ maxSessions: 1, evictionMs: 1000, watches: watches() });
  const session = cache.create(2, partitions(0))!;
  const known = session.get("t", 0)!;
  known.sentHighWatermark = 5;
  session.upsert("t", { partition: 0, fetchOffset: 5, partitionMaxBytes: 1024 });
  assert.equal(known.sentHighWatermark, 5, "moving forward keeps what was answered");
  session.upsert("t", { partition: 0, fetchOffset: 3, partitionMaxBytes: 1024 });
  assert.equal(known.sentHighWatermark, -1, "a truncated follower hears everything again");
  assert.equal(nextEpoch(0x7fffffff), 1, "the epoch wraps past 0 and -1");
});

Deno.test("fetch session: a settled partition is read again only when it changes or the fetcher names it", () => {
  const heard = watches();
  let now = 100;
  const cache = new FetchSessionCache({ maxSessions: 10, evictionMs: 1000, now: () => now, watches: heard });
  const follower = cache.create(2, partitions(0, 1))!;
  const unsettled = () => follower.unsettledTopics().flatMap((t) => t.partitions.map((p) => p.partition));
  assert.deepEqual(unsettled(), [0, 1], "new partitions are read");
  follower.settle([follower.get("t", 0)!, follower.get("t", 1)!]);
  assert.deepEqual(unsettled(), [], "an idle round reads nothing");
  assert.equal(cache.stillAt(2, "t", 0), 100, "the follower vouched for at its session's last fetch");
  assert.equal(cache.stillAt(3, "t", 0), undefined, "no session of broker 3");

  now = 150;
  cache.open({ sessionId: follower.id, sessionEpoch: 1 }); // an idle incremental fetch
  assert.equal(cache.stillAt(2, "t", 0), 150);
  let parkedWoken = false;
  heard.purgatory.wait([follower.waitKey], 1_000).then((outcome) => parkedWoken = outcome === "woken");
  heard.purgatory.wake("log:t:1"); // an append to partition 1
  assert.deepEqual(unsettled(), [1]);
  assert.deepEqual(
    heard.vouched,
    [[2, "t:1", 150]],
    "the leader hears when the follower was last still there",
  );
  assert.equal(cache.stillAt(2, "t", 1), undefined, "an unsettled partition is not vouched for");
  heard.purgatory.wake("hwm:t:1"); // already unsettled: read once, vouched once
  assert.equal(heard.vouched.length, 1);

  cache.open({
    sessionId: follower.id,
    sessionEpoch: 2,
    topics: [{ topic: "t", partitions: [{ partition: 0, fetchOffset: 3, partitionMaxBytes: 1024 }] }],
  });
  assert.deepEqual(unsettled().sort(), [0, 1], "a partition the fetcher names is read");
  assert.equal(heard.vouched.length, 1, "a named partition is recorded by its fetch, not vouched for");
  return Promise.resolve().then(() => assert.ok(parkedWoken, "a parked fetch of the session woke"));
});

Deno.test("fetch session: consumers watch the high watermark only; a closed or evicted session watches nothing", () => {
  const heard = watches();
  let now = 0;
  const cache = new FetchSessionCache({ maxSessions: 1, evictionMs: 1000, now: () => now, watches: heard });
  const consumer = cache.create(-1, partitions(0))!;
  assert.equal(heard.purgatory.watcherCount("hwm:t:0"), 1);
  assert.equal(heard.purgatory.watcherCount("log:t:0"), 0);
  consumer.settle([consumer.get("t", 0)!]);
  heard.purgatory.wake("hwm:t:0");
  assert.equal(consumer.unsettledCount, 1);
  assert.deepEqual(heard.vouched, [], "a consumer vouches for no follower");

  now = 2_000; // idle long enough to give way
  const follower = cache.create(2, partitions(0))!;
  assert.equal(cache.has(consumer.id), false);
  assert.equal(heard.purgatory.watcherCount("hwm:t:0"), 1, "the evicted consumer's watch is gone");
  assert.equal(heard.purgatory.watcherCount("log:t:0"), 1);
  follower.forget("t", 0);
  assert.equal(heard.purgatory.watcherCount("hwm:t:0") + heard.purgatory.watcherCount("log:t:0"), 0);
  follower.upsert("t", { partition: 1, fetchOffset: 0, partitionMaxBytes: 1024 });
  cache.open({ sessionId: follower.id, sessionEpoch: -1 }); // closed by its fetcher
  assert.equal(heard.purgatory.watcherCount("log:t:1"), 0);
  assert.equal(cache.stillAt(2, "t", 1), undefined);
});
