/**
 * GroupConsumer: a Consumer that is a member of a consumer group (Kafka's classic protocol).
 * It subscribes to topics (names or a RegExp), finds the group's coordinator, joins (answering
 * MEMBER_ID_REQUIRED), computes the assignment when elected leader (range, roundrobin or sticky),
 * syncs, and then reads its partitions from their committed offsets (or `autoOffsetReset` when
 * none). A background loop heartbeats every `heartbeatIntervalMs`, independent of how long the
 * caller takes per batch; REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID make it
 * rejoin, NOT_COORDINATOR makes it look the coordinator up again.
 *
 * Delivery is at-least-once: a record counts as processed once the caller asks for the next
 * batch (or calls commit()/close()), and only processed offsets are committed — automatically
 * every `autoCommitIntervalMs`, before each rejoin and on close. A crash re-delivers at most what
 * was processed since the last commit. For at-most-once, set `autoCommit: false` and call
 * `commit()` right after poll(), before processing.
 *
 * @example
 * ```ts
 * const consumer = new GroupConsumer({ bootstrap: "127.0.0.1:9092", groupId: "billing", topics: ["orders"] });
 * consumer.addEventListener("assigned", (e) => console.log((e as AssignmentEvent).partitions));
 * for await (const record of consumer) handle(record);
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { readJoinGroupResponse, writeJoinGroupRequest } from "../kafka/apis/join-group.ts";
import { readSyncGroupResponse, writeSyncGroupRequest } from "../kafka/apis/sync-group.ts";
import { readHeartbeatResponse, writeHeartbeatRequest } from "../kafka/apis/heartbeat.ts";
import { readLeaveGroupResponse, writeLeaveGroupRequest } from "../kafka/apis/leave-group.ts";
import { readOffsetCommitResponse, writeOffsetCommitRequest } from "../kafka/apis/offset-commit.ts";
import { readOffsetFetchResponse, writeOffsetFetchRequest } from "../kafka/apis/offset-fetch.ts";
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeSubscription,
  type TopicPartitions,
} from "../kafka/consumer-protocol.ts";
import { type Assignor, assignorByName, encodeGroupAssignment } from "./assignors/mod.ts";
import { Consumer, type ConsumerOptions, type ConsumerRecord } from "./consumer.ts";
import { isRetriable } from "./errors.ts";
import { COORDINATOR_MOVED, GroupCoordinatorLink } from "./group-coordinator-link.ts";
import { partitionKey } from "./partition-key.ts";

/**
 * How long a read_committed member waits for open transactions holding its partitions' offsets
 * (the transaction timeout ends them; Kafka's default is one minute).
 */
const UNSTABLE_OFFSETS_WAIT_MS = 120_000;

export interface GroupConsumerOptions extends ConsumerOptions {
  groupId: string;
  /** Topic names, or a pattern matched against every non-internal topic. */
  topics: string[] | RegExp;
  /** Assignor names in order of preference: "range" (default), "roundrobin", "sticky". */
  assignors?: string[];
  /** group session timeout (10000; the broker accepts 6000..1800000). */
  sessionTimeoutMs?: number;
  /** How long the coordinator waits for members to rejoin (60000). */
  rebalanceTimeoutMs?: number;
  /** Heartbeat period (3000; keep it well under the session timeout). */
  heartbeatIntervalMs?: number;
  /** Commit processed offsets periodically (true). */
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  /** How often a pattern subscription looks for new matching topics (30000). */
  patternRefreshMs?: number;
  /** Called after partitions were taken away (their processed offsets are committed first). */
  onRevoke?: (partitions: TopicPartition[]) => void | Promise<void>;
  /** Called after a rebalance gave this member its partitions. */
  onAssign?: (partitions: TopicPartition[]) => void | Promise<void>;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Dispatched as "assigned" and "revoked". */
export class AssignmentEvent extends Event {
  constructor(
    type: "assigned" | "revoked",
    readonly partitions: TopicPartition[],
    readonly generationId: number,
  ) {
    super(type);
  }
}

const REJOIN_CODES = new Set<number>([
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
]);

/** A group member that consumes its assigned partitions. */
export class GroupConsumer extends EventTarget {
  readonly consumer: Consumer;
  readonly groupId: string;
  readonly #options: GroupConsumerOptions;
  readonly #link: GroupCoordinatorLink;
  readonly #assignors: Assignor[];
  readonly #sessionTimeoutMs: number;
  readonly #rebalanceTimeoutMs: number;
  readonly #heartbeatIntervalMs: number;
  readonly #autoCommit: boolean;
  readonly #autoCommitIntervalMs: number;
  memberId = "";
  generationId = -1;
  #leader = false;
  #subscribed: string[] = [];
  #assigned: TopicPartition[] = [];
  /** Offsets after the records handed to the caller. */
  readonly #delivered = new Map<string, { topic: string; partition: number; offset: number }>();
  /** Offsets after the records the caller finished (handed out before the latest poll). */
  readonly #processed = new Map<string, { topic: string; partition: number; offset: number }>();
  /** Offsets last committed, to skip commits with nothing new. */
  readonly #committed = new Map<string, number>();
  /** Records taken from the consumer but not yet handed out (poll's maxRecords). */
  #backlog: ConsumerRecord[] = [];
  #joining: Promise<void> | undefined;
  #needsRejoin = true;
  #closed = false;
  #background: Promise<void> | undefined;
  #wakeBackground: (() => void) | undefined;
  #fatal: Error | undefined;

  constructor(options: GroupConsumerOptions) {
    super();
    if (options.groupId === "") throw new TypeError("Group id must not be empty");
    this.#options = options;
    this.groupId = options.groupId;
    this.consumer = new Consumer({ ...options, autoOffsetReset: options.autoOffsetReset ?? "latest" });
    this.#link = new GroupCoordinatorLink(this.consumer.cluster, options.groupId, {
      retryBackoffMs: options.retryBackoffMs,
    });
    this.#assignors = (options.assignors ?? ["range"]).map(assignorByName);
    if (this.#assignors.length === 0) throw new TypeError("Give at least one assignor");
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.#rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? 60_000;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000;
    this.#autoCommit = options.autoCommit ?? true;
    this.#autoCommitIntervalMs = options.autoCommitIntervalMs ?? 5_000;
  }

  /** The partitions of the current generation. */
  assignment(): TopicPartition[] {
    return [...this.#assigned];
  }

  /** Join the group now (poll() does it too); resolves once partitions are assigned. */
  async start(): Promise<void> {
    this.#background ??= this.#backgroundLoop();
    await this.#ensureJoined();
  }

  /**
   * Records of the assigned partitions, waiting up to timeoutMs for the first. Asking for the
   * next batch marks the previous one processed (committable).
   */
  async poll(timeoutMs = 1_000, maxRecords = Infinity): Promise<ConsumerRecord[]> {
    if (this.#fatal) throw this.#fatal;
    this.#markProcessed();
    await this.start();
    let records = this.#backlog;
    this.#backlog = [];
    if (records.length === 0) records = await this.consumer.poll(timeoutMs);
    // Records of partitions revoked while we waited are dropped: their new owner reads them.
    if (records.length > 0 && (this.#needsRejoin || this.#joining)) {
      await this.#ensureJoined();
      records = records.filter((r) => this.#owns(r.topic, r.partition));
    }
    if (records.length > maxRecords) {
      this.#backlog = records.slice(maxRecords);
      records = records.slice(0, maxRecords);
    }
    for (const record of records) {
      this.#delivered.set(partitionKey(record.topic, record.partition), {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset + 1,
      });
    }
    return records;
  }

  /** Arrays of records until close(). */
  async *batches(): AsyncGenerator<ConsumerRecord[]> {
    while (!this.#closed) {
      const records = await this.poll(1_000);
      if (records.length > 0) yield records;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumerRecord> {
    for await (const records of this.batches()) yield* records;
  }

  /**
   * Commit now: the given offsets (the next offset to read, per partition), else everything
   * handed out so far. Throws a KafkaError when the coordinator refuses (e.g. after a rebalance).
   */
  async commit(offsets?: { topic: string; partition: number; offset: number }[]): Promise<void> {
    if (offsets === undefined) {
      this.#markProcessed();
      offsets = [...this.#processed.values()];
    }
    await this.#commitOffsets(offsets, true);
  }

  /** Commit what was handed out, leave the group and close connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#joining?.catch(() => {}); // a failed rejoin matters no more: we are leaving
      if (this.#autoCommit && this.generationId >= 0) {
        this.#markProcessed();
        // Best effort on close: what is not committed is read again (at-least-once).
        await this.#commitProcessed().catch(() => {});
      }
      // Not leaving cleanly only delays the rebalance until our session times out.
      if (this.memberId !== "") await this.#leave().catch(() => {});
    } finally {
      this.#closed = true;
      this.#wakeBackground?.();
      await this.#background?.catch(() => {}); // the loop reports its own errors as events
      this.#link.close();
      await this.consumer.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- membership ---------------------------------------------------------------------

  #owns(topic: string, partition: number): boolean {
    return this.#assigned.some((tp) => tp.topic === topic && tp.partition === partition);
  }

  #markProcessed(): void {
    for (const [key, value] of this.#delivered) this.#processed.set(key, value);
  }

  async #ensureJoined(): Promise<void> {
    while (this.#needsRejoin && !this.#closed) {
      this.#joining ??= this.#rejoin().finally(() => this.#joining = undefined);
      await this.#joining;
    }
  }

  /** Commit, revoke, join and sync until it succeeds (retriable errors back off and retry). */
  async #rejoin(): Promise<void> {
    // Best effort before revoking: a failed commit means those records are read again.
    if (this.generationId >= 0 && this.#autoCommit) await this.#commitProcessed().catch(() => {});
    let backoffMs = this.#options.retryBackoffMs ?? 100;
    while (!this.#closed && this.#needsRejoin) {
      try {
        this.#needsRejoin = false;
        await this.#subscribe();
        await this.#joinAndSync();
        return;
      } catch (error) {
        this.#needsRejoin = true;
        if (this.#closed) return;
        const code = error instanceof KafkaError ? error.code : -1;
        if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = "";
        if (COORDINATOR_MOVED.has(code) || !(error instanceof KafkaError)) this.#link.reset();
        if (!isRetriable(error) && !REJOIN_CODES.has(code) && !COORDINATOR_MOVED.has(code)) {
          this.#fatal = error as Error;
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 1_000);
      }
    }
  }

  /** Resolve the subscription to topic names (a pattern against the cluster's topics). */
  async #subscribe(): Promise<void> {
    const topics = this.#options.topics;
    if (Array.isArray(topics)) {
      await this.consumer.cluster.refreshMetadata(topics);
      this.#subscribed = [...new Set(topics)].sort();
    } else {
      this.#subscribed = await this.#matchingTopics(topics);
    }
  }

  async #matchingTopics(pattern: RegExp): Promise<string[]> {
    await this.consumer.cluster.refreshMetadata();
    return [...this.consumer.cluster.topics.values()]
      .filter((t) =>
        !t.isInternal && !t.name.startsWith("__") && new RegExp(pattern.source, pattern.flags).test(t.name)
      )
      .map((t) => t.name).sort();
  }

  async #joinAndSync(): Promise<void> {
    const subscription = (assignor: Assignor) =>
      encodeSubscription({
        version: 1,
        topics: this.#subscribed,
        userData: null,
        ownedPartitions: assignor.name === "sticky" ? groupByTopic(this.#assigned) : [],
      });
    const join = await this.#link.request(
      ApiKey.JoinGroup,
      (w, v) =>
        writeJoinGroupRequest(w, v, {
          groupId: this.groupId,
          sessionTimeoutMs: this.#sessionTimeoutMs,
          rebalanceTimeoutMs: this.#rebalanceTimeoutMs,
          memberId: this.memberId,
          groupInstanceId: null,
          protocolType: CONSUMER_PROTOCOL_TYPE,
          protocols: this.#assignors.map((a) => ({ name: a.name, metadata: subscription(a) })),
        }),
      readJoinGroupResponse,
      this.#rebalanceTimeoutMs + 10_000,
    );
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.memberId = join.memberId;
      throw new KafkaError(ErrorCode.REBALANCE_IN_PROGRESS, "rejoining with the member id given");
    }
    if (join.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(join.errorCode, `joining group "${this.groupId}"`);
    }
    this.memberId = join.memberId;
    this.#leader = join.leader === join.memberId;
    const assignments = this.#leader ? await this.#assign(join.protocolName, join.members) : [];
    const sync = await this.#link.request(
      ApiKey.SyncGroup,
      (w, v) =>
        writeSyncGroupRequest(w, v, {
          groupId: this.groupId,
          generationId: join.generationId,
          memberId: this.memberId,
          groupInstanceId: null,
          assignments,
        }),
      readSyncGroupResponse,
      this.#rebalanceTimeoutMs + 10_000,
    );
    if (sync.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(sync.errorCode, `syncing group "${this.groupId}"`);
    }
    const assigned = sync.assignment.length === 0
      ? []
      : decodeAssignment(sync.assignment).assignedPartitions.flatMap((tp) =>
        tp.partitions.map((partition) => ({ topic: tp.topic, partition }))
      );
    this.generationId = join.generationId;
    await this.#applyAssignment(assigned);
  }

  /** Leader: run the selected assignor over every member's subscription. */
  async #assign(
    protocolName: string,
    members: { memberId: string; metadata: Uint8Array }[],
  ): Promise<{ memberId: string; assignment: Uint8Array }[]> {
    const assignor = this.#assignors.find((a) => a.name === protocolName) ?? assignorByName(protocolName);
    const decoded = members.map((m) => ({
      memberId: m.memberId,
      subscription: decodeSubscription(m.metadata),
    }));
    const topics = [...new Set(decoded.flatMap((m) => m.subscription.topics))];
    await this.consumer.cluster.refreshMetadata(topics);
    const partitionsPerTopic = new Map<string, number>();
    for (const topic of topics) {
      const info = this.consumer.cluster.topics.get(topic);
      if (info) partitionsPerTopic.set(topic, info.partitions.length);
    }
    return encodeGroupAssignment(assignor.assign({ members: decoded, partitionsPerTopic }));
  }

  /** Stop reading revoked partitions, start the new ones at their committed offsets. */
  async #applyAssignment(assigned: TopicPartition[]): Promise<void> {
    const keep = new Set(assigned.map((tp) => partitionKey(tp.topic, tp.partition)));
    const revoked = this.#assigned.filter((tp) => !keep.has(partitionKey(tp.topic, tp.partition)));
    const had = new Set(this.#assigned.map((tp) => partitionKey(tp.topic, tp.partition)));
    const added = assigned.filter((tp) => !had.has(partitionKey(tp.topic, tp.partition)));
    if (revoked.length > 0) {
      this.consumer.unassign(revoked);
      for (const tp of revoked) {
        const key = partitionKey(tp.topic, tp.partition);
        this.#delivered.delete(key);
        this.#processed.delete(key);
        this.#committed.delete(key);
      }
      this.#assigned = this.#assigned.filter((tp) => keep.has(partitionKey(tp.topic, tp.partition)));
      await this.#options.onRevoke?.(revoked);
      this.dispatchEvent(new AssignmentEvent("revoked", revoked, this.generationId));
    }
    if (added.length > 0) {
      const committed = await this.#fetchCommitted(added);
      await this.consumer.assign(added.map((tp) => {
        const offset = committed.get(partitionKey(tp.topic, tp.partition)) ?? -1;
        return { ...tp, from: offset >= 0 ? offset : undefined };
      }));
      for (const tp of added) {
        const offset = committed.get(partitionKey(tp.topic, tp.partition)) ?? -1;
        if (offset >= 0) this.#committed.set(partitionKey(tp.topic, tp.partition), offset);
      }
    }
    this.#assigned = [...assigned];
    await this.#options.onAssign?.(this.assignment());
    this.dispatchEvent(new AssignmentEvent("assigned", this.assignment(), this.generationId));
  }

  /**
   * The group's committed offsets of these partitions. A read_committed consumer asks for stable
   * offsets only (require_stable): while a transaction that commits one of them is open the
   * coordinator answers UNSTABLE_OFFSET_COMMIT and we ask again, so processing resumes after what
   * that transaction committed, or after what it aborted (as Java's consumer does).
   */
  async #fetchCommitted(partitions: TopicPartition[]): Promise<Map<string, number>> {
    const requireStable = this.consumer.isolationLevel === "read_committed";
    const deadline = Date.now() + UNSTABLE_OFFSETS_WAIT_MS;
    for (let backoffMs = 100;; backoffMs = Math.min(backoffMs * 2, 1000)) {
      const response = await this.#link.request(
        ApiKey.OffsetFetch,
        (w, v) =>
          writeOffsetFetchRequest(w, v, {
            groupId: this.groupId,
            topics: groupByTopic(partitions).map((tp) => ({
              name: tp.topic,
              partitionIndexes: tp.partitions,
            })),
            requireStable,
          }),
        readOffsetFetchResponse,
      );
      if (response.errorCode) {
        throw new KafkaError(response.errorCode, `fetching offsets of "${this.groupId}"`);
      }
      const offsets = new Map<string, number>();
      let unstable = false;
      for (const topic of response.topics) {
        for (const p of topic.partitions) {
          if (p.errorCode === ErrorCode.UNSTABLE_OFFSET_COMMIT && Date.now() < deadline && !this.#closed) {
            unstable = true;
          } else if (p.errorCode) {
            throw new KafkaError(p.errorCode, `offset of ${topic.name}-${p.partitionIndex}`);
          }
          offsets.set(partitionKey(topic.name, p.partitionIndex), p.committedOffset);
        }
      }
      if (!unstable) return offsets;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }

  async #leave(): Promise<void> {
    const memberId = this.memberId;
    this.memberId = "";
    this.generationId = -1;
    await this.#link.request(
      ApiKey.LeaveGroup,
      (w, v) =>
        writeLeaveGroupRequest(w, v, {
          groupId: this.groupId,
          memberId,
          members: [{ memberId, groupInstanceId: null }],
        }),
      readLeaveGroupResponse,
      5_000,
    );
  }

  // ---- commits -------------------------------------------------------------------------

  #commitProcessed(): Promise<void> {
    const offsets = [...this.#processed.values()].filter((o) =>
      this.#committed.get(partitionKey(o.topic, o.partition)) !== o.offset
    );
    return this.#commitOffsets(offsets, false);
  }

  async #commitOffsets(
    offsets: { topic: string; partition: number; offset: number }[],
    retryMoved: boolean,
  ): Promise<void> {
    if (offsets.length === 0) return;
    for (let attempt = 0;; attempt++) {
      let response;
      try {
        response = await this.#link.request(
          ApiKey.OffsetCommit,
          (w, v) =>
            writeOffsetCommitRequest(w, v, {
              groupId: this.groupId,
              generationId: this.generationId,
              memberId: this.memberId,
              retentionTimeMs: -1,
              topics: groupByTopic(offsets).map((tp) => ({
                name: tp.topic,
                partitions: tp.partitions.map((partition) => ({
                  partitionIndex: partition,
                  committedOffset: offsets.find((o) =>
                    o.topic === tp.topic && o.partition === partition
                  )!.offset,
                  committedMetadata: "",
                })),
              })),
            }),
          readOffsetCommitResponse,
        );
      } catch (error) {
        if (retryMoved && attempt < 5 && isRetriable(error)) continue;
        throw error;
      }
      const failed = response.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== 0);
      if (failed === undefined) {
        for (const o of offsets) this.#committed.set(partitionKey(o.topic, o.partition), o.offset);
        return;
      }
      const code = failed.errorCode;
      if (REJOIN_CODES.has(code)) this.#requestRejoin(code === ErrorCode.UNKNOWN_MEMBER_ID);
      if (COORDINATOR_MOVED.has(code)) this.#link.reset();
      const error = new KafkaError(code, `committing offsets of group "${this.groupId}"`);
      if (retryMoved && attempt < 5 && (COORDINATOR_MOVED.has(code) || error.retriable)) {
        await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
        continue;
      }
      throw error;
    }
  }

  // ---- background: heartbeats, auto commit, pattern refresh ----------------------------

  #requestRejoin(forgetMember: boolean): void {
    if (forgetMember) this.memberId = "";
    this.#needsRejoin = true;
    // #rejoin retries retriable errors itself and reports fatal ones as events.
    this.#joining ??= this.#rejoin().catch(() => {}).finally(() => this.#joining = undefined);
  }

  async #backgroundLoop(): Promise<void> {
    let nextCommitMs = Date.now() + this.#autoCommitIntervalMs;
    let nextPatternMs = Date.now() + (this.#options.patternRefreshMs ?? 30_000);
    while (!this.#closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#heartbeatIntervalMs);
        this.#wakeBackground = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (this.#closed) break;
      if (this.#joining || this.#needsRejoin) {
        // A rebalance is pending: drive it even if the caller is busy processing.
        if (!this.#joining && this.#needsRejoin) this.#requestRejoin(false);
        continue;
      }
      await this.#heartbeat();
      const now = Date.now();
      if (this.#autoCommit && now >= nextCommitMs && !this.#needsRejoin) {
        nextCommitMs = now + this.#autoCommitIntervalMs;
        await this.#commitProcessed().catch(() => {}); // retried at the next interval
      }
      if (!Array.isArray(this.#options.topics) && now >= nextPatternMs) {
        nextPatternMs = now + (this.#options.patternRefreshMs ?? 30_000);
        const matching = await this.#matchingTopics(this.#options.topics).catch(() => this.#subscribed);
        if (matching.join("\0") !== this.#subscribed.join("\0")) this.#requestRejoin(false);
      }
    }
  }

  async #heartbeat(): Promise<void> {
    let code: number;
    try {
      const response = await this.#link.request(
        ApiKey.Heartbeat,
        (w, v) =>
          writeHeartbeatRequest(w, v, {
            groupId: this.groupId,
            generationId: this.generationId,
            memberId: this.memberId,
            groupInstanceId: null,
          }),
        readHeartbeatResponse,
        this.#sessionTimeoutMs,
      );
      code = response.errorCode;
    } catch (error) {
      if (error instanceof KafkaError) code = error.code;
      else return; // connection trouble: the link was reset; the next beat finds the coordinator
    }
    if (code === ErrorCode.NONE) return;
    if (COORDINATOR_MOVED.has(code)) this.#link.reset();
    else if (REJOIN_CODES.has(code)) this.#requestRejoin(code === ErrorCode.UNKNOWN_MEMBER_ID);
  }
}

function groupByTopic(partitions: TopicPartition[]): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, list = []);
    list.push(partition);
  }
  return [...byTopic].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topic, list]) => ({ topic, partitions: list.sort((a, b) => a - b) }));
}
