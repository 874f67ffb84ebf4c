/**
 * Fetch sessions (KIP-227, Fetch v7+): a fetcher that asks for one (session_id 0, epoch 0) gets
 * an id; from then on its requests name only the partitions whose fetch position changed (and
 * those to forget), and the answers carry only the partitions with something new — records, a
 * moved high watermark, last stable or log start offset, or an error. A follower fetching
 * thousands of idle partitions then sends and receives a few bytes per round instead of ~80 per
 * partition each way, and neither side encodes or decodes what did not change.
 *
 * What a request's (session_id, session_epoch) means:
 *   0, -1  a full fetch without a session (every pre-v7 request, kafkajs, our own consumer);
 *   0, 0   a full fetch that creates a session when a slot is free (the answer names it, or 0);
 *   X, 0   close X, then as (0, 0);   X, -1  close X, then a full fetch without a session;
 *   X, N   an incremental fetch in X: N must be the epoch X expects (FETCH_SESSION_ID_NOT_FOUND
 *          when X is unknown, INVALID_FETCH_SESSION_EPOCH otherwise — then the fetcher starts a
 *          new session with a full fetch). Each accepted incremental fetch moves the epoch on, so
 *          a retried or reordered request is refused instead of silently losing a change.
 *
 * Bounds: at most `maxSessions` sessions (Kafka's max.incremental.fetch.session.cache.slots,
 * 1,000). When full, a new session takes the least recently used one's slot only if that one is
 * idle for `evictionMs` (Kafka's 120 s) or is a consumer's while the newcomer is a follower's
 * (followers are privileged: replication must not lose its session to a crowd of consumers);
 * otherwise the newcomer simply fetches without a session. A session's partitions are bounded by
 * what its requests may name (the request frame limit).
 *
 * One owner: this cache holds every session's state; the Fetch handler asks it what to read and
 * tells it what it answered.
 *
 * @example
 * ```ts
 * const sessions = new FetchSessionCache({ maxSessions: 1000, evictionMs: 120_000, watches: purgatory });
 * sessions.open({ sessionId: 0, sessionEpoch: 0 }); // { errorCode: 0, session: null }: a full fetch
 * const session = sessions.create(2, request.topics); // broker 2's; after the full answer; null: no slot free
 * sessions.open({ sessionId: session!.id, sessionEpoch: 1 }); // { errorCode: 0, session, incremental: true }
 * ```
 */
import { ErrorCode } from "../kafka/errors.ts";
import { LinkedList, type ListNode } from "../linked-list.ts";
import type { KeyWatcher } from "./purgatory.ts";
import { hwmWaitKey, logWaitKey, partitionKey } from "./topic-partition.ts";

/** The per-partition fields of a request, as the Fetch codec reads them. */
export interface RequestedPartition {
  partition: number;
  currentLeaderEpoch?: number;
  fetchOffset: number;
  logStartOffset?: number;
  partitionMaxBytes: number;
}

/**
 * How sessions hear of changes to their partitions: the purgatory's wake keys (a Purgatory
 * serves), and the hook that tells a leader a follower was still fetching an unchanged partition.
 */
export interface SessionWatches {
  watch(key: string, watcher: KeyWatcher): void;
  unwatch(key: string, watcher: KeyWatcher): void;
  wake(key: string): void;
  /**
   * A follower's settled partition changed here (an append, a moved high watermark, new
   * leadership): the follower was at its recorded log end when its session last fetched, at
   * atMs. Called before anything can judge the follower by the change (Partition.followerStillAt).
   */
  followerStillAt?(replicaId: number, partition: SessionPartition, atMs: number): void;
}

/**
 * What a session remembers of one partition: the fetch position and what was last answered. It
 * watches the partition's wake keys for as long as the session holds it.
 */
export class SessionPartition implements KeyWatcher {
  readonly topic: string;
  readonly partition: number;
  /** partitionKey(topic, partition), made once. */
  readonly key: string;
  currentLeaderEpoch: number;
  fetchOffset: number;
  logStartOffset: number;
  partitionMaxBytes: number;
  /** The high watermark last answered; -1 after an error, so the partition is answered again. */
  sentHighWatermark = -1;
  sentLastStableOffset = -1;
  sentLogStartOffset = -1;
  /** Its place among the session's unsettled partitions while it is one (see FetchSession). */
  unsettledNode: ListNode<SessionPartition> | null = null;
  readonly #session: FetchSession;

  constructor(session: FetchSession, topic: string, wanted: RequestedPartition) {
    this.#session = session;
    this.topic = topic;
    this.partition = wanted.partition;
    this.key = partitionKey(topic, wanted.partition);
    this.currentLeaderEpoch = wanted.currentLeaderEpoch ?? -1;
    this.fetchOffset = wanted.fetchOffset;
    this.logStartOffset = wanted.logStartOffset ?? -1;
    this.partitionMaxBytes = wanted.partitionMaxBytes;
  }

  /**
   * Nothing to read or answer (see FetchSession): left out of fetches until the partition
   * changes or the fetcher names it again.
   */
  get settled(): boolean {
    return this.unsettledNode === null;
  }

  keyWoken(): void {
    this.#session.changed(this);
  }
}

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

/**
 * One fetcher's session. Cost follows the change: a partition whose last read had nothing for
 * the fetcher — no error, no records, its fetch offset at the end it may read (the log end for a
 * follower, the high watermark or last stable offset for a consumer), answered as it is now, and
 * (a follower's) in the ISR — is settled, and a fetch reads only the unsettled ones. A settled
 * partition is unsettled again by the fetcher naming it (its position moved) or by a change to it
 * here: the session watches its partitions' purgatory keys (followers: the log growing and the
 * high watermark; consumers: the high watermark, which carries the last stable offset), and
 * leadership and ISR changes wake both. So an idle follower's fetch reads nothing, records
 * nothing and waits on one key, whatever the number of partitions. Not reported until the next
 * change: a log start moved by retention alone (followers do not use it; consumers see it with
 * their next records).
 */
export class FetchSession {
  readonly id: number;
  /** The fetcher's replica id: a broker id for a follower, -1 for a consumer. */
  readonly replicaId: number;
  /** The purgatory key a long poll of this session waits on. */
  readonly waitKey: string;
  /** The epoch the next incremental request must carry. */
  epoch = 1;
  lastUsedMs: number;
  readonly #watches: SessionWatches;
  /** Its place in the cache's least-recently-used order. */
  lruNode: ListNode<FetchSession> | null = null;
  readonly #byTopic = new Map<string, Map<number, SessionPartition>>();
  /**
   * In the order they became unsettled. A list, not a Set: partitions settle and unsettle with
   * every fetch that finds something (../linked-list.ts says why that churn avoids a Set).
   */
  readonly #unsettled = new LinkedList<SessionPartition>();
  #count = 0;
  #closed = false;

  constructor(id: number, replicaId: number, nowMs: number, watches: SessionWatches) {
    this.id = id;
    this.replicaId = replicaId;
    this.waitKey = `session:${id}`;
    this.lastUsedMs = nowMs;
    this.#watches = watches;
  }

  /** A follower's session: privileged in the cache (replication must not lose its session). */
  get privileged(): boolean {
    return this.replicaId >= 0;
  }

  get size(): number {
    return this.#count;
  }

  /** Partitions a fetch must read now. */
  get unsettledCount(): number {
    return this.#unsettled.size;
  }

  /** The partitions a fetch must read now, grouped by topic (made per call: what changed). */
  unsettledTopics(): { topic: string; partitions: SessionPartition[] }[] {
    const byTopic = new Map<string, SessionPartition[]>();
    for (const entry of this.#unsettled) {
      const partitions = byTopic.get(entry.topic);
      if (partitions === undefined) byTopic.set(entry.topic, [entry]);
      else partitions.push(entry);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  get(topic: string, partition: number): SessionPartition | undefined {
    return this.#byTopic.get(topic)?.get(partition);
  }

  /** Add a partition or update its fetch position (what an incremental request names). */
  upsert(topic: string, wanted: RequestedPartition): void {
    let partitions = this.#byTopic.get(topic);
    if (partitions === undefined) this.#byTopic.set(topic, partitions = new Map());
    const known = partitions.get(wanted.partition);
    if (known !== undefined) {
      // A new leader epoch or a truncated follower: answer everything again (the fetcher may
      // have dropped the last answer while its log moved).
      if (
        known.currentLeaderEpoch !== (wanted.currentLeaderEpoch ?? -1) ||
        wanted.fetchOffset < known.fetchOffset
      ) {
        known.sentHighWatermark = known.sentLastStableOffset = known.sentLogStartOffset = -1;
      }
      known.currentLeaderEpoch = wanted.currentLeaderEpoch ?? -1;
      known.fetchOffset = wanted.fetchOffset;
      known.logStartOffset = wanted.logStartOffset ?? -1;
      known.partitionMaxBytes = wanted.partitionMaxBytes;
      this.#unsettle(known);
      return;
    }
    const entry = new SessionPartition(this, topic, wanted);
    partitions.set(wanted.partition, entry);
    this.#count++;
    this.#unsettle(entry);
    if (!this.#closed) { for (const key of this.#watchKeys(entry)) this.#watches.watch(key, entry); }
  }

  /** Forget a partition (forgotten_topics_data). */
  forget(topic: string, partition: number): void {
    const partitions = this.#byTopic.get(topic);
    const entry = partitions?.get(partition);
    if (entry === undefined) return;
    partitions!.delete(partition);
    if (partitions!.size === 0) this.#byTopic.delete(topic);
    this.#count--;
    this.#settle(entry);
    if (!this.#closed) { for (const key of this.#watchKeys(entry)) this.#watches.unwatch(key, entry); }
  }

  /**
   * Something changed for entry here (its watched key woke): read it at the next fetch, and wake
   * a fetch of this session parked meanwhile.
   */
  changed(entry: SessionPartition): void {
    if (entry.settled) {
      this.#unsettle(entry);
      // The fetcher's requests left it out as unchanged: it was still at fetchOffset when it
      // last fetched.
      if (this.replicaId >= 0) this.#watches.followerStillAt?.(this.replicaId, entry, this.lastUsedMs);
    }
    this.#watches.wake(this.waitKey);
  }

  /** These partitions' last read had nothing for the fetcher (see the class): leave them out. */
  settle(entries: readonly SessionPartition[]): void {
    for (const entry of entries) this.#settle(entry);
  }

  /** The session is gone (closed by its fetcher, evicted): stop watching its partitions. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const partitions of this.#byTopic.values()) {
      for (const entry of partitions.values()) {
        for (const key of this.#watchKeys(entry)) this.#watches.unwatch(key, entry);
      }
    }
  }

  #unsettle(entry: SessionPartition): void {
    entry.unsettledNode ??= this.#unsettled.push(entry);
  }

  #settle(entry: SessionPartition): void {
    if (entry.unsettledNode === null) return;
    this.#unsettled.remove(entry.unsettledNode);
    entry.unsettledNode = null;
  }

  /** Followers hear of the log growing and the high watermark; consumers of the latter. */
  #watchKeys(entry: SessionPartition): string[] {
    return this.replicaId >= 0 ? [logWaitKey(entry.key), hwmWaitKey(entry.key)] : [hwmWaitKey(entry.key)];
  }
}

/** What the handler does with a request: read these partitions, answer in this session. */
export type OpenedSession =
  | { errorCode: 0; session: FetchSession | null; incremental: boolean }
  | { errorCode: number; session: null; incremental: false };

export interface FetchSessionCacheOptions {
  maxSessions: number;
  evictionMs: number;
  /** How sessions hear of changes to their partitions (the broker's purgatory, wired to its partitions). */
  watches: SessionWatches;
  now?: () => number;
}

export class FetchSessionCache {
  readonly #sessions = new Map<number, FetchSession>();
  /**
   * Least recently used first. A list beside the Map rather than the Map's own order (deleted and
   * set again at every fetch): ../linked-list.ts says why that churn avoids a long-lived Map.
   */
  readonly #recency = new LinkedList<FetchSession>();
  readonly #maxSessions: number;
  readonly #evictionMs: number;
  readonly #now: () => number;
  readonly #watches: SessionWatches;
  /** Each follower's newest session (a follower broker fetches from this one in one session). */
  readonly #byFollower = new Map<number, FetchSession>();
  /** Sessions evicted to make room for another (for tests and metrics). */
  evictions = 0;

  constructor(options: FetchSessionCacheOptions) {
    if (!(options.maxSessions >= 0)) {
      throw new RangeError(`maxSessions must be >= 0: got ${options.maxSessions}`);
    }
    this.#maxSessions = options.maxSessions;
    this.#evictionMs = options.evictionMs;
    this.#now = options.now ?? Date.now;
    this.#watches = options.watches;
  }

  get size(): number {
    return this.#sessions.size;
  }

  has(id: number): boolean {
    return this.#sessions.has(id);
  }

  /**
   * Resolve a request's session fields. A full request (epoch 0 or -1) closes the session it
   * names; epoch 0 asks for a new one, created by `create` once the full answer is known. An
   * incremental one applies its partitions and forgotten partitions to its session.
   */
  open(
    request: {
      sessionId?: number;
      sessionEpoch?: number;
      topics?: readonly { topic: string; partitions: readonly RequestedPartition[] }[];
      forgottenTopicsData?: readonly { topic: string; partitions: readonly number[] }[];
    },
  ): OpenedSession {
    const id = request.sessionId ?? 0;
    const epoch = request.sessionEpoch ?? FINAL_EPOCH;
    if (epoch === INITIAL_EPOCH || epoch === FINAL_EPOCH) {
      if (id !== 0) this.#remove(id);
      return { errorCode: 0, session: null, incremental: false };
    }
    const session = this.#sessions.get(id);
    if (session === undefined) {
      return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, session: null, incremental: false };
    }
    if (epoch !== session.epoch) {
      return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, session: null, incremental: false };
    }
    session.epoch = nextEpoch(session.epoch);
    this.#touch(session);
    for (const forgotten of request.forgottenTopicsData ?? []) {
      for (const partition of forgotten.partitions) session.forget(forgotten.topic, partition);
    }
    for (const topic of request.topics ?? []) {
      for (const wanted of topic.partitions) session.upsert(topic.topic, wanted);
    }
    return { errorCode: 0, session, incremental: true };
  }

  /**
   * A new session holding a full request's partitions, or null when no slot is free (the fetcher
   * then goes on with full fetches).
   */
  create(
    replicaId: number,
    topics: readonly { topic: string; partitions: readonly RequestedPartition[] }[],
  ): FetchSession | null {
    if (this.#maxSessions === 0) return null;
    const now = this.#now();
    if (this.#sessions.size >= this.#maxSessions && !this.#evictOne(replicaId >= 0, now)) return null;
    let id = 0;
    // A random positive int32 not in use; the cache is far smaller than the id space, so this
    // ends after a try or two (bounded anyway).
    for (let attempt = 0; attempt < 64 && (id === 0 || this.#sessions.has(id)); attempt++) {
      id = 1 + Math.floor(Math.random() * 0x7ffffffe);
    }
    if (this.#sessions.has(id)) return null;
    const session = new FetchSession(id, replicaId, now, this.#watches);
    for (const topic of topics) {
      for (const wanted of topic.partitions) session.upsert(topic.topic, wanted);
    }
    this.#sessions.set(id, session);
    session.lruNode = this.#recency.push(session);
    if (replicaId >= 0) this.#byFollower.set(replicaId, session);
    return session;
  }

  /**
   * When follower replicaId's session last fetched while holding this partition settled (left
   * out of its requests as unchanged), or undefined: the follower was still at its recorded log
   * end then, which the partition's lag check counts as a fetch (FollowerProgress.stillAt).
   */
  stillAt(replicaId: number, topic: string, partition: number): number | undefined {
    const session = this.#byFollower.get(replicaId);
    return session?.get(topic, partition)?.settled ? session.lastUsedMs : undefined;
  }

  /** The least recently used session, if it may give way to a new one. */
  #evictOne(privileged: boolean, now: number): boolean {
    for (const session of this.#recency) {
      const idle = now - session.lastUsedMs >= this.#evictionMs;
      if (idle || (privileged && !session.privileged)) {
        this.#remove(session.id);
        this.evictions++;
        return true;
      }
    }
    return false;
  }

  #remove(id: number): void {
    const session = this.#sessions.get(id);
    if (session === undefined) return;
    session.close();
    this.#sessions.delete(id);
    this.#recency.remove(session.lruNode!);
    if (this.#byFollower.get(session.replicaId) === session) this.#byFollower.delete(session.replicaId);
  }

  #touch(session: FetchSession): void {
    session.lastUsedMs = this.#now();
    this.#recency.moveToEnd(session.lruNode!);
  }
}

/** The epoch after `epoch`: wraps to 1 (0 and -1 mean full fetches). */
export function nextEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1;
}
