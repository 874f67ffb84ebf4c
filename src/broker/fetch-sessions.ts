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
 * const sessions = new FetchSessionCache({ maxSessions: 1000, evictionMs: 120_000 });
 * sessions.open({ sessionId: 0, sessionEpoch: 0 }); // { errorCode: 0, session: null }: a full fetch
 * const session = sessions.create(true, request.topics); // after the full answer; null: no slot free
 * sessions.open({ sessionId: session!.id, sessionEpoch: 1 }); // { errorCode: 0, session, incremental: true }
 * ```
 */
import { ErrorCode } from "../kafka/errors.ts";
import { hwmWaitKey, logWaitKey, partitionKey } from "./topic-partition.ts";

/** What a session remembers of one partition: the fetch position and what was last answered. */
export interface SessionPartition {
  topic: string;
  partition: number;
  /** partitionKey(topic, partition), made once. */
  key: string;
  currentLeaderEpoch: number;
  fetchOffset: number;
  logStartOffset: number;
  partitionMaxBytes: number;
  /** The high watermark last answered; -1 after an error, so the partition is answered again. */
  sentHighWatermark: number;
  sentLastStableOffset: number;
  sentLogStartOffset: number;
}

/** The per-partition fields of a request, as the Fetch codec reads them. */
export interface RequestedPartition {
  partition: number;
  currentLeaderEpoch?: number;
  fetchOffset: number;
  logStartOffset?: number;
  partitionMaxBytes: number;
}

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

export class FetchSession {
  readonly id: number;
  readonly privileged: boolean;
  /** The epoch the next incremental request must carry. */
  epoch = 1;
  lastUsedMs: number;
  readonly #byTopic = new Map<string, Map<number, SessionPartition>>();
  #count = 0;
  /** The partitions grouped by topic, rebuilt only when membership changes (not per fetch). */
  #topics: { topic: string; partitions: SessionPartition[] }[] | null = null;
  #waitKeys: string[] | null = null;
  #waitKeysForFollower = false;

  constructor(id: number, privileged: boolean, nowMs: number) {
    this.id = id;
    this.privileged = privileged;
    this.lastUsedMs = nowMs;
  }

  get size(): number {
    return this.#count;
  }

  /** Every partition of the session, grouped by topic (the same array until membership changes). */
  topics(): readonly { topic: string; partitions: SessionPartition[] }[] {
    this.#topics ??= [...this.#byTopic].map(([topic, partitions]) => ({
      topic,
      partitions: [...partitions.values()],
    }));
    return this.#topics;
  }

  /**
   * The purgatory keys a long poll of this session waits on (followers: the logs growing;
   * consumers: the high watermarks), kept until membership changes.
   */
  waitKeys(follower: boolean): readonly string[] {
    if (this.#waitKeys === null || this.#waitKeysForFollower !== follower) {
      const keyOf = follower ? logWaitKey : hwmWaitKey;
      this.#waitKeys = this.topics().flatMap((t) =>
        t.partitions.map((p) => keyOf(partitionKey(t.topic, p.partition)))
      );
      this.#waitKeysForFollower = follower;
    }
    return this.#waitKeys;
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
      return;
    }
    partitions.set(wanted.partition, {
      topic,
      partition: wanted.partition,
      key: partitionKey(topic, wanted.partition),
      currentLeaderEpoch: wanted.currentLeaderEpoch ?? -1,
      fetchOffset: wanted.fetchOffset,
      logStartOffset: wanted.logStartOffset ?? -1,
      partitionMaxBytes: wanted.partitionMaxBytes,
      sentHighWatermark: -1,
      sentLastStableOffset: -1,
      sentLogStartOffset: -1,
    });
    this.#count++;
    this.#topics = null;
    this.#waitKeys = null;
  }

  /** Forget a partition (forgotten_topics_data). */
  forget(topic: string, partition: number): void {
    const partitions = this.#byTopic.get(topic);
    if (!partitions?.delete(partition)) return;
    if (partitions.size === 0) this.#byTopic.delete(topic);
    this.#count--;
    this.#topics = null;
    this.#waitKeys = null;
  }
}

/** What the handler does with a request: read these partitions, answer in this session. */
export type OpenedSession =
  | { errorCode: 0; session: FetchSession | null; incremental: boolean }
  | { errorCode: number; session: null; incremental: false };

export interface FetchSessionCacheOptions {
  maxSessions: number;
  evictionMs: number;
  now?: () => number;
}

export class FetchSessionCache {
  readonly #sessions = new Map<number, FetchSession>(); // least recently used first
  readonly #maxSessions: number;
  readonly #evictionMs: number;
  readonly #now: () => number;
  /** Sessions evicted to make room for another (for tests and metrics). */
  evictions = 0;

  constructor(options: FetchSessionCacheOptions) {
    if (!(options.maxSessions >= 0)) {
      throw new RangeError(`maxSessions must be >= 0: got ${options.maxSessions}`);
    }
    this.#maxSessions = options.maxSessions;
    this.#evictionMs = options.evictionMs;
    this.#now = options.now ?? Date.now;
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
      if (id !== 0) this.#sessions.delete(id);
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
    privileged: boolean,
    topics: readonly { topic: string; partitions: readonly RequestedPartition[] }[],
  ): FetchSession | null {
    if (this.#maxSessions === 0) return null;
    const now = this.#now();
    if (this.#sessions.size >= this.#maxSessions && !this.#evictOne(privileged, now)) return null;
    let id = 0;
    // A random positive int32 not in use; the cache is far smaller than the id space, so this
    // ends after a try or two (bounded anyway).
    for (let attempt = 0; attempt < 64 && (id === 0 || this.#sessions.has(id)); attempt++) {
      id = 1 + Math.floor(Math.random() * 0x7ffffffe);
    }
    if (this.#sessions.has(id)) return null;
    const session = new FetchSession(id, privileged, now);
    for (const topic of topics) {
      for (const wanted of topic.partitions) session.upsert(topic.topic, wanted);
    }
    this.#sessions.set(id, session);
    return session;
  }

  /** The least recently used session, if it may give way to a new one. */
  #evictOne(privileged: boolean, now: number): boolean {
    for (const session of this.#sessions.values()) {
      const idle = now - session.lastUsedMs >= this.#evictionMs;
      if (idle || (privileged && !session.privileged)) {
        this.#sessions.delete(session.id);
        this.evictions++;
        return true;
      }
    }
    return false;
  }

  #touch(session: FetchSession): void {
    session.lastUsedMs = this.#now();
    // Map order is insertion order: re-inserting keeps the least recently used first.
    this.#sessions.delete(session.id);
    this.#sessions.set(session.id, session);
  }
}

/** The epoch after `epoch`: wraps to 1 (0 and -1 mean full fetches). */
export function nextEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1;
}
