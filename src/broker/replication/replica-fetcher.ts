/**
 * ReplicaFetcher: one connection to one source broker (the leader of some partitions this
 * broker follows), serving all of them in batched requests.
 *
 * A partition starts in the "truncate" phase: the fetcher asks the leader (OffsetForLeaderEpoch)
 * where the follower's latest epoch ended and truncates exactly there (KIP-101) — never to a
 * possibly stale high watermark, which it falls back to only when the log has no epoch or the
 * leader does not know it. When the leader answers with an older epoch than asked (KIP-279),
 * the follower's own end of that epoch bounds the truncation too. Then the "fetch" phase: Fetch
 * with replica_id = own id and the current leader epoch, append as follower (offsets and epochs
 * kept), learn the high watermark. The next fetch's offset tells the leader our log end.
 *
 * Fetch sessions (KIP-227): the first fetch is full and asks for a session; while the leader
 * keeps it, each fetch names only the partitions whose position (offset, epoch, log start)
 * changed since the last one and forgets those no longer fetched (backing off, truncating,
 * throttled, removed), and the leader answers only partitions with something new. So an idle
 * round costs a few bytes whatever the number of partitions. Any failure (a session error, a
 * lost connection, an unexpected answer) starts over with a full fetch in a new session.
 *
 * Errors: a connection failure closes the connection and retries with backoff; a fenced answer
 * (our epoch is stale) drops the partition until the next LeaderAndIsr (or reconcile) says
 * who leads; not-leader and unknown (newer) epoch answers — the leader has not heard of its
 * leadership yet — retry after a backoff.
 */
import type { ByteRateQuota } from "./replication-quota.ts";
import { Connection } from "../../client/connection.ts";
import type { ClientSecurity } from "../../client/security.ts";
import { ApiKey } from "../../kafka/api-keys.ts";
import { ErrorCode, errorInfo } from "../../kafka/errors.ts";
import { INITIAL_EPOCH, nextEpoch } from "../fetch-sessions.ts";
import { readFetchResponse, writeFetchRequest } from "../../kafka/apis/fetch.ts";
import {
  readOffsetForLeaderEpochResponse,
  writeOffsetForLeaderEpochRequest,
} from "../../kafka/apis/offset-for-leader-epoch.ts";
import type { Partition } from "../partition/partition.ts";
import type { BrokerEndpoint } from "../zk-layout.ts";
import { truncationOffset } from "./truncation.ts";
import { partitionKey } from "../topic-partition.ts";

/** What the fetcher uses of a followed partition. */
export type FollowedPartition = Pick<
  Partition,
  | "key"
  | "topic"
  | "partition"
  | "logStartOffset"
  | "logEndOffset"
  | "highWatermark"
  | "latestEpoch"
  | "endOffsetForEpoch"
  | "truncateTo"
  | "truncateFullyAndStartAt"
  | "appendAsFollower"
  | "updateFollowerHighWatermark"
  | "verified"
>;

/** The longest a throttled partition waits before the fetcher looks at the quota again. */
const THROTTLE_RECHECK_MS = 1_000;

/** How often a fetcher looks again at partitions whose logs are still being checked. */
const UNVERIFIED_POLL_MS = 250;

/** What the leader's session holds for one of our partitions (as last sent). */
interface SentPosition {
  topic: string;
  partition: number;
  fetchOffset: number;
  leaderEpoch: number;
  logStartOffset: number;
  /** The target it was last sent for, in which fetch round. */
  target: Target;
  round: number;
}

/** Our side of the fetch session with the leader (id 0: none yet, the next fetch is full). */
interface SessionState {
  id: number;
  epoch: number;
  sent: Map<string, SentPosition>;
}

/**
 * A session at its start: the next fetch is full. With id 0 it asks for a new session; with the id
 * of the current one it also closes that one on the leader.
 */
function freshSession(id = 0): SessionState {
  return { id, epoch: INITIAL_EPOCH, sent: new Map() };
}

interface Target {
  followed: FollowedPartition;
  leaderEpoch: number;
  phase: "truncate" | "fetch";
  notBeforeMs: number;
  /** The leader's high watermark in its last fetch answer; -1 before the first. */
  leaderHighWatermark: number;
}

export interface ReplicaFetcherOptions {
  brokerId: number;
  sourceId: number;
  /** The source broker's current endpoint (it may re-register on another port). */
  endpoint: () => BrokerEndpoint | undefined;
  maxWaitMs: number;
  maxBytes: number;
  /** Largest response frame accepted (bounds memory per fetcher). */
  maxResponseBytes: number;
  /**
   * How long a request may go unanswered before the connection is given up and made again: a
   * request sent into a cut link otherwise waits for TCP's retransmissions long after the heal.
   */
  requestTimeoutMs: number;
  partitionMaxBytes: number;
  /** Backoff after an error, doubled per consecutive failure up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** A partition the leader fenced or disowned: it waits for new leadership news. */
  onDropped: (key: string, errorCode: number) => void;
  log: (message: string) => void;
  /** How to reach the leader's inter-broker listener (TLS, SASL); default PLAINTEXT. */
  security?: ClientSecurity;
  /**
   * The follower replication throttle: partitions `throttled` names fetch only while `quota`
   * has bytes left (follower.replication.throttled.rate) — unless this replica is in sync (caught
   * up to the leader's high watermark), as Kafka's: a throttle is for copies being made, and
   * holding back an in-sync replica would hold back acks=all. The others are never held back.
   */
  throttle?: { quota: ByteRateQuota; throttled: (key: string) => boolean };
}

export class ReplicaFetcher {
  readonly sourceId: number;
  readonly #options: ReplicaFetcherOptions;
  readonly #targets = new Map<string, Target>();
  #connection: Connection | null = null;
  #closed = false;
  #wakeUp: (() => void) | null = null;
  #failures = 0;
  #session: SessionState = freshSession();
  #round = 0;
  readonly done: Promise<void>;

  constructor(options: ReplicaFetcherOptions) {
    this.sourceId = options.sourceId;
    this.#options = options;
    this.done = this.#run();
  }

  get size(): number {
    return this.#targets.size;
  }

  /** Follow `followed` in `leaderEpoch`, starting with truncation. */
  add(followed: FollowedPartition, leaderEpoch: number): void {
    this.#targets.set(followed.key, {
      followed,
      leaderEpoch,
      phase: "truncate",
      notBeforeMs: 0,
      leaderHighWatermark: -1,
    });
    this.#wake();
  }

  remove(key: string): void {
    this.#targets.delete(key);
  }

  /** Stop: the loop ends after the request in flight. */
  close(): Promise<void> {
    this.#closed = true;
    this.#connection?.close();
    this.#wake();
    return this.done;
  }

  #wake(): void {
    this.#wakeUp?.();
    this.#wakeUp = null;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeUp = null;
        resolve();
      }, ms);
      this.#wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      const now = Date.now();
      // A replica whose log is still being checked (start-up CRC check) does not fetch yet: it
      // could catch up and rejoin the ISR with damage further back.
      const targets = [...this.#targets.values()];
      const checked = targets.filter((t) => t.followed.verified);
      const ready = checked.filter((t) => t.notBeforeMs <= now);
      if (ready.length === 0) {
        const pollMs = checked.length < targets.length ? UNVERIFIED_POLL_MS : 1000;
        const next = Math.min(...checked.map((t) => t.notBeforeMs), now + pollMs);
        await this.#sleep(Math.max(1, next - now));
        continue;
      }
      try {
        const connection = await this.#connect();
        const truncating = ready.filter((t) => t.phase === "truncate");
        if (truncating.length > 0) await this.#truncate(connection, truncating);
        const fetching = this.#unthrottled(
          ready.filter((t) => t.phase === "fetch" && this.#targets.get(t.followed.key) === t),
        );
        if (fetching.length > 0) await this.#fetch(connection, fetching);
        this.#failures = 0;
      } catch (error) {
        if (this.#closed) break;
        this.#resetSession();
        this.#connection?.close();
        this.#connection = null;
        this.#failures++;
        const delayMs = Math.min(
          this.#options.backoffMs * 2 ** (this.#failures - 1),
          this.#options.maxBackoffMs,
        );
        if (this.#failures === 1 || this.#failures % 20 === 0) {
          this.#options.log(`fetching from broker ${this.sourceId}: ${(error as Error).message}`);
        }
        await this.#sleep(delayMs);
      }
    }
    this.#connection?.close();
  }

  async #connect(): Promise<Connection> {
    if (this.#connection && !this.#connection.closed) return this.#connection;
    const endpoint = this.#options.endpoint();
    if (!endpoint) throw new Error(`Broker ${this.sourceId} is not registered`);
    this.#connection = await Connection.connect({
      host: endpoint.host,
      port: endpoint.port,
      clientId: `replica-fetcher-${this.#options.brokerId}`,
      connectTimeoutMs: 5_000,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      maxResponseBytes: this.#options.maxResponseBytes,
      security: this.#options.security,
    });
    return this.#connection;
  }

  /**
   * The targets that may fetch now; throttled ones over the rate wait until it allows them, or
   * at most THROTTLE_RECHECK_MS before they ask again: the wait was computed at the rate of the
   * moment, and a throttle raised or lifted meanwhile (the end of a reassignment) must not leave
   * a copy parked for what a batch costs at 1 byte/s.
   */
  #unthrottled(targets: Target[]): Target[] {
    const throttle = this.#options.throttle;
    if (!throttle || targets.length === 0) return targets;
    const delayMs = throttle.quota.delayMs();
    if (delayMs === 0) return targets;
    return targets.filter((target) => {
      if (!this.#throttledNow(target)) return true;
      target.notBeforeMs = Date.now() + Math.min(delayMs, THROTTLE_RECHECK_MS);
      return false;
    });
  }

  /** Whether the follower throttle applies to `target`: named by it and not caught up. */
  #throttledNow(target: Target): boolean {
    const caughtUp = target.leaderHighWatermark >= 0 &&
      target.followed.logEndOffset >= target.leaderHighWatermark;
    return !caughtUp && (this.#options.throttle?.throttled(target.followed.key) ?? false);
  }

  #backoff(target: Target): void {
    target.notBeforeMs = Date.now() + this.#options.backoffMs;
  }

  #drop(target: Target, errorCode: number): void {
    if (this.#targets.get(target.followed.key) !== target) return;
    this.#targets.delete(target.followed.key);
    this.#options.onDropped(target.followed.key, errorCode);
  }

  /** Ask where our latest epoch ended; truncate there. */
  async #truncate(connection: Connection, targets: Target[]): Promise<void> {
    const asking = targets.filter((t) => t.followed.latestEpoch >= 0);
    for (const target of targets) {
      if (target.followed.latestEpoch >= 0) continue;
      // No epoch recorded: nothing better than the high watermark (which is all we had then).
      this.#truncateTo(target, truncationOffset(target.followed, null));
    }
    if (asking.length === 0) return;
    const version = Math.min(3, connection.versionFor(ApiKey.OffsetForLeaderEpoch));
    const request = {
      replicaId: this.#options.brokerId,
      topics: groupByTopic(asking.map((t) => ({ topic: t.followed.topic, t })), ({ t }) => ({
        partition: t.followed.partition,
        currentLeaderEpoch: t.leaderEpoch,
        leaderEpoch: t.followed.latestEpoch,
      })),
    };
    const response = await connection.request(
      ApiKey.OffsetForLeaderEpoch,
      version,
      (w) => writeOffsetForLeaderEpochRequest(w, version, request),
      (r) => readOffsetForLeaderEpochResponse(r, version),
    );
    for (const topic of response.topics) {
      for (const answer of topic.partitions) {
        const target = this.#targets.get(`${topic.topic}:${answer.partition}`);
        if (!target || !asking.includes(target)) continue;
        if (answer.errorCode !== ErrorCode.NONE) {
          this.#onPartitionError(target, answer.errorCode);
          continue;
        }
        const offset = truncationOffset(target.followed, {
          leaderEpoch: answer.leaderEpoch ?? -1,
          endOffset: answer.endOffset,
        });
        this.#truncateTo(target, offset);
      }
    }
  }

  #truncateTo(target: Target, offset: number): void {
    const log = target.followed;
    const before = log.logEndOffset;
    if (log.truncateTo(offset)) {
      this.#options.log(
        `${target.followed.key}: truncated from ${before} to ${log.logEndOffset} (epoch ${target.leaderEpoch})`,
      );
    }
    target.phase = "fetch";
  }

  /** Start over: the next fetch is full and asks for a new session (closing the old one). */
  #resetSession(): void {
    this.#session = freshSession(this.#session.id);
  }

  async #fetch(connection: Connection, targets: Target[]): Promise<void> {
    const version = connection.versionFor(ApiKey.Fetch);
    if (version < 9) throw new Error(`Broker ${this.sourceId} does not support Fetch v9+ (leader epochs)`);
    const session = this.#session;
    const full = session.epoch === INITIAL_EPOCH;
    if (full) session.sent.clear();
    const round = ++this.#round;
    // A full fetch names everything; an incremental one what changed, and forgets the rest. The
    // positions are updated in place: an idle round allocates nothing per partition.
    const changed: SentPosition[] = [];
    for (const target of targets) {
      const followed = target.followed;
      let sent = session.sent.get(followed.key);
      if (sent === undefined) {
        sent = {
          topic: followed.topic,
          partition: followed.partition,
          fetchOffset: followed.logEndOffset,
          leaderEpoch: target.leaderEpoch,
          logStartOffset: followed.logStartOffset,
          target,
          round,
        };
        session.sent.set(followed.key, sent);
        changed.push(sent);
        continue;
      }
      sent.target = target;
      sent.round = round;
      if (
        sent.fetchOffset !== followed.logEndOffset || sent.leaderEpoch !== target.leaderEpoch ||
        sent.logStartOffset !== followed.logStartOffset
      ) {
        sent.fetchOffset = followed.logEndOffset;
        sent.leaderEpoch = target.leaderEpoch;
        sent.logStartOffset = followed.logStartOffset;
        changed.push(sent);
      }
    }
    const forgotten: SentPosition[] = [];
    if (session.sent.size > targets.length) {
      for (const [key, sent] of session.sent) {
        if (sent.round === round) continue;
        forgotten.push(sent);
        session.sent.delete(key);
      }
    }
    const request = {
      replicaId: this.#options.brokerId,
      maxWaitMs: this.#options.maxWaitMs,
      minBytes: 1,
      maxBytes: this.#options.maxBytes,
      isolationLevel: 0,
      sessionId: session.id,
      sessionEpoch: session.epoch,
      topics: groupByTopic(changed, (p) => ({
        partition: p.partition,
        currentLeaderEpoch: p.leaderEpoch,
        fetchOffset: p.fetchOffset,
        logStartOffset: p.logStartOffset,
        partitionMaxBytes: this.#options.partitionMaxBytes,
      })),
      forgottenTopicsData: groupByTopic(forgotten, (p) => p.partition),
      rackId: "",
    };
    const response = await connection.request(
      ApiKey.Fetch,
      version,
      (w) => writeFetchRequest(w, version, request),
      (r) => readFetchResponse(r, version),
    );
    if ((response.errorCode ?? 0) !== ErrorCode.NONE) {
      // FETCH_SESSION_ID_NOT_FOUND (evicted, or the leader restarted), INVALID_FETCH_SESSION_EPOCH:
      // no partition was read; the next fetch is full, in a new session.
      this.#options.log(
        `fetch session ${session.id} with broker ${this.sourceId}: ${errorInfo(response.errorCode!).name}`,
      );
      if (response.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND) {
        this.#session = freshSession();
      } else this.#resetSession(); // closes the session it names and opens a new one
      return;
    }
    // The leader holds what this request told it; the next epoch follows (or, without a session
    // id in the answer, the next fetch is full again and asks once more).
    this.#session = (response.sessionId ?? 0) === 0
      ? freshSession()
      : { id: response.sessionId!, epoch: full ? 1 : nextEpoch(session.epoch), sent: session.sent };
    for (const topic of response.responses) {
      for (const answer of topic.partitions) {
        const key = partitionKey(topic.topic, answer.partitionIndex);
        const sent = session.sent.get(key);
        const target = this.#targets.get(key);
        // Only an answer for what this request asked of a target still followed the same way.
        if (sent === undefined || sent.round !== round || target !== sent.target) continue;
        const log = target.followed;
        // The log moved under us (a truncation by a newer leadership): drop this answer.
        if (log.logEndOffset !== sent.fetchOffset) continue;
        if (answer.errorCode !== ErrorCode.NONE) {
          this.#onFetchError(target, answer.errorCode, answer.logStartOffset ?? -1);
          continue;
        }
        const records = answer.records;
        if (records && records.length > 0) {
          // Judged on the state this fetch was sent in: bytes fetched while behind count.
          if (this.#throttledNow(target)) this.#options.throttle!.quota.record(records.length);
          try {
            log.appendAsFollower(records);
          } catch (error) {
            // Bad or non-continuing batches: find the divergence point again, later.
            this.#options.log(`${target.followed.key}: follower append failed: ${(error as Error).message}`);
            target.phase = "truncate";
            this.#backoff(target);
            continue;
          }
        }
        if (answer.highWatermark >= 0) {
          log.updateFollowerHighWatermark(answer.highWatermark);
          target.leaderHighWatermark = answer.highWatermark;
        }
      }
    }
  }

  #onFetchError(target: Target, errorCode: number, leaderLogStart: number): void {
    if (errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) return this.#onPartitionError(target, errorCode);
    const log = target.followed;
    if (leaderLogStart >= 0 && log.logEndOffset < leaderLogStart) {
      this.#options.log(
        `${target.followed.key}: behind the leader's log start ${leaderLogStart}; restarting there`,
      );
      log.truncateFullyAndStartAt(leaderLogStart);
    } else {
      target.phase = "truncate"; // ahead of the leader: find the divergence again
    }
    this.#backoff(target);
  }

  #onPartitionError(target: Target, errorCode: number): void {
    if (errorCode === ErrorCode.FENCED_LEADER_EPOCH) {
      this.#drop(target, errorCode); // our epoch is stale: newer leadership news is on its way
      return;
    }
    // NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION: the leader has
    // not heard of its leadership yet (or moved on, and so will we): retry after a backoff.
    this.#backoff(target);
  }
}

function groupByTopic<T extends { topic: string }, P>(
  items: Iterable<T>,
  partitionOf: (item: T) => P,
): { topic: string; partitions: P[] }[] {
  const byTopic = new Map<string, P[]>();
  for (const item of items) {
    const list = byTopic.get(item.topic) ?? [];
    list.push(partitionOf(item));
    byTopic.set(item.topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}
