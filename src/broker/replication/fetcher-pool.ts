/**
 * FetcherPool: the follower side's fetchers — one ReplicaFetcher (one connection) per source
 * broker, shared by every partition this broker follows there, created on first use and closed
 * when its last partition leaves.
 */
import type { BrokerEndpoint } from "../zk-layout.ts";
import { type FollowedPartition, ReplicaFetcher, type ReplicaFetcherOptions } from "./replica-fetcher.ts";

export type FetcherSettings = Pick<
  ReplicaFetcherOptions,
  | "brokerId"
  | "maxWaitMs"
  | "maxBytes"
  | "maxResponseBytes"
  | "requestTimeoutMs"
  | "partitionMaxBytes"
  | "backoffMs"
  | "maxBackoffMs"
  | "security"
  | "throttle"
>;

export class FetcherPool {
  readonly #settings: FetcherSettings;
  /** The source broker's endpoint, or undefined while it is unknown. */
  readonly #endpoint: (brokerId: number) => BrokerEndpoint | undefined;
  readonly #log: (message: string) => void;
  readonly #fetchers = new Map<number, ReplicaFetcher>();
  /** Followed partition key → source broker id. */
  readonly #following = new Map<string, number>();

  constructor(
    settings: FetcherSettings,
    endpoint: (brokerId: number) => BrokerEndpoint | undefined,
    log: (message: string) => void,
  ) {
    this.#settings = settings;
    this.#endpoint = endpoint;
    this.#log = log;
  }

  /** Follow `followed` on `sourceId` in `leaderEpoch` (truncation first), leaving any other source. */
  follow(followed: FollowedPartition, sourceId: number, leaderEpoch: number): void {
    this.stop(followed.key);
    this.#following.set(followed.key, sourceId);
    this.#fetcherFor(sourceId).add(followed, leaderEpoch);
  }

  /** Stop following a partition; a fetcher left with nothing to fetch is closed. */
  stop(key: string): void {
    const sourceId = this.#following.get(key);
    if (sourceId === undefined) return;
    this.#following.delete(key);
    const fetcher = this.#fetchers.get(sourceId);
    if (!fetcher) return;
    fetcher.remove(key);
    if (fetcher.size === 0) {
      this.#fetchers.delete(sourceId);
      void fetcher.close();
    }
  }

  #fetcherFor(sourceId: number): ReplicaFetcher {
    let fetcher = this.#fetchers.get(sourceId);
    if (fetcher) return fetcher;
    fetcher = new ReplicaFetcher({
      ...this.#settings,
      sourceId,
      endpoint: () => this.#endpoint(sourceId),
      onDropped: (key, errorCode) => {
        this.#log(`${key}: leader ${sourceId} answered error ${errorCode}; waiting for new leadership`);
        this.stop(key);
      },
      log: this.#log,
    });
    this.#fetchers.set(sourceId, fetcher);
    return fetcher;
  }

  /** Close every fetcher (their requests in flight end first). */
  async close(): Promise<void> {
    const fetchers = [...this.#fetchers.values()];
    this.#fetchers.clear();
    this.#following.clear();
    await Promise.all(fetchers.map((fetcher) => fetcher.close()));
  }
}
