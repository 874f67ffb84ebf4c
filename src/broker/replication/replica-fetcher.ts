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
 * Cost follows the change on this side too: a round looks only at the partitions needing
 * attention — added, removed, moved by an answer (records appended, an error, a truncation),
 * backing off, throttled or still being checked — not at every partition followed. A partition
 * the leader's session holds as it is here needs nothing until the leader answers it. (The log
 * start moved by local retention is therefore told the leader with the partition's next change;
 * the leader does not use it.)
 *
 * Errors: a connection failure closes the connection and retries with backoff; a fenced answer
 * (our epoch is stale) drops the partition until the next LeaderAndIsr (or reconcile) says
 * who leads; not-leader and unknown (newer) epoch answers — the leader has not heard of its
 * leadership yet — retry after a backoff.
 */
import type { ByteRateQuota } from "./replication-quota.ts";
import { Connection } from "../../client/connection.ts";
import { LinkedKeySet } from "../../linked-list.ts";
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
  /** The target it was last sent for: an answer counts only for that one. */
  target: Target;
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
  /**
   * Keys whose target may differ from what the leader's session holds, or may not fetch now
   * (see the file's doc): a round looks at these only. Not a Set: a key leaves with each fetch
   * and is back with its answer (../../linked-list.ts says why that churn avoids a Set).
   */
  readonly #attention = new LinkedKeySet<string>();
  #connection: Connection | null = null;
  #closed = false;
  #wakeUp: (() => void) | null = null;
  #failures = 0;
  #session: SessionState = freshSession();
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
    this.#attention.add(followed.key);
    this.#wake();
  }

  remove(key: string): void {
    if (this.#targets.delete(key)) this.#attention.add(key); // the next fetch forgets it
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
      const truncating = [];
      for (const key of this.#attention) {
        const target = this.#targets.get(key);
        if (target?.phase === "truncate" && this.#ready(target, now)) truncating.push(target);
      }
      if (truncating.length === 0 && !this.#hasFetchWork(now)) {
        await this.#sleep(this.#idleSleepMs(now));
        continue;
      }
      try {
        const connection = await this.#connect();
        if (truncating.length > 0) await this.#truncate(connection, truncating);
        await this.#fetch(connection);
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
   * May target take part in a round now? Not while its log is still being checked (start-up CRC
   * check: it could catch up and rejoin the ISR with damage further back), nor while it backs off.
   */
  #ready(target: Target, now: number): boolean {
    return target.followed.verified && target.notBeforeMs <= now;
  }

  /** A fetch is due: the leader's session holds partitions, or one needing attention may fetch. */
  #hasFetchWork(now: number): boolean {
    if (this.#session.sent.size > 0) return true;
    for (const key of this.#attention) {
      const target = this.#targets.get(key);
      if (target === undefined || (target.phase === "fetch" && this.#ready(target, now))) return true;
    }
    return false;
  }

  /** Nothing to do: until the first backoff ends, the next look at unchecked logs, or a wake. */
  #idleSleepMs(now: number): number {
    let next = now + 1_000;
    for (const key of this.#attention) {
      const target = this.#targets.get(key);
      if (target === undefined) continue;
      next = Math.min(next, target.followed.verified ? target.notBeforeMs : now + UNVERIFIED_POLL_MS);
    }
    return Math.max(1, next - now);
  }

  /**
   * Is target held back by the follower throttle now? Then it waits until the rate allows it,
   * or at most THROTTLE_RECHECK_MS before it asks again: the wait was computed at the rate of the
   * moment, and a throttle raised or lifted meanwhile (the end of a reassignment) must not leave
   * a copy parked for what a batch costs at 1 byte/s.
   */
  #heldByThrottle(target: Target, now: number): boolean {
    const throttle = this.#options.throttle;
    if (!throttle || !this.#throttledNow(target)) return false;
    const delayMs = throttle.quota.delayMs();
    if (delayMs === 0) return false;
    target.notBeforeMs = now + Math.min(delayMs, THROTTLE_RECHECK_MS);
    return true;
  }

  /** Whether the follower throttle applies to `target`: named by it and not caught up. */
  #throttledNow(target: Target): boolean {
    const caughtUp = target.leaderHighWatermark >= 0 &&
      target.followed.logEndOffset >= target.leaderHighWatermark;
    return !caughtUp && (this.#options.throttle?.throttled(target.followed.key) ?? false);
  }

  #backoff(target: Target): void {
    target.notBeforeMs = Date.now() + this.#options.backoffMs;
    this.#attention.add(target.followed.key);
  }

  #drop(target: Target, errorCode: number): void {
    if (this.#targets.get(target.followed.key) !== target) return;
    this.#targets.delete(target.followed.key);
    this.#attention.add(target.followed.key);
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
    const asked = new Set(asking);
    for (const topic of response.topics) {
      for (const answer of topic.partitions) {
        const target = this.#targets.get(`${topic.topic}:${answer.partition}`);
        if (!target || !asked.has(target)) continue;
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
    this.#attention.add(target.followed.key);
  }

  /**
   * Start over: the next fetch is full, naming every partition followed, and asks for a new
   * session — closing the one `closing` names on the leader (0: none to close).
   */
  #startOver(closing: number): void {
    this.#session = freshSession(closing);
    for (const key of this.#targets.keys()) this.#attention.add(key);
  }

  /** Start over after a failure, closing the current session on the leader. */
  #resetSession(): void {
    this.#startOver(this.#session.id);
  }

  async #fetch(connection: Connection): Promise<void> {
    const version = connection.versionFor(ApiKey.Fetch);
    if (version < 9) throw new Error(`Broker ${this.sourceId} does not support Fetch v9+ (leader epochs)`);
    const session = this.#session;
    const full = session.epoch === INITIAL_EPOCH; // its positions all need attention (#startOver)
    // An incremental fetch names what changed and forgets what may not fetch now; the leader's
    // session keeps the rest as it was. Positions are updated in place.
    const now = Date.now();
    const changed: SentPosition[] = [];
    const forgotten: SentPosition[] = [];
    for (const key of this.#attention) {
      const target = this.#targets.get(key);
      let sent = session.sent.get(key);
      const fetching = target !== undefined && target.phase === "fetch" && this.#ready(target, now) &&
        !this.#heldByThrottle(target, now);
      if (!fetching) {
        if (sent !== undefined) {
          forgotten.push(sent);
          session.sent.delete(key);
        }
        if (target === undefined) this.#attention.forget(key);
        continue; // a target still here waits in #attention until it may fetch
      }
      this.#attention.delete(key);
      const followed = target.followed;
      if (sent === undefined) {
        sent = {
          topic: followed.topic,
          partition: followed.partition,
          fetchOffset: followed.logEndOffset,
          leaderEpoch: target.leaderEpoch,
          logStartOffset: followed.logStartOffset,
          target,
        };
        session.sent.set(key, sent);
        changed.push(sent);
        continue;
      }
      sent.target = target;
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
    if (session.sent.size === 0 && forgotten.length === 0) return; // nothing may fetch now
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
        this.#startOver(0);
      } else this.#resetSession(); // closes the session it names and opens a new one
      return;
    }
    // The answers: any partition the leader's session holds (not only those named here), each
    // for the target it was sent for. One that moves (records, an error) needs attention again.
    // The leader holds what this request told it; the next epoch follows (or, without a session
    // id in the answer, the next fetch is full again and asks once more).
    if ((response.sessionId ?? 0) === 0) {
      this.#startOver(0);
    } else {
      this.#session = {
        id: response.sessionId!,
        epoch: full ? 1 : nextEpoch(session.epoch),
        sent: session.sent,
      };
    }
    for (const topic of response.responses) {
      for (const answer of topic.partitions) {
        const key = partitionKey(topic.topic, answer.partitionIndex);
        const sent = session.sent.get(key);
        const target = this.#targets.get(key);
        // Only an answer for a target still followed as the session holds it.
        if (sent === undefined || target !== sent.target) continue;
        const log = target.followed;
        // The log moved under us (a truncation by a newer leadership): drop this answer.
        if (log.logEndOffset !== sent.fetchOffset) {
          this.#attention.add(key);
          continue;
        }
        if (answer.errorCode !== ErrorCode.NONE) {
          this.#onFetchError(target, answer.errorCode, answer.logStartOffset ?? -1);
          continue;
        }
        const records = answer.records;
        if (records && records.length > 0) {
          this.#attention.add(key); // the next fetch names the new position
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
