/**
 * What the ReplicaFetcher unit tests share: a followed partition that counts what it is given, and
 * a fetcher's options pointed at a scripted leader on a real socket.
 */
import type {
  FollowedPartition,
  ReplicaFetcherOptions,
} from "../../../src/broker/replication/replica-fetcher.ts";

/** A followed partition of topic "t" whose log grows by one offset per batch it is given. */
export function followedPartition(partition: number, logEndOffset: number) {
  const state = {
    key: `t:${partition}`,
    topic: "t",
    partition,
    logStartOffset: 0,
    logEndOffset,
    highWatermark: logEndOffset,
    latestEpoch: -1,
    verified: true,
    /** Batches appended so far. */
    appended: 0,
    endOffsetForEpoch: () => ({ leaderEpoch: -1, endOffset: -1 }),
    truncateTo: () => false,
    truncateFullyAndStartAt: () => {},
    appendAsFollower(_records: Uint8Array) {
      state.appended++;
      state.logEndOffset++;
    },
    updateFollowerHighWatermark(offset: number) {
      state.highWatermark = Math.min(offset, state.logEndOffset);
    },
  };
  return state;
}

/** The fixture as the fetcher sees it. */
export function asFollowed(partition: ReturnType<typeof followedPartition>): FollowedPartition {
  return partition as unknown as FollowedPartition;
}

/** Broker 2 fetching from broker 1 (the scripted leader on `port`), with short waits and backoffs. */
export function fetcherOptions(
  port: number,
  extra: Partial<ReplicaFetcherOptions> = {},
): ReplicaFetcherOptions {
  return {
    brokerId: 2,
    sourceId: 1,
    endpoint: () => ({ brokerId: 1, host: "127.0.0.1", port, rack: null }),
    maxWaitMs: 10,
    maxBytes: 1 << 20,
    maxResponseBytes: 1 << 22,
    requestTimeoutMs: 10_000,
    partitionMaxBytes: 1 << 20,
    backoffMs: 10,
    maxBackoffMs: 100,
    onDropped: () => {},
    log: () => {},
    ...extra,
  };
}
