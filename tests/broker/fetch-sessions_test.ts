import assert from "node:assert/strict";
import { FetchSessionCache, nextEpoch } from "../../src/broker/fetch-sessions.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";

const partitions = (...indexes: number[]) => [{
  topic: "t",
  partitions: indexes.map((partition) => ({ partition, fetchOffset: 0, partitionMaxBytes: 1024 })),
}];

Deno.test("fetch session cache: an incremental request updates and forgets partitions and moves the epoch", () => {
  const cache = new FetchSessionCache({ maxSessions: 10, evictionMs: 1000, now: () => 0 });
  const session = cache.create(true, partitions(0, 1))!;
  assert.equal(session.size, 2);
  const opened = cache.open({
    sessionId: session.id,
    sessionEpoch: 1,
    topics: [{ topic: "t", partitions: [{ partition: 1, fetchOffset: 7, partitionMaxBytes: 1024 }] }],
    forgottenTopicsData: [{ topic: "t", partitions: [0] }],
  });
  assert.equal(opened.errorCode, 0);
  assert.equal(opened.session, session);
  assert.deepEqual(session.topics().map((t) => t.partitions.map((p) => [p.partition, p.fetchOffset])), [[[
    1,
    7,
  ]]]);
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
  const cache = new FetchSessionCache({ maxSessions: 2, evictionMs: 1000, now: () => now });
  const follower = cache.create(true, partitions(0))!;
  const consumer = cache.create(false, partitions(0))!;
  assert.equal(cache.create(false, partitions(0)), null, "a consumer cannot push out a recent session");
  const second = cache.create(true, partitions(0))!;
  assert.ok(second !== null, "a follower pushes out a consumer's session");
  assert.equal(cache.has(consumer.id), false);
  assert.equal(cache.has(follower.id), true);
  assert.equal(cache.create(true, partitions(0)), null, "followers' recent sessions stay");
  now = 1500;
  cache.open({ sessionId: second.id, sessionEpoch: 1 }); // used: now the most recent
  const late = cache.create(false, partitions(0));
  assert.ok(late !== null, "an idle session gives way");
  assert.equal(cache.has(follower.id), false, "the least recently used one went");
  assert.equal(cache.has(second.id), true);
  assert.equal(cache.evictions, 2);
});

Deno.test("fetch session cache: a new leader epoch or a lower offset makes the partition answered again", () => {
  const cache = new FetchSessionCache({ maxSessions: 1, evictionMs: 1000 });
  const session = cache.create(true, partitions(0))!;
  const known = session.get("t", 0)!;
  known.sentHighWatermark = 5;
  session.upsert("t", { partition: 0, fetchOffset: 5, partitionMaxBytes: 1024 });
  assert.equal(known.sentHighWatermark, 5, "moving forward keeps what was answered");
  session.upsert("t", { partition: 0, fetchOffset: 3, partitionMaxBytes: 1024 });
  assert.equal(known.sentHighWatermark, -1, "a truncated follower hears everything again");
  assert.equal(nextEpoch(0x7fffffff), 1, "the epoch wraps past 0 and -1");
});
