/**
 * Partition: one partition replica hosted by this broker, and the only owner of its state — the
 * log on disk (a PartitionLog, used directly), who leads and in which leader epoch, the ISR (one
 * copy, as the coordinator has it, plus the change being written), what the leader knows of its
 * followers, and the high watermark. Every mechanism of replication is a method here:
 *
 *   applyLeadership   leadership news (LeaderAndIsr, a reconcile, or the state an ISR write met):
 *                     older leader epochs are refused, a newer one makes this replica leader
 *                     (makeLeader) or follower (makeFollower), the same one refreshes the ISR.
 *   appendAsLeader    a producer's batches: validated once (by the log), offsets assigned, then
 *                     the high watermark moves if this replica is alone in the ISR.
 *   recordFollowerFetch  a follower's fetch offset is its log end: the high watermark may move,
 *                     and a follower that caught up rejoins the ISR (maybeExpandIsr).
 *   maybeShrinkIsr    a periodic check: ISR members not caught up for replica.lag.time.max.ms leave.
 *   waitForCommit     acks=all: until the high watermark passes an offset.
 *   appendAsFollower, truncateTo, updateFollowerHighWatermark   the follower side, driven by the
 *                     replica fetcher.
 *
 * The producer state (idempotence, ProducerState) is part of the partition too: the leader
 * checks a producer's batches against it before appending (a retried batch is answered with the
 * offset it got the first time, not appended again), and every replica applies each batch its log
 * takes, so a new leader de-duplicates as the old one did. It is rebuilt at open from the newest
 * snapshot plus the log after it; snapshots are written when the log rolls and at close. After a
 * broker's clean shutdown the state at the log end comes back from the data directory's
 * clean-shutdown state instead (`keptProducers`), and nothing is replayed.
 *
 * Every state change is reported to one PartitionObserver (leadership, ISR, high watermark,
 * appends), so metrics and events hook in at one place. ISR changes are written to the
 * coordinator (PartitionStateStore) one at a time; until a write is confirmed the high watermark
 * respects the union of the ISR before and after it, so neither an expansion nor a shrink can
 * count a record as committed by fewer replicas than an election may pick from.
 *
 * Offsets are JS numbers (exact to 2^53: centuries at a million records a second).
 *
 * @example
 * ```ts
 * const partition = new Partition({ topic: "orders", partition: 0 }, log, deps);
 * partition.applyLeadership({ leader: 1, leaderEpoch: 3, isr: [1, 2], replicas: [1, 2] });
 * const appended = await partition.appendAsLeader(batches, { requiredAcks: -1 });
 * const errorCode = await partition.waitForCommit(appended.nextOffset, 30_000);
 * ```
 */
import { invariant } from "../../assert.ts";
import { ErrorCode, KafkaError } from "../../kafka/errors.ts";
import {
  Attributes,
  controlRecordType,
  decodeRecordBatch,
  LOG_OVERHEAD_BYTES,
  readBatchHeader,
} from "../../kafka/record-batch.ts";
import type { LogAppendInfo, PartitionLog } from "../../storage/partition-log.ts";
import type { ReadAllocator } from "../../storage/log-segment.ts";
import type { Purgatory } from "../purgatory.ts";
import {
  hwmWaitKey,
  logWaitKey,
  partitionKey,
  sameMembers,
  type TopicPartition,
} from "../topic-partition.ts";
import type { PartitionState } from "../zk-layout.ts";
import { FollowerProgress } from "./follower-progress.ts";
import type { PartitionStateStore } from "./isr-writer.ts";
import { type AbortedTransaction, type ProducerBatchHeader, ProducerState } from "./producer-state.ts";
import {
  deleteProducerSnapshotsAbove,
  loadProducerSnapshot,
  writeProducerSnapshot,
  writeProducerSnapshotInBackground,
} from "./producer-snapshots.ts";

/** What a leader is told: who leads, in which epoch, the ISR and the replica list. */
export interface LeadershipNews {
  leader: number;
  leaderEpoch: number;
  isr: readonly number[];
  replicas: readonly number[];
  /**
   * The version of the partition state node this news was read from (LeaderAndIsr's zk_version),
   * when known: a leader adopts a same-epoch ISR carrying a version newer than the one it knows
   * without reading the node again (as Kafka's brokers trust the controller's fenced state).
   */
  zkVersion?: number;
}

/** What applyLeadership did, so the replica manager can start or stop fetching. */
export type LeadershipOutcome =
  /** Older than what the partition knows: refused (FENCED_LEADER_EPOCH). */
  | "stale"
  /** Same leader epoch: at most the ISR was refreshed. */
  | "unchanged"
  /** The log is offline (a disk error, or damage): this replica takes no part until restarted. */
  | "offline"
  | "became-leader"
  | "became-follower";

/** Why the ISR changed. */
export type IsrChangeReason = "shrink" | "expand" | "controller" | "leadership";

/** Told of every state change of a partition (metrics, events, the group coordinator). */
export interface PartitionObserver {
  /** This broker became (true) or stopped being (false) the partition's leader. */
  leadershipChanged(partition: Partition, isLeader: boolean): void;
  /** The ISR this replica knows changed. */
  isrChanged(
    partition: Partition,
    before: readonly number[],
    after: readonly number[],
    reason: IsrChangeReason,
  ): void;
  /** The leader's high watermark moved forward. */
  highWatermarkAdvanced(partition: Partition, highWatermark: number): void;
  /** A producer's batches were appended (leader only). */
  appended(partition: Partition, info: LogAppendInfo): void;
}

/** An observer that ignores everything (tests, tools). */
export const IGNORE_PARTITION_EVENTS: PartitionObserver = {
  leadershipChanged: () => {},
  isrChanged: () => {},
  highWatermarkAdvanced: () => {},
  appended: () => {},
};

/** What a Partition needs from its broker. */
export interface PartitionDeps {
  brokerId: number;
  purgatory: Purgatory;
  stateStore: PartitionStateStore;
  observer: PartitionObserver;
  /** replica.lag.time.max.ms: an ISR member not caught up for this long leaves. */
  replicaLagTimeMaxMs: number;
  /** Leadership news an ISR write or re-read ran into (a newer state, or null: node gone). */
  onNewerState: (partition: Partition, state: PartitionState | null) => void;
  log: (message: string) => void;
  now?: () => number;
  /** producer.id.expiration.ms: a producer id idle this long is forgotten (default one day). */
  producerIdExpirationMs?: number;
  /** This replica became leader: its followers must (re)start fetching from it (follower-joins.ts). */
  onLeading?: (followers: number[]) => void;
  /**
   * Whether the cluster counts a broker live (registered, in the controller's last UpdateMetadata):
   * only such a follower may rejoin the ISR. Default: every broker.
   */
  isLiveBroker?: (brokerId: number) => boolean;
  /**
   * When the follower's fetch session last fetched while holding this partition settled (left
   * out of its requests as unchanged: still at its recorded log end), or undefined. The ISR check
   * asks before counting an idle follower as lagging. Default: never.
   */
  followerSeenAt?: (replicaId: number, topic: string, partition: number) => number | undefined;
}

/** Kafka's producer.id.expiration.ms default: one day. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000;

/** Bytes read at a time while replaying the log into the producer state. */
const REPLAY_READ_BYTES = 1024 * 1024;

/** Where an acks=all append stands, or an error code. */
export interface AppendResult {
  /** Offset of the first record appended. */
  baseOffset: number;
  /** Offset after the last record (the log end it made). */
  nextOffset: number;
  /** The LogAppendTime stamped on the batches, else -1. */
  logAppendTimeMs: number;
  /** The batch repeated one already in the log (a producer's retry): nothing was appended. */
  duplicate?: boolean;
}

/** The leader's bookkeeping, for one leader epoch. */
interface Leadership {
  readonly epoch: number;
  readonly followers: FollowerProgress;
  /** LEO when this leadership began: a rejoining follower must have everything before it. */
  readonly epochStartOffset: number;
  /** While an ISR write is in flight: the ISR it writes (merged with the current one). */
  pendingIsr: readonly number[] | null;
  /** Bumped by every ISR write, so a concurrent re-read older than it is not applied. */
  isrGeneration: number;
  /** A re-read of the partition state is in flight. */
  syncing: boolean;
  /**
   * Version of the state node whose ISR this leader holds, -1 when unknown (after a re-read, or
   * news that carried none): same-epoch news with a newer version is adopted as it is; with an
   * unknown one, the node is read again.
   */
  stateVersion: number;
  /** ISR writes that failed in a row (the coordinator unreachable or the session expired). */
  isrWriteFailures: number;
  /** No ISR write starts before this time (ms): failed writes are retried with a backoff. */
  isrRetryAtMs: number;
}

/** First and largest pause before retrying a failed ISR write (it doubles in between). */
const ISR_RETRY_BACKOFF_MS = { first: 250, max: 2_000 };

export class Partition implements TopicPartition {
  readonly topic: string;
  readonly partition: number;
  /** "topic:partition", the key of every map of partitions. */
  readonly key: string;
  /** Purgatory key woken when the log grows (followers' long polls wait on it). */
  readonly dataWaitKey: string;
  /** Purgatory key woken when the high watermark moves or leadership changes (consumers, acks=all). */
  readonly commitWaitKey: string;
  readonly log: PartitionLog;
  #replicas: readonly number[] = [];
  #leader = -1;
  #leaderEpoch = -1;
  #isr: readonly number[] = [];
  #leadership: Leadership | null = null;
  /** min.insync.replicas of the topic. */
  #minInsyncReplicas = 1;
  #closed = false;
  /** Bumped by every rebuild of the producer state (a truncation): older roll snapshots are dropped. */
  #producerRebuilds = 0;
  /** The roll snapshots being written in the background, chained (snapshotsSettled). */
  #snapshotWrites: Promise<void> = Promise.resolve();
  readonly #deps: PartitionDeps;
  readonly #now: () => number;
  /** The idempotent producers this replica knows (rebuilt at open, applied with every append). */
  #producers: ProducerState;
  /** The active segment's base offset when last seen: a change means the log rolled. */
  #activeBase: number;

  /**
   * `keptProducers`: the producer state closeForShutdown() gave at the last shutdown, encoded, to
   * be used when the log opened as it was closed (log.restoredFromShutdownState).
   */
  constructor(
    name: TopicPartition,
    log: PartitionLog,
    deps: PartitionDeps,
    keptProducers: Uint8Array | null = null,
  ) {
    this.topic = name.topic;
    this.partition = name.partition;
    this.key = partitionKey(name.topic, name.partition);
    this.dataWaitKey = logWaitKey(this.key);
    this.commitWaitKey = hwmWaitKey(this.key);
    this.log = log;
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    // A new partition's directory holds no snapshot and no batch: two directory reads saved on
    // each of the thousands a LeaderAndIsr may create.
    this.#producers = log.created
      ? new ProducerState()
      : this.#keptProducers(log.restoredFromShutdownState ? keptProducers : null) ?? this.#recoverProducers();
    this.#activeBase = log.activeSegmentBaseOffset;
    // The cleaner asks the current producer state (replaced on truncation) about transactions.
    log.transactions = {
      firstUnstableOffset: () => this.#producers.firstUnstableOffset,
      isAborted: (producerId, offset) => this.#producers.isAborted(producerId, offset),
    };
  }

  // --- what the partition knows ----------------------------------------------------------

  get replicas(): readonly number[] {
    return this.#replicas;
  }
  /** The leader's broker id, -1 while none is known. */
  get leader(): number {
    return this.#leader;
  }
  /** -1 until the first leadership news. */
  get leaderEpoch(): number {
    return this.#leaderEpoch;
  }
  /** The ISR as the coordinator has it (the leader's last confirmed write, or what it was told). */
  get isr(): readonly number[] {
    return this.#isr;
  }
  /** The ISR change being written, if any (leader only). */
  get pendingIsr(): readonly number[] | null {
    return this.#leadership?.pendingIsr ?? null;
  }
  get isLeader(): boolean {
    return this.#leadership !== null;
  }
  get highWatermark(): number {
    return this.log.highWatermark;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }
  get logStartOffset(): number {
    return this.log.logStartOffset;
  }
  /** Why the log went offline (a disk error or damage), or null while it serves. */
  get offline(): string | null {
    return this.log.offline;
  }
  /** Every byte loaded at open has passed its CRC check (a follower fetches only then). */
  get verified(): boolean {
    return this.log.verified;
  }
  /** The newest leader epoch in the log's epoch cache, -1 when it has none. */
  get latestEpoch(): number {
    return this.log.latestEpoch;
  }
  get minInsyncReplicas(): number {
    return this.#minInsyncReplicas;
  }
  set minInsyncReplicas(value: number) {
    this.#minInsyncReplicas = Number.isSafeInteger(value) && value >= 1 ? value : 1;
  }

  // --- leadership ------------------------------------------------------------------------

  /**
   * Leadership news. Older epochs are refused; the same epoch refreshes the ISR (a follower
   * takes it as told; the leader re-reads the node, since what it was told may predate its own
   * latest ISR write); a newer epoch makes this replica leader or follower. Synchronous, so two
   * sources of news never interleave.
   */
  applyLeadership(news: LeadershipNews): LeadershipOutcome {
    if (this.log.offline !== null) return "offline";
    if (this.#closed || news.leaderEpoch < this.#leaderEpoch) return "stale";
    this.#replicas = [...news.replicas];
    if (news.leaderEpoch === this.#leaderEpoch) {
      if (this.#leadership === null) this.#setIsr(news.isr, "controller");
      else this.#sameEpochNews(this.#leadership, news);
      return "unchanged";
    }
    if (news.leader === this.#deps.brokerId) {
      this.#makeLeader(news);
      return "became-leader";
    }
    this.#makeFollower(news.leader, news.leaderEpoch, news.isr);
    return "became-follower";
  }

  #makeLeader(news: LeadershipNews): void {
    invariant(news.leaderEpoch > this.#leaderEpoch, () => `${this.key}: leader epoch must grow`);
    const wasLeader = this.isLeader;
    this.#leader = this.#deps.brokerId;
    this.#leaderEpoch = news.leaderEpoch;
    this.log.assignEpochStartOffset(news.leaderEpoch, this.log.logEndOffset);
    this.#leadership = {
      epoch: news.leaderEpoch,
      followers: new FollowerProgress(this.#deps.brokerId, this.#replicas, this.#now()),
      epochStartOffset: this.log.logEndOffset,
      pendingIsr: null,
      isrGeneration: 0,
      syncing: false,
      stateVersion: news.zkVersion ?? -1,
      isrWriteFailures: 0,
      isrRetryAtMs: 0,
    };
    this.#setIsr(news.isr, "leadership");
    this.#deps.log(
      `${this.key}: leader in epoch ${news.leaderEpoch} at offset ${this.log.logEndOffset}, ISR [${news.isr}]`,
    );
    // Alone in the ISR, everything held is committed (also after a restart, whose checkpointed
    // high watermark may lag the recovered log end).
    this.#maybeAdvanceHighWatermark();
    this.#wakeAll();
    this.#deps.onLeading?.(this.#replicas.filter((id) => id !== this.#deps.brokerId));
    if (!wasLeader) this.#deps.observer.leadershipChanged(this, true);
  }

  #makeFollower(leader: number, leaderEpoch: number, isr: readonly number[]): void {
    invariant(leaderEpoch > this.#leaderEpoch, () => `${this.key}: leader epoch must grow`);
    const wasLeader = this.isLeader;
    this.#leadership = null;
    this.#leader = leader;
    this.#leaderEpoch = leaderEpoch;
    this.#setIsr(isr, "leadership");
    if (leader >= 0) this.#deps.log(`${this.key}: following broker ${leader} in epoch ${leaderEpoch}`);
    this.#wakeAll(); // parked produces and fetches see that this replica no longer leads
    if (wasLeader) this.#deps.observer.leadershipChanged(this, false);
  }

  /**
   * Stop leading and following (StopReplica, the partition leaving this broker, shutdown): parked
   * requests wake and find no leader here. The leader epoch is kept, so older news stays refused.
   */
  stop(): void {
    const wasLeader = this.isLeader;
    this.#leadership = null;
    this.#leader = -1;
    this.#wakeAll();
    if (wasLeader) this.#deps.observer.leadershipChanged(this, false);
  }

  /**
   * stop(), and refuse everything from now on (the log is about to close). The producer state is
   * written at the log end, so a clean restart replays nothing.
   */
  close(): void {
    const state = this.closeForShutdown();
    if (state !== null) this.#snapshotProducers(this.log.logEndOffset, state);
  }

  /**
   * close() for a broker's shutdown, without the snapshot file: the producer state at the log end,
   * encoded, for PartitionLog.closeAll to keep in the data directory's clean-shutdown state (one
   * file for all partitions); the next start passes it back to the constructor. Null when there
   * is nothing to keep: an empty log (end 0) has no producer and nothing to replay.
   */
  closeForShutdown(): Uint8Array | null {
    this.stop();
    const empty = this.log.logEndOffset === 0 && this.#producers.size === 0;
    const keep = !this.#closed && this.log.offline === null && !empty;
    this.#closed = true;
    return keep ? this.#producers.encode() : null;
  }

  /**
   * close() for a partition whose log is about to be deleted: nothing is kept for a next open
   * (neither the snapshot file, fsynced, nor the encoded state of closeForShutdown).
   */
  closeForDeletion(): void {
    this.stop();
    this.#closed = true;
  }

  // --- leader: appends, commits ----------------------------------------------------------

  /**
   * Append a producer's batches as leader: KafkaError NOT_LEADER_OR_FOLLOWER when this replica
   * does not lead, NOT_ENOUGH_REPLICAS for acks=all with an ISR below min.insync.replicas;
   * StorageError from the log's validation (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, …). Resolves once
   * written (and fsynced under fsync=always).
   */
  async appendAsLeader(
    batches: Uint8Array,
    options: {
      requiredAcks: number;
      zstdAllowed?: boolean;
      /**
       * "coordinator" for transaction markers (WriteTxnMarkers) and a group coordinator's
       * transactional offset commits: no sequence checks; a client may not write control batches.
       */
      origin?: "client" | "coordinator";
    },
  ): Promise<AppendResult> {
    const leadership = this.#leadership;
    if (leadership === null) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, this.key);
    if (options.requiredAcks === -1 && this.#isr.length < this.#minInsyncReplicas) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `${this.key}: ISR [${this.#isr}] is smaller than min.insync.replicas ${this.#minInsyncReplicas}`,
      );
    }
    const headers = producerHeaders(batches);
    if (options.origin !== "coordinator" && headers.some((h) => (h.attributes & Attributes.control) !== 0)) {
      throw new KafkaError(
        ErrorCode.INVALID_RECORD,
        `${this.key}: control batches are written by the coordinator only`,
      );
    }
    const verdict = headers.length > 0
      ? this.#producers.check(headers, options.origin === "coordinator")
      : null;
    if (verdict?.kind === "error") throw new KafkaError(verdict.errorCode, `${this.key}: ${verdict.message}`);
    if (verdict?.kind === "duplicate") {
      // Kafka's answer to a retry: the offset the batch got the first time (the caller still
      // waits for it to be committed before acknowledging, as for the first attempt).
      return {
        baseOffset: verdict.firstOffset,
        nextOffset: verdict.lastOffset + 1,
        logAppendTimeMs: -1,
        duplicate: true,
      };
    }
    const endBefore = this.log.logEndOffset;
    const info = this.log.appendAsLeader(batches, leadership.epoch, { zstdAllowed: options.zstdAllowed });
    this.#applyProducers(batches, info.firstOffset, headers.length > 0);
    invariant(
      info.firstOffset === endBefore && info.lastOffset - info.firstOffset + 1 === info.recordCount,
      () =>
        `${this.key}: appended offsets ${info.firstOffset}..${info.lastOffset} are not ` +
        `${info.recordCount} contiguous offsets from the log end ${endBefore}`,
    );
    // fsync=always: acknowledged (and counted towards the HWM) only once on disk; concurrent
    // appends share one fsync.
    if (this.log.config.fsyncAlways) await this.log.flush();
    this.#deps.purgatory.wake(this.dataWaitKey); // followers' long polls
    this.#deps.observer.appended(this, info);
    this.#maybeAdvanceHighWatermark();
    return {
      baseOffset: info.firstOffset,
      nextOffset: info.lastOffset + 1,
      logAppendTimeMs: info.logAppendTimeMs,
    };
  }

  /**
   * Resolve once the high watermark reaches nextOffset: 0, or NOT_ENOUGH_REPLICAS_AFTER_APPEND
   * when the ISR meanwhile shrank below min.insync.replicas (stored, not acknowledged); when
   * this broker stops leading in the epoch it appended in, NOT_LEADER_OR_FOLLOWER (the new
   * leader may truncate the batch); REQUEST_TIMED_OUT when timeoutMs passes.
   */
  async waitForCommit(nextOffset: number, timeoutMs: number): Promise<number> {
    const deadline = this.#now() + timeoutMs;
    const leadership = this.#leadership;
    for (;;) {
      if (leadership === null || this.#leadership !== leadership) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
      if (this.log.highWatermark >= nextOffset) {
        return this.#isr.length < this.#minInsyncReplicas ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : 0;
      }
      const remainingMs = deadline - this.#now();
      if (remainingMs <= 0) return ErrorCode.REQUEST_TIMED_OUT;
      const outcome = await this.#deps.purgatory.wait([this.commitWaitKey], remainingMs);
      if (outcome === "closed") return ErrorCode.REQUEST_TIMED_OUT;
      // A full purgatory degrades the wait to polling (bounded memory beats a prompt answer).
      if (outcome === "full") await new Promise((resolve) => setTimeout(resolve, Math.min(remainingMs, 10)));
    }
  }

  /**
   * Whole stored batches from fetchOffset, at most maxBytes (but at least one batch) and none
   * reaching maxOffset (the high watermark for consumers, the log end for followers), in a buffer
   * from `allocate` when given.
   */
  read(fetchOffset: number, maxBytes: number, maxOffset: number, allocate?: ReadAllocator): Uint8Array {
    return this.log.read(fetchOffset, maxBytes, maxOffset, allocate).records;
  }

  /**
   * A follower fetched at fetchOffset (its log end) in this leader's epoch: record it, let it
   * rejoin the ISR when it caught up, advance the high watermark.
   */
  recordFollowerFetch(replicaId: number, fetchOffset: number): void {
    const leadership = this.#leadership;
    if (leadership === null || replicaId === this.#deps.brokerId || !this.#replicas.includes(replicaId)) {
      return;
    }
    invariant(
      fetchOffset <= this.log.logEndOffset,
      () =>
        `${this.key}: follower ${replicaId} fetched at ${fetchOffset}, past the log end ${this.log.logEndOffset}`,
    );
    const now = this.#now();
    // The high watermark follows the followers' log ends: when this one's did not move (an idle
    // follower's every fetch), it cannot advance from this fetch (the ISR changes and appends
    // that could move it recompute it themselves).
    const moved = leadership.followers.follower(replicaId, now).logEndOffset !== fetchOffset;
    leadership.followers.recordFetch(replicaId, fetchOffset, this.log.logEndOffset, now);
    this.maybeExpandIsr(replicaId);
    if (moved) this.#maybeAdvanceHighWatermark();
  }

  /**
   * When replicaId's fetch session last showed it still at its recorded log end here (an
   * unchanged partition its requests leave out), or undefined (PartitionDeps.followerSeenAt).
   */
  followerSeenAt(replicaId: number): number | undefined {
    return this.#deps.followerSeenAt?.(replicaId, this.topic, this.partition);
  }

  /** The follower's log end as this leader last recorded it; -1 when unknown (or not leading). */
  followerLogEnd(replicaId: number): number {
    return this.#leadership?.followers.logEndOf(replicaId) ?? -1;
  }

  /**
   * The follower's fetch session says replicaId was still fetching this partition at its recorded
   * log end at atMs (an unchanged partition its requests leave out), as of a change just made
   * here: it counts as a fetch then (FollowerProgress.stillAt).
   */
  followerStillAt(replicaId: number, atMs: number): void {
    this.#leadership?.followers.stillAt(replicaId, atMs);
  }

  /**
   * A follower outside the ISR rejoins once it holds every committed record and everything since
   * this epoch began (so it cannot lack a record the previous leader committed), and only while
   * the cluster counts it live (as Kafka's leaders since KIP-841). A follower whose coordinator
   * session expired can still be fetching here (cut from the coordinator only); the controller
   * drops a dead broker from every ISR, and a leader that wrote it back at its next fetch would
   * start a shrink-expand loop of coordinator writes, tens per second, for as long as the cut
   * lasts. It rejoins at its first fetch after it registered again and the controller said so
   * (only a fetch: the progress this leader holds for a broker that was away may be stale, e.g. a
   * log it truncated on restart).
   */
  maybeExpandIsr(replicaId: number): void {
    const leadership = this.#leadership;
    if (leadership === null || this.#isr.includes(replicaId)) return;
    if (this.#deps.isLiveBroker && !this.#deps.isLiveBroker(replicaId)) return;
    if (!leadership.followers.mayRejoin(replicaId, this.log.highWatermark, leadership.epochStartOffset)) {
      return;
    }
    this.#changeIsr(leadership, (isr) => [...isr, replicaId], "expand");
  }

  /** ISR members not caught up for replica.lag.time.max.ms leave the ISR (leader only). */
  maybeShrinkIsr(): void {
    const leadership = this.#leadership;
    if (leadership === null) return;
    const lagging = leadership.followers.laggingMembers(
      this.#isr,
      this.#now(),
      this.#deps.replicaLagTimeMaxMs,
      this,
    );
    if (lagging.length > 0) {
      this.#changeIsr(leadership, (isr) => isr.filter((id) => !lagging.includes(id)), "shrink");
    }
  }

  /** The ISR the high watermark must respect: while a change is being written, the union. */
  #effectiveIsr(leadership: Leadership): readonly number[] {
    if (leadership.pendingIsr === null) return this.#isr;
    return [...new Set([...this.#isr, ...leadership.pendingIsr])];
  }

  #maybeAdvanceHighWatermark(): void {
    const leadership = this.#leadership;
    if (leadership === null) return;
    const logEnd = this.log.logEndOffset;
    const candidate = leadership.followers.highWatermark(this.#effectiveIsr(leadership), logEnd);
    const current = this.log.highWatermark;
    if (candidate <= current) return; // never backwards
    invariant(
      candidate <= logEnd,
      () => `${this.key}: high watermark ${candidate} above the log end ${logEnd}`,
    );
    const kept = this.log.setHighWatermark(candidate);
    invariant(kept === candidate, () => `${this.key}: high watermark ${candidate} was clamped to ${kept}`);
    this.#deps.observer.highWatermarkAdvanced(this, kept);
    this.#deps.purgatory.wake(this.commitWaitKey);
  }

  /** Write change(ISR in the node) to the partition state; one write at a time per partition. */
  #changeIsr(
    leadership: Leadership,
    change: (isr: readonly number[]) => number[],
    reason: "shrink" | "expand",
  ): void {
    // The next fetch or tick retries a change that could not start now (or, after failures, once
    // the backoff passed: every follower fetch would otherwise try and log again).
    if (leadership.pendingIsr !== null || this.#closed || this.#now() < leadership.isrRetryAtMs) return;
    leadership.pendingIsr = change(this.#isr);
    leadership.isrGeneration++;
    this.#deps.stateStore.writeIsr(this, this.#deps.brokerId, leadership.epoch, change)
      .then((outcome) => {
        if (leadership.isrWriteFailures > 0) {
          this.#deps.log(
            `${this.key}: ISR write went through after ${leadership.isrWriteFailures} failed attempts`,
          );
        }
        leadership.isrWriteFailures = 0;
        leadership.isrRetryAtMs = 0;
        if (this.#leadership !== leadership) return;
        if (outcome.kind === "written") {
          leadership.stateVersion = outcome.version ?? -1;
          return this.#setIsr(outcome.isr, reason);
        }
        this.#deps.log(`${this.key}: ISR change refused, leadership moved on; following the new state`);
        this.#deps.onNewerState(this, outcome.state);
      })
      .catch((error) => {
        // Not fatal: the ISR stays as it was (safe: the HWM respects it) and the next fetch or
        // tick after the backoff tries again. Logged at the first failure and every tenth.
        const failures = ++leadership.isrWriteFailures;
        const backoffMs = Math.min(
          ISR_RETRY_BACKOFF_MS.first * 2 ** (failures - 1),
          ISR_RETRY_BACKOFF_MS.max,
        );
        leadership.isrRetryAtMs = this.#now() + backoffMs;
        if (failures === 1 || failures % 10 === 0) {
          this.#deps.log(
            `${this.key}: ISR write failed (${failures} in a row), retrying every ${backoffMs} ms at most: ` +
              (error as Error).message,
          );
        }
      })
      .finally(() => {
        leadership.pendingIsr = null;
        if (this.#leadership === leadership) this.#maybeAdvanceHighWatermark();
      });
  }

  /**
   * The leader heard its own epoch's state again (the controller changed the ISR: a dead or
   * stopping follower dropped). News from a newer version of the node than the one this leader
   * knows, with no ISR write or re-read of its own in flight, holds exactly the node's ISR: adopt
   * it, no read. News from an older version (the leader wrote since) changes nothing. Anything
   * less certain (no version known on either side, a write or a read in flight) re-reads the node.
   */
  #sameEpochNews(leadership: Leadership, news: LeadershipNews): void {
    const version = news.zkVersion;
    const settled = leadership.pendingIsr === null && !leadership.syncing;
    if (version !== undefined && version >= 0 && leadership.stateVersion >= 0 && settled) {
      if (version <= leadership.stateVersion) return;
      leadership.stateVersion = version;
      if (sameMembers(news.isr, this.#isr)) return;
      this.#setIsr(news.isr, "controller");
      this.#maybeAdvanceHighWatermark();
      return;
    }
    if (!sameMembers(news.isr, this.#isr)) this.#syncIsr(leadership);
  }

  /**
   * The leader heard of a different ISR in its own epoch (the controller dropped a dead
   * follower): re-read the node and adopt exactly what it holds, unless an ISR write of ours
   * started meanwhile (its outcome is newer). A member dropped there that is in fact live
   * rejoins through maybeExpandIsr at its next fetch, which writes it back: keeping it here
   * instead (the leader's ISR a superset of the node's) would leave it out of the node for good,
   * since the leader would see nothing to expand.
   */
  #syncIsr(leadership: Leadership): void {
    if (leadership.pendingIsr !== null || leadership.syncing || this.#closed) return;
    leadership.syncing = true;
    const generation = leadership.isrGeneration;
    this.#deps.stateStore.read(this)
      .then((state) => {
        if (this.#leadership !== leadership) return;
        if (leadership.pendingIsr !== null || leadership.isrGeneration !== generation) return;
        if (state && state.leader === this.#deps.brokerId && state.leaderEpoch === leadership.epoch) {
          // The read's version is not known here: later news is checked against the node again.
          leadership.stateVersion = -1;
          this.#setIsr(state.isr, "controller");
          this.#maybeAdvanceHighWatermark();
        } else {
          this.#deps.onNewerState(this, state);
        }
      })
      .catch((error) =>
        // The next news about this partition (or the periodic reconcile) re-reads it.
        this.#deps.log(`${this.key}: reading the partition state failed: ${(error as Error).message}`)
      )
      .finally(() => leadership.syncing = false);
  }

  #setIsr(isr: readonly number[], reason: IsrChangeReason): void {
    const before = this.#isr;
    if (sameMembers(before, isr)) return;
    this.#isr = [...isr];
    // A fetch session holding this partition settled must look again: a follower outside the ISR
    // is read at every fetch (it may rejoin), one back in it need not be.
    this.#wakeAll();
    if (reason !== "leadership") {
      this.#deps.log(`${this.key}: ISR [${before}] -> [${isr}] (${reason}, epoch ${this.#leaderEpoch})`);
    }
    this.#deps.observer.isrChanged(this, before, this.#isr, reason);
  }

  /** Wake every waiter on the partition: long polls of both kinds and acks=all produces. */
  #wakeAll(): void {
    this.#deps.purgatory.wake(this.dataWaitKey);
    this.#deps.purgatory.wake(this.commitWaitKey);
  }

  // --- follower --------------------------------------------------------------------------

  /** Append a leader's batches unchanged (offsets and epochs kept); returns the new log end. */
  appendAsFollower(batches: Uint8Array): number {
    const endBefore = this.log.logEndOffset;
    const info = this.log.appendAsFollower(batches);
    this.#applyProducers(batches, info.firstOffset, true);
    invariant(
      info.firstOffset >= endBefore,
      () => `${this.key}: follower append at ${info.firstOffset} below the log end ${endBefore}`,
    );
    return this.log.logEndOffset;
  }

  /** A follower learns the leader's high watermark: min(it, own log end). */
  updateFollowerHighWatermark(leaderHighWatermark: number): void {
    if (this.isLeader) return;
    this.log.setHighWatermark(Math.min(leaderHighWatermark, this.log.logEndOffset));
  }

  /** Where `epoch` ended in this log (OffsetForLeaderEpoch's answer). */
  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number } {
    return this.log.endOffsetForEpoch(epoch);
  }

  /** Remove everything at and after `offset` (follower only); true when something was removed. */
  truncateTo(offset: number): boolean {
    invariant(!this.isLeader, () => `${this.key}: a leader never truncates its own log`);
    const removed = this.log.truncateTo(offset);
    if (removed) this.#producers = this.#recoverProducers();
    return removed;
  }

  /** Remove the damage the start-up check found, and everything after it (never a leader). */
  truncateAtDamage(): void {
    invariant(!this.isLeader, () => `${this.key}: a leader never truncates its own log`);
    this.log.truncateAtDamage();
    this.#producers = this.#recoverProducers();
  }

  /** Empty the log and restart it at `offset` (a follower below the leader's log start). */
  truncateFullyAndStartAt(offset: number): void {
    invariant(!this.isLeader, () => `${this.key}: a leader never truncates its own log`);
    this.log.truncateFullyAndStartAt(offset);
    this.#producers = this.#recoverProducers();
  }

  // --- producer state (idempotence) -------------------------------------------------------

  /** The idempotent producers this replica knows (tests, tools): read only. */
  get producerState(): ProducerState {
    return this.#producers;
  }

  /** Forget producers idle for producer.id.expiration.ms (the replica manager's maintenance). */
  /**
   * The last stable offset: below it every transaction has ended (read_committed consumers read
   * up to here); the high watermark when no transaction is open.
   */
  get lastStableOffset(): number {
    return Math.min(this.log.highWatermark, this.#producers.firstUnstableOffset);
  }

  /** Aborted transactions whose records may lie in [fromOffset, toOffset) (read_committed fetches). */
  abortedTransactions(fromOffset: number, toOffset: number): AbortedTransaction[] {
    return this.#producers.abortedTransactions(fromOffset, toOffset);
  }

  expireProducers(nowMs: number = this.#now()): number {
    this.#producers.trimAborted(this.log.logStartOffset);
    return this.#producers.expire(
      nowMs,
      this.#deps.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS,
    );
  }

  /**
   * Apply the batches just appended (their offsets as stored). When this append rolled the log,
   * the state as it was before it (everything below the new segment) is written first.
   * `hasProducers` false: none of the batches carries a producer id (nothing to apply).
   */
  #applyProducers(batches: Uint8Array, firstOffset: number, hasProducers: boolean): void {
    const activeBase = this.log.activeSegmentBaseOffset;
    if (activeBase !== this.#activeBase) {
      this.#activeBase = activeBase;
      if (activeBase === firstOffset) this.#snapshotProducersInBackground(activeBase);
    }
    if (!hasProducers) return;
    const nowMs = this.#now();
    for (let position = 0; position + LOG_OVERHEAD_BYTES < batches.length;) {
      const header = readBatchHeader(batches, position);
      this.#producers.apply(header, nowMs, controlTypeAt(batches, position, header.attributes));
      position += LOG_OVERHEAD_BYTES + header.batchLength;
    }
  }

  /** The roll's snapshot (producer-snapshots.ts): the state now, written off the event loop. */
  #snapshotProducersInBackground(offset: number): void {
    const rebuilds = this.#producerRebuilds;
    const written = writeProducerSnapshotInBackground(
      this.log.dir,
      offset,
      this.#producers.encode(),
      () => !this.#closed && this.#producerRebuilds === rebuilds,
    ).then(
      () => {},
      (error) => {
        // Not fatal: a missing snapshot only means a longer replay of the log at the next open.
        if (this.#closed) return; // the partition was deleted or closed meanwhile
        this.#deps.log(
          `${this.key}: writing the producer snapshot at ${offset} failed: ${(error as Error).message}`,
        );
      },
    );
    this.#snapshotWrites = this.#snapshotWrites.then(() => written);
  }

  /** Resolves once the roll snapshots started so far have been written or dropped. */
  snapshotsSettled(): Promise<void> {
    return this.#snapshotWrites;
  }

  #snapshotProducers(offset: number, encoded: Uint8Array): void {
    try {
      writeProducerSnapshot(this.log.dir, offset, encoded);
    } catch (error) {
      // Not fatal: a missing snapshot only means a longer replay of the log at the next open.
      this.#deps.log(
        `${this.key}: writing the producer snapshot at ${offset} failed: ${(error as Error).message}`,
      );
    }
  }

  /** The producer state kept at shutdown, or null to rebuild it (none kept, or it fails its CRC). */
  #keptProducers(kept: Uint8Array | null): ProducerState | null {
    if (kept === null) return null;
    try {
      return ProducerState.decode(kept);
    } catch (error) {
      this.#deps.log(
        `${this.key}: the producer state kept at shutdown is unusable, rebuilding it: ${
          (error as Error).message
        }`,
      );
      return null;
    }
  }

  /**
   * The producer state of the log as it stands: the newest snapshot at or below the log end, then
   * every batch after it. Without a snapshot (a log from before them) the last two segments are
   * replayed, as Kafka does on upgrade: enough for every producer active recently, and bounded.
   */
  #recoverProducers(): ProducerState {
    this.#producerRebuilds++; // a roll snapshot still being written is of the state before
    const log = this.log;
    try {
      const end = log.logEndOffset;
      deleteProducerSnapshotsAbove(log.dir, end);
      const loaded = loadProducerSnapshot(log.dir, end, this.#deps.log);
      const state = loaded?.state ?? new ProducerState();
      const nowMs = this.#now();
      const bases = log.segmentBaseOffsets;
      let offset = Math.max(log.logStartOffset, loaded?.offset ?? bases[Math.max(0, bases.length - 2)] ?? 0);
      while (offset < end) {
        const { records } = log.read(offset, REPLAY_READ_BYTES, end);
        if (records.length === 0) break; // nothing readable below the end (cannot happen in a sound log)
        for (let position = 0; position + LOG_OVERHEAD_BYTES < records.length;) {
          const header = readBatchHeader(records, position);
          const next = header.baseOffset + header.lastOffsetDelta + 1;
          if (header.baseOffset >= offset) {
            state.apply(header, nowMs, controlTypeAt(records, position, header.attributes));
          }
          if (next > offset) offset = next;
          position += LOG_OVERHEAD_BYTES + header.batchLength;
        }
      }
      return state;
    } catch (error) {
      // The log is unreadable (it goes offline by itself): an empty state refuses nothing wrongly
      // that a readable log would accept, and the replica serves nothing while offline anyway.
      this.#deps.log(`${this.key}: rebuilding the producer state failed: ${(error as Error).message}`);
      return new ProducerState();
    }
  }
}

/** The headers of a produce request's batches that carry a producer id (empty for plain producers). */
function producerHeaders(batches: Uint8Array): ProducerBatchHeader[] {
  const headers: ProducerBatchHeader[] = [];
  for (let position = 0; position + LOG_OVERHEAD_BYTES < batches.length;) {
    let header;
    try {
      header = readBatchHeader(batches, position);
    } catch {
      return headers; // a truncated batch: the log's validation refuses it with CORRUPT_MESSAGE
    }
    if (header.producerId >= 0n) headers.push(header);
    if (header.batchLength <= 0) break; // corrupt: the log refuses it
    position += LOG_OVERHEAD_BYTES + header.batchLength;
  }
  return headers;
}

/** The marker type of a control batch (ControlType), -1 for any other batch or an unreadable one. */
function controlTypeAt(bytes: Uint8Array, position: number, attributes: number): number {
  if ((attributes & Attributes.control) === 0) return -1;
  try {
    return controlRecordType(decodeRecordBatch(bytes, position).records[0]?.key ?? null);
  } catch {
    return -1; // an undecodable marker: the transaction ends as neither commit nor abort is known
  }
}
