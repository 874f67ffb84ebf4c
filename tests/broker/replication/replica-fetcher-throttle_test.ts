/**
 * The follower replication throttle holds back only replicas that are behind (Kafka throttles a
 * copy being made, never an in-sync replica, or acks=all would wait on the throttle). A
 * ReplicaFetcher follows two throttled partitions from a scripted leader on a real socket, with
 * the follower quota spent by the first batch: the partition that is behind gets nothing more,
 * the one caught up to the leader's high watermark keeps fetching; once the throttle is lifted the
 * one behind fetches again at once.
 */
import assert from "node:assert/strict";
import { ReplicaFetcher } from "../../../src/broker/replication/replica-fetcher.ts";
import { asFollowed, fetcherOptions, followedPartition } from "./fetcher-fixture.ts";
import { ByteRateQuota } from "../../../src/broker/replication/replication-quota.ts";
import { ApiKey } from "../../../src/kafka/api-keys.ts";
import { readFetchRequest, writeFetchResponse } from "../../../src/kafka/apis/fetch.ts";
import { scriptedBroker } from "../../helpers/scripted-broker.ts";
import { eventually } from "../../helpers/program.ts";

Deno.test("the follower throttle holds back a replica that is behind, never one in sync", async () => {
  // Partition 0 is far behind the leader (high watermark 1000); partition 1 is caught up (5).
  const leaderHighWatermark = [1000, 5];
  const fetches = [0, 0];
  const batch = new Uint8Array(1000); // 999 s of the 1 byte/s quota
  const leader = scriptedBroker((header, reader) => {
    assert.equal(header.apiKey, ApiKey.Fetch);
    const request = readFetchRequest(reader, header.apiVersion);
    return (w) =>
      writeFetchResponse(w, header.apiVersion, {
        throttleTimeMs: 0,
        responses: request.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => {
            fetches[p.partition]++;
            const behind = p.fetchOffset < leaderHighWatermark[p.partition];
            return {
              partitionIndex: p.partition,
              errorCode: 0,
              highWatermark: leaderHighWatermark[p.partition],
              lastStableOffset: leaderHighWatermark[p.partition],
              logStartOffset: 0,
              abortedTransactions: null,
              records: behind ? batch : new Uint8Array(0),
            };
          }),
        })),
      });
  });
  const quota = new ByteRateQuota();
  quota.setRate(1);
  const fetcher = new ReplicaFetcher(
    fetcherOptions(leader.port, { throttle: { quota, throttled: () => true } }),
  );
  const behind = followedPartition(0, 0);
  const inSync = followedPartition(1, 5);
  try {
    fetcher.add(asFollowed(behind), 0);
    fetcher.add(asFollowed(inSync), 0);
    await eventually(
      "the in-sync replica to keep fetching past the spent quota",
      () => fetches[1] >= 20,
      30_000,
    );
    // The quota needs 999 s to refill: the replica behind got one batch only.
    assert.equal(behind.appended, 1);
    assert.equal(fetches[0], 1);
    assert.ok(quota.delayMs() > 0, "the quota is spent");
    assert.equal(inSync.appended, 0);

    // The throttle lifted (a reassignment's end): the replica behind fetches again within about
    // a second, not after the 999 s its batch cost at the old rate.
    quota.setRate(null);
    await eventually(
      "the replica behind to fetch again once the throttle is lifted",
      () => behind.appended >= 3,
      10_000,
    );
  } finally {
    await fetcher.close();
    leader.close();
  }
});
