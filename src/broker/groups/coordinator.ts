/**
 * The group coordinator of Kafka's classic consumer group protocol, as pure logic: method calls
 * in, results out, time from an injected Clock, persistence through an injected GroupStore that
 * appends to the coordinator's partition of `__consumer_offsets`. No sockets, no codecs: the
 * broker's handlers decode a request, call one method and encode the result.
 *
 * States: Empty -> PreparingRebalance (a member joins, leaves or dies) -> CompletingRebalance
 * (every member rejoined or the rebalance timeout passed; generation + 1, protocol voted, leader
 * picked, join answers sent) -> Stable (the leader's SyncGroup brought the assignments) and back
 * to PreparingRebalance on the next change; Empty again when the last member is gone; Dead when
 * deleted or unloaded. JoinGroup and SyncGroup answers that must wait are Promises that resolve
 * when the step completes or the member is removed.
 *
 * @example
 * ```ts
 * const coordinator = new GroupCoordinator({ ownedPartitions: "all" });
 * const joined = await coordinator.join({ groupId: "g", memberId: "", clientId: "c", clientHost: "/127.0.0.1",
 *   sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000, protocolType: "consumer",
 *   protocols: [{ name: "range", metadata }], requireKnownMemberId: false });
 * ```
 */
import { ErrorCode, KafkaError } from "../../kafka/errors.ts";
import { type Clock, systemClock } from "./clock.ts";
import { Group, type Member } from "./group.ts";
import { DEFAULT_OFFSETS_TOPIC_PARTITIONS, groupPartition } from "./group-partition.ts";
import {
  applyCommittedTxn,
  groupMetadataRecord,
  type GroupMetadataValue,
  groupTombstone,
  type LoadedGroup,
  loadGroups,
  offsetCommitRecord,
  type OffsetCommitValue,
  offsetKey,
  type OffsetsTopicRecord,
  offsetTombstone,
  type PendingTxnOffset,
  type ReplayEntry,
} from "./offsets-records.ts";
import type {
  DescribedGroup,
  HeartbeatInput,
  JoinGroupInput,
  JoinGroupResult,
  LeaveGroupInput,
  LeaveGroupResult,
  ListedGroup,
  MemberProtocol,
  OffsetCommitInput,
  OffsetCommitResult,
  OffsetFetchInput,
  OffsetFetchPartition,
  OffsetFetchResult,
  SyncGroupInput,
  SyncGroupResult,
  TxnOffsetCommitInput,
} from "./types.ts";

/** Where the coordinator writes its records: the leader's log of a `__consumer_offsets` partition. */
export interface GroupStore {
  /**
   * Append records to the partition (one batch) and resolve once they are committed (acks=all),
   * with the batch's base offset when known. `transaction`: write a transactional batch of that
   * producer (TxnOffsetCommit), which its COMMIT or ABORT marker later settles. Reject with a
   * KafkaError (e.g. NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, INVALID_PRODUCER_EPOCH) when
   * that is impossible.
   */
  append(
    partition: number,
    records: OffsetsTopicRecord[],
    transaction?: { producerId: bigint; producerEpoch: number },
  ): Promise<number | void>;
}

/** Knobs, with Kafka's defaults unless said otherwise. */
export interface GroupCoordinatorOptions {
  clock?: Clock;
  /** Default: keeps nothing (tests and single-node use). */
  store?: GroupStore;
  /** offsets.topic.num.partitions (10). */
  numPartitions?: number;
  /** Partitions this coordinator serves from the start, with no history to load. */
  ownedPartitions?: Iterable<number> | "all";
  /** group.initial.rebalance.delay.ms (3000). */
  initialRebalanceDelayMs?: number;
  /** group.min.session.timeout.ms (6000). */
  minSessionTimeoutMs?: number;
  /** group.max.session.timeout.ms (1800000). */
  maxSessionTimeoutMs?: number;
  /** group.max.size (Kafka: unbounded; here 1000). */
  maxGroupSize?: number;
  /** Most groups held in memory (not a Kafka knob; 10000). */
  maxGroups?: number;
  /** Most committed offsets per group (not a Kafka knob; 100000). */
  maxOffsetsPerGroup?: number;
  /** offset.metadata.max.bytes (4096). */
  maxOffsetMetadataBytes?: number;
  /** Member id generator; default `${clientId}-${UUID}` as Kafka does. */
  newMemberId?: (clientId: string) => string;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** The group coordinator for the `__consumer_offsets` partitions this broker leads. */
export class GroupCoordinator {
  readonly #clock: Clock;
  readonly #store: GroupStore;
  readonly #numPartitions: number;
  readonly #initialRebalanceDelayMs: number;
  readonly #minSessionTimeoutMs: number;
  readonly #maxSessionTimeoutMs: number;
  readonly #maxGroupSize: number;
  readonly #maxGroups: number;
  readonly #maxOffsetsPerGroup: number;
  readonly #maxOffsetMetadataBytes: number;
  readonly #newMemberId: (clientId: string) => string;
  readonly #groups = new Map<string, Group>();
  /** Owned partitions: "loading" while the log is replayed, "active" once served. */
  readonly #partitions = new Map<number, "loading" | "active">();
  /** Producer id -> groups holding offsets of its open transaction (may name stale groups). */
  readonly #txnGroups = new Map<bigint, Set<string>>();
  /** Transaction markers that reached a partition while it loaded: applied after the load. */
  readonly #completionsWhileLoading = new Map<number, { producerId: bigint; commit: boolean }[]>();

  constructor(options: GroupCoordinatorOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#store = options.store ?? { append: () => Promise.resolve() };
    this.#numPartitions = options.numPartitions ?? DEFAULT_OFFSETS_TOPIC_PARTITIONS;
    this.#initialRebalanceDelayMs = options.initialRebalanceDelayMs ?? 3000;
    this.#minSessionTimeoutMs = options.minSessionTimeoutMs ?? 6000;
    this.#maxSessionTimeoutMs = options.maxSessionTimeoutMs ?? 1_800_000;
    this.#maxGroupSize = options.maxGroupSize ?? 1000;
    this.#maxGroups = options.maxGroups ?? 10_000;
    this.#maxOffsetsPerGroup = options.maxOffsetsPerGroup ?? 100_000;
    this.#maxOffsetMetadataBytes = options.maxOffsetMetadataBytes ?? 4096;
    this.#newMemberId = options.newMemberId ?? ((clientId) => `${clientId}-${crypto.randomUUID()}`);
    const owned = options.ownedPartitions === "all"
      ? Array.from({ length: this.#numPartitions }, (_, i) => i)
      : options.ownedPartitions ?? [];
    for (const partition of owned) this.#partitions.set(partition, "active");
  }

  // ---- ownership of __consumer_offsets partitions ----

  /** The `__consumer_offsets` partition of a group (its coordinator leads that partition). */
  partitionFor(groupId: string): number {
    return groupPartition(groupId, this.#numPartitions);
  }

  /** Mark a partition as being loaded: its groups answer COORDINATOR_LOAD_IN_PROGRESS meanwhile. */
  beginLoading(partition: number): void {
    if (this.#partitions.get(partition) !== "active") this.#partitions.set(partition, "loading");
  }

  /**
   * Become the coordinator of a partition's groups by replaying its log (after this broker became
   * its leader). Groups with members come back Stable with their generation, leader and
   * assignments; their members keep their ids and must heartbeat within their session timeout.
   * Returns how many groups were loaded and how many records could not be decoded.
   */
  loadPartition(
    partition: number,
    records: Iterable<ReplayEntry>,
  ): { groups: number; skipped: number } {
    const completions = this.#completionsWhileLoading.get(partition) ?? [];
    this.unloadPartition(partition);
    const { groups, skipped } = loadGroups(records);
    let loaded = 0;
    for (const stored of groups.values()) {
      if (this.partitionFor(stored.groupId) !== partition) continue;
      this.#groups.set(stored.groupId, this.#restoreGroup(stored, partition));
      loaded++;
    }
    this.#partitions.set(partition, "active");
    // Markers appended after the replay's end: settle them now (one already replayed finds
    // nothing pending, so applying it again is harmless).
    for (const { producerId, commit } of completions) this.completeTransaction(partition, producerId, commit);
    return { groups: loaded, skipped };
  }

  /**
   * Stop coordinating a partition's groups (leadership moved): waiting requests get
   * NOT_COORDINATOR so their clients look the coordinator up again.
   */
  unloadPartition(partition: number): void {
    for (const group of [...this.#groups.values()]) {
      if (group.partition === partition) this.#removeGroup(group, ErrorCode.NOT_COORDINATOR);
    }
    this.#partitions.delete(partition);
    this.#completionsWhileLoading.delete(partition);
  }

  /** Unload everything (broker shutdown): timers cleared, waiters answered NOT_COORDINATOR. */
  close(): void {
    for (const partition of [...this.#partitions.keys()]) this.unloadPartition(partition);
  }

  /** 0 when this coordinator serves the group now, else NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. */
  coordinatorError(groupId: string): number {
    const status = this.#partitions.get(this.partitionFor(groupId));
    if (status === "active") return ErrorCode.NONE;
    return status === "loading" ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR;
  }

  // ---- JoinGroup ----

  /** JoinGroup: resolves when the member's rebalance completes (or at once with an error). */
  join(input: JoinGroupInput): Promise<JoinGroupResult> {
    const error = this.coordinatorError(input.groupId) ||
      (input.groupId === "" ? ErrorCode.INVALID_GROUP_ID : 0) ||
      (input.sessionTimeoutMs < this.#minSessionTimeoutMs ||
          input.sessionTimeoutMs > this.#maxSessionTimeoutMs
        ? ErrorCode.INVALID_SESSION_TIMEOUT
        : 0);
    if (error) return Promise.resolve(joinError(input.memberId, error));
    // v0 has no rebalance timeout (the codec reads -1): Kafka uses the session timeout.
    if (!((input.rebalanceTimeoutMs ?? -1) > 0)) {
      input = { ...input, rebalanceTimeoutMs: input.sessionTimeoutMs };
    }
    let group = this.#groups.get(input.groupId);
    if (group === undefined) {
      if (input.memberId !== "") {
        return Promise.resolve(joinError(input.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      }
      if (this.#groups.size >= this.#maxGroups) {
        return Promise.resolve(joinError("", ErrorCode.COORDINATOR_NOT_AVAILABLE));
      }
      group = new Group(input.groupId, this.partitionFor(input.groupId), this.#clock.nowMs());
      this.#groups.set(input.groupId, group);
    }
    const result = input.memberId === "" ? this.#joinUnknown(group, input) : this.#joinKnown(group, input);
    this.#dropIfUnused(group);
    return result;
  }

  #joinUnknown(group: Group, input: JoinGroupInput): Promise<JoinGroupResult> {
    if (!group.supportsProtocols(input.protocolType, input.protocols)) {
      return Promise.resolve(joinError("", ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.members.size + group.pending.size >= this.#maxGroupSize) {
      return Promise.resolve(joinError("", ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    const memberId = this.#newMemberId(input.clientId);
    if (!input.requireKnownMemberId) return this.#addMemberAndRebalance(group, memberId, input);
    // KIP-394: hand out the id first, so a client that never comes back costs one session timeout.
    const sessionTimer = this.#clock.setTimer(
      () => this.#expirePending(group, memberId),
      input.sessionTimeoutMs,
    );
    group.pending.set(memberId, { memberId, sessionTimer });
    return Promise.resolve(joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED));
  }

  #joinKnown(group: Group, input: JoinGroupInput): Promise<JoinGroupResult> {
    const { memberId } = input;
    const pending = group.pending.get(memberId);
    if (pending !== undefined) {
      if (!group.supportsProtocols(input.protocolType, input.protocols)) {
        return Promise.resolve(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      }
      this.#clock.clearTimer(pending.sessionTimer);
      group.pending.delete(memberId);
      return this.#addMemberAndRebalance(group, memberId, input);
    }
    const member = group.members.get(memberId);
    if (member === undefined) return Promise.resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    if (!group.supportsProtocols(input.protocolType, input.protocols)) {
      return Promise.resolve(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const unchanged = sameProtocols(member.protocols, input.protocols);
    switch (group.state) {
      case "PreparingRebalance":
        return this.#updateMemberAndRebalance(group, member, input);
      case "CompletingRebalance":
        // The member missed its join answer: repeat it unless its metadata changed.
        return unchanged
          ? Promise.resolve(this.#joinResult(group, member))
          : this.#updateMemberAndRebalance(group, member, input);
      case "Stable":
        // A leader rejoining means it wants a new assignment (e.g. topic metadata changed).
        return unchanged && memberId !== group.leaderId
          ? Promise.resolve(this.#joinResult(group, member))
          : this.#updateMemberAndRebalance(group, member, input);
      default:
        return Promise.resolve(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  #addMemberAndRebalance(group: Group, memberId: string, input: JoinGroupInput): Promise<JoinGroupResult> {
    const member: Member = {
      memberId,
      groupInstanceId: input.groupInstanceId ?? null,
      clientId: input.clientId,
      clientHost: input.clientHost,
      sessionTimeoutMs: input.sessionTimeoutMs,
      rebalanceTimeoutMs: input.rebalanceTimeoutMs ?? input.sessionTimeoutMs,
      protocols: copyProtocols(input.protocols),
      assignment: EMPTY,
    };
    if (group.members.size === 0) group.protocolType = input.protocolType;
    group.members.set(memberId, member);
    if (group.leaderId === null) group.leaderId = memberId;
    group.newMemberAdded = true;
    return this.#awaitJoin(group, member);
  }

  #updateMemberAndRebalance(group: Group, member: Member, input: JoinGroupInput): Promise<JoinGroupResult> {
    member.protocols = copyProtocols(input.protocols);
    member.sessionTimeoutMs = input.sessionTimeoutMs;
    member.rebalanceTimeoutMs = input.rebalanceTimeoutMs ?? input.sessionTimeoutMs;
    member.clientId = input.clientId;
    member.clientHost = input.clientHost;
    return this.#awaitJoin(group, member);
  }

  #awaitJoin(group: Group, member: Member): Promise<JoinGroupResult> {
    const promise = new Promise<JoinGroupResult>((resolve) => {
      // A second join from the same member while one waits: the older one is superseded.
      member.joinWaiter?.(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
      member.joinWaiter = resolve;
    });
    if (group.state === "PreparingRebalance") this.#tryCompleteJoin(group);
    else this.#prepareRebalance(group);
    return promise;
  }

  #prepareRebalance(group: Group): void {
    if (group.state === "CompletingRebalance") this.#failSyncWaiters(group, ErrorCode.REBALANCE_IN_PROGRESS);
    const wasEmpty = group.state === "Empty";
    group.transition("PreparingRebalance", this.#clock.nowMs());
    this.#clearJoinTimer(group);
    if (wasEmpty && this.#initialRebalanceDelayMs > 0) {
      group.inInitialDelay = true;
      group.newMemberAdded = false;
      const delayMs = this.#initialRebalanceDelayMs;
      this.#scheduleInitialDelay(group, delayMs, Math.max(group.maxRebalanceTimeoutMs() - delayMs, 0));
      return;
    }
    group.joinTimer = this.#clock.setTimer(() => this.#completeJoin(group), group.maxRebalanceTimeoutMs());
    this.#tryCompleteJoin(group);
  }

  /** A new group waits the initial delay, once more for each step in which members arrived. */
  #scheduleInitialDelay(group: Group, delayMs: number, remainingMs: number): void {
    group.joinTimer = this.#clock.setTimer(() => {
      group.joinTimer = undefined;
      if (group.newMemberAdded && remainingMs > 0) {
        group.newMemberAdded = false;
        const nextDelayMs = Math.min(this.#initialRebalanceDelayMs, remainingMs);
        this.#scheduleInitialDelay(group, nextDelayMs, Math.max(remainingMs - nextDelayMs, 0));
        return;
      }
      this.#completeJoin(group);
    }, delayMs);
  }

  #tryCompleteJoin(group: Group): void {
    if (group.state === "PreparingRebalance" && !group.inInitialDelay && group.allMembersJoined()) {
      this.#completeJoin(group);
    }
  }

  /** End of the join phase: drop members that did not rejoin, start the next generation. */
  #completeJoin(group: Group): void {
    if (this.#groups.get(group.groupId) !== group || group.state !== "PreparingRebalance") return;
    this.#clearJoinTimer(group);
    group.inInitialDelay = false;
    for (const member of [...group.members.values()]) {
      if (member.joinWaiter === undefined) this.#dropMember(group, member);
    }
    group.electLeaderIfGone();
    group.generationId++;
    this.rebalancesCompleted++;
    const nowMs = this.#clock.nowMs();
    if (group.members.size === 0) {
      group.protocolName = null;
      group.transition("Empty", nowMs);
      if (!this.#dropIfUnused(group)) this.#persistQuietly(group);
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transition("CompletingRebalance", nowMs);
    for (const member of group.members.values()) {
      const waiter = member.joinWaiter!;
      member.joinWaiter = undefined;
      member.assignment = EMPTY;
      this.#scheduleSession(group, member);
      waiter(this.#joinResult(group, member));
    }
  }

  #joinResult(group: Group, member: Member): JoinGroupResult {
    const isLeader = member.memberId === group.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolName: group.protocolName ?? "",
      leader: group.leaderId ?? "",
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          metadata: group.metadataFor(m),
        }))
        : [],
    };
  }

  // ---- SyncGroup ----

  /** SyncGroup: followers wait for the leader's assignment; each gets its own bytes. */
  sync(input: SyncGroupInput): Promise<SyncGroupResult> {
    const error = this.coordinatorError(input.groupId) ||
      (input.groupId === "" ? ErrorCode.INVALID_GROUP_ID : 0);
    if (error) return Promise.resolve(syncError(error));
    const group = this.#groups.get(input.groupId);
    const member = group?.members.get(input.memberId);
    if (group === undefined || member === undefined) {
      return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
    if (input.generationId !== group.generationId) {
      return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    }
    if (group.state === "PreparingRebalance") {
      return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    }
    this.#scheduleSession(group, member);
    if (group.state === "Stable") {
      return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment });
    }
    if (group.state !== "CompletingRebalance") return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const promise = new Promise<SyncGroupResult>((resolve) => {
      member.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      member.syncWaiter = resolve;
    });
    if (member.memberId === group.leaderId) void this.#storeAssignments(group, input.assignments);
    return promise;
  }

  async #storeAssignments(group: Group, assignments: SyncGroupInput["assignments"]): Promise<void> {
    const generationId = group.generationId;
    const byMember = new Map<string, Uint8Array>();
    for (const { memberId, assignment } of assignments) {
      if (group.members.has(memberId)) byMember.set(memberId, assignment.slice());
    }
    const current = () =>
      this.#groups.get(group.groupId) === group && group.state === "CompletingRebalance" &&
      group.generationId === generationId;
    try {
      await this.#store.append(group.partition, [
        groupMetadataRecord(group.groupId, this.#snapshot(group, byMember)),
      ]);
      group.persisted = true;
    } catch (error) {
      if (current()) this.#failSyncWaiters(group, storeErrorCode(error, false));
      return;
    }
    if (!current()) return;
    for (const member of group.members.values()) member.assignment = byMember.get(member.memberId) ?? EMPTY;
    group.transition("Stable", this.#clock.nowMs());
    for (const member of group.members.values()) {
      const waiter = member.syncWaiter;
      member.syncWaiter = undefined;
      waiter?.({ errorCode: ErrorCode.NONE, assignment: member.assignment });
    }
  }

  #failSyncWaiters(group: Group, errorCode: number): void {
    for (const member of group.members.values()) {
      member.assignment = EMPTY;
      const waiter = member.syncWaiter;
      member.syncWaiter = undefined;
      waiter?.(syncError(errorCode));
    }
  }

  // ---- Heartbeat and session timeouts ----

  /** Heartbeat: 0 when stable or completing, REBALANCE_IN_PROGRESS while preparing; resets the session timer. */
  heartbeat(input: HeartbeatInput): number {
    const error = this.coordinatorError(input.groupId) ||
      (input.groupId === "" ? ErrorCode.INVALID_GROUP_ID : 0);
    if (error) return error;
    const group = this.#groups.get(input.groupId);
    if (group === undefined || group.state === "Empty") return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.state === "Dead") return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const member = group.members.get(input.memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (input.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.#scheduleSession(group, member);
    return group.state === "PreparingRebalance" ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  #scheduleSession(group: Group, member: Member): void {
    if (member.sessionTimer !== undefined) this.#clock.clearTimer(member.sessionTimer);
    const timer = this.#clock.setTimer(() => {
      if (member.sessionTimer !== timer || group.members.get(member.memberId) !== member) return;
      member.sessionTimer = undefined;
      // A member whose join is parked is kept until the rebalance timeout decides.
      if (member.joinWaiter !== undefined) return;
      this.#removeMember(group, member);
    }, member.sessionTimeoutMs);
    member.sessionTimer = timer;
  }

  #expirePending(group: Group, memberId: string): void {
    if (!group.pending.delete(memberId)) return;
    this.#tryCompleteJoin(group);
    this.#dropIfUnused(group);
  }

  // ---- LeaveGroup ----

  /**
   * LeaveGroup: removes each member and rebalances. `version` is the request's: v0-2 carry one
   * member and answer with its error as the top-level code; v3 answers per member.
   */
  leave(input: LeaveGroupInput, version = 3): LeaveGroupResult {
    const error = this.coordinatorError(input.groupId) ||
      (input.groupId === "" ? ErrorCode.INVALID_GROUP_ID : 0);
    if (error) return { errorCode: error, members: [] };
    const group = this.#groups.get(input.groupId);
    const leaving = version < 3 || input.members === undefined
      ? [{ memberId: input.memberId ?? "", groupInstanceId: null }]
      : input.members;
    const members = leaving.map(({ memberId, groupInstanceId }) => {
      let errorCode: number = ErrorCode.NONE;
      const pending = group?.pending.get(memberId);
      const member = group?.members.get(memberId);
      if (group !== undefined && pending !== undefined) {
        this.#clock.clearTimer(pending.sessionTimer);
        group.pending.delete(memberId);
        this.#tryCompleteJoin(group);
      } else if (group !== undefined && member !== undefined) {
        this.#removeMember(group, member);
      } else {
        errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
      }
      return { memberId, groupInstanceId: groupInstanceId ?? null, errorCode };
    });
    if (group !== undefined) this.#dropIfUnused(group);
    // v0-2 have one member and one error code.
    const errorCode = version < 3 ? members[0].errorCode : ErrorCode.NONE;
    return { errorCode, members };
  }

  /** Remove a member (left or expired) and move the group on. */
  #removeMember(group: Group, member: Member): void {
    this.#dropMember(group, member);
    group.electLeaderIfGone();
    if (group.state === "Stable" || group.state === "CompletingRebalance") this.#prepareRebalance(group);
    else if (group.state === "PreparingRebalance") this.#tryCompleteJoin(group);
  }

  #dropMember(group: Group, member: Member): void {
    if (member.sessionTimer !== undefined) this.#clock.clearTimer(member.sessionTimer);
    member.sessionTimer = undefined;
    group.members.delete(member.memberId);
    const joinWaiter = member.joinWaiter;
    const syncWaiter = member.syncWaiter;
    member.joinWaiter = member.syncWaiter = undefined;
    joinWaiter?.(joinError(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    syncWaiter?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  }

  // ---- OffsetCommit / OffsetFetch ----

  /**
   * OffsetCommit: members of the current generation commit (also while a rebalance is being
   * prepared); a group with no members accepts commits with generation -1 (simple consumers,
   * offset resets). Resolves once the records are in `__consumer_offsets`.
   */
  async commitOffsets(input: OffsetCommitInput): Promise<OffsetCommitResult> {
    const everyPartition = (errorCode: number): OffsetCommitResult => ({
      topics: input.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    });
    const error = this.coordinatorError(input.groupId);
    if (error) return everyPartition(error);
    let group = this.#groups.get(input.groupId);
    if (group === undefined) {
      // No group: only a simple consumer (generation < 0) may create one by committing.
      if ((input.generationId ?? -1) >= 0) return everyPartition(ErrorCode.ILLEGAL_GENERATION);
      if (this.#groups.size >= this.#maxGroups) return everyPartition(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      group = new Group(input.groupId, this.partitionFor(input.groupId), this.#clock.nowMs());
      this.#groups.set(input.groupId, group);
    }
    const refusal = this.#commitRefusal(group, input);
    if (refusal) {
      this.#dropIfUnused(group);
      return everyPartition(refusal);
    }
    return await this.#storeOffsets(group, input);
  }

  /**
   * TxnOffsetCommit: offsets a transactional producer commits for a group, written to the group's
   * offsets partition in a transactional batch of that producer and held pending until the
   * transaction's marker reaches that partition (completeTransaction). A consumer in the group
   * (v3: member id and generation given) must be a current member of the current generation;
   * without them (v0-2) any producer may commit, as in Kafka.
   */
  async commitTxnOffsets(input: TxnOffsetCommitInput): Promise<OffsetCommitResult> {
    const everyPartition = (errorCode: number): OffsetCommitResult => ({
      topics: input.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    });
    const error = this.coordinatorError(input.groupId) ||
      (input.groupId === "" ? ErrorCode.INVALID_GROUP_ID : 0);
    if (error) return everyPartition(error);
    let group = this.#groups.get(input.groupId);
    if (group === undefined) {
      if (this.#groups.size >= this.#maxGroups) return everyPartition(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      group = new Group(input.groupId, this.partitionFor(input.groupId), this.#clock.nowMs());
      this.#groups.set(input.groupId, group);
    }
    const memberId = input.memberId ?? "";
    const generationId = input.generationId ?? -1;
    const refusal = group.state === "Dead"
      ? ErrorCode.COORDINATOR_NOT_AVAILABLE
      : memberId !== "" && !group.members.has(memberId)
      ? ErrorCode.UNKNOWN_MEMBER_ID
      : generationId >= 0 && generationId !== group.generationId
      ? ErrorCode.ILLEGAL_GENERATION
      : ErrorCode.NONE;
    if (refusal) {
      this.#dropIfUnused(group);
      return everyPartition(refusal);
    }
    return await this.#storeOffsets(group, input, {
      producerId: input.producerId,
      producerEpoch: input.producerEpoch,
    });
  }

  /**
   * A transaction marker of `producerId` is committed in offsets partition `partition`: COMMIT
   * makes the offsets that producer's transaction committed there visible (unless a plain commit
   * appended later already replaced them), ABORT drops them. Called by the WriteTxnMarkers
   * handler; a retried marker finds nothing left to do.
   */
  completeTransaction(partition: number, producerId: bigint, commit: boolean): void {
    const status = this.#partitions.get(partition);
    if (status === "loading") {
      let queued = this.#completionsWhileLoading.get(partition);
      if (queued === undefined) this.#completionsWhileLoading.set(partition, queued = []);
      queued.push({ producerId, commit });
      return;
    }
    if (status !== "active") return; // not ours: the next leader replays the marker from the log
    const groupIds = this.#txnGroups.get(producerId);
    if (groupIds === undefined) return;
    for (const groupId of [...groupIds]) {
      const group = this.#groups.get(groupId);
      if (group === undefined || group.partition !== partition) continue;
      groupIds.delete(groupId);
      const pending = group.pendingTxnOffsets.get(producerId);
      if (pending === undefined) continue;
      group.pendingTxnOffsets.delete(producerId);
      if (commit) applyCommittedTxn(group.offsets, pending.values());
      this.#dropIfUnused(group);
    }
    if (groupIds.size === 0) this.#txnGroups.delete(producerId);
  }

  #addPending(group: Group, producerId: bigint, offsets: PendingTxnOffset[]): void {
    let pending = group.pendingTxnOffsets.get(producerId);
    if (pending === undefined) group.pendingTxnOffsets.set(producerId, pending = new Map());
    for (const entry of offsets) pending.set(offsetKey(entry.topic, entry.partition), entry);
    let groupIds = this.#txnGroups.get(producerId);
    if (groupIds === undefined) this.#txnGroups.set(producerId, groupIds = new Set());
    groupIds.add(group.groupId);
  }

  #commitRefusal(group: Group, input: OffsetCommitInput): number {
    const generationId = input.generationId ?? -1;
    if (group.state === "Dead") return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (generationId < 0 && group.state === "Empty") return ErrorCode.NONE;
    if (group.state === "CompletingRebalance") return ErrorCode.REBALANCE_IN_PROGRESS;
    const member = group.members.get(input.memberId ?? "");
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.#scheduleSession(group, member);
    return ErrorCode.NONE;
  }

  async #storeOffsets(
    group: Group,
    input: OffsetCommitInput,
    transaction?: { producerId: bigint; producerEpoch: number },
  ): Promise<OffsetCommitResult> {
    const nowMs = this.#clock.nowMs();
    const accepted: { topic: string; partition: number; value: OffsetCommitValue }[] = [];
    const codes = new Map<string, number>();
    let newKeys = 0;
    for (const topic of input.topics) {
      for (const p of topic.partitions) {
        const metadata = p.committedMetadata ?? "";
        const isNew = !group.offsets.get(topic.name)?.has(p.partitionIndex);
        let errorCode: number = ErrorCode.NONE;
        if (encoder.encode(metadata).length > this.#maxOffsetMetadataBytes) {
          errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        } else if (isNew && group.offsetCount() + newKeys >= this.#maxOffsetsPerGroup) {
          errorCode = ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
        } else {
          if (isNew) newKeys++;
          const commitTimestampMs = (p.commitTimestamp ?? -1) >= 0 ? p.commitTimestamp! : nowMs;
          accepted.push({
            topic: topic.name,
            partition: p.partitionIndex,
            value: {
              offset: p.committedOffset,
              leaderEpoch: p.committedLeaderEpoch ?? -1,
              metadata,
              commitTimestampMs,
            },
          });
        }
        codes.set(offsetKey(topic.name, p.partitionIndex), errorCode);
      }
    }
    if (accepted.length > 0) {
      try {
        const baseOffset = await this.#store.append(
          group.partition,
          accepted.map((a) => offsetCommitRecord(group.groupId, a.topic, a.partition, a.value)),
          transaction,
        );
        for (const a of accepted) a.value.appendOffset = typeof baseOffset === "number" ? baseOffset : -1;
        if (this.#groups.get(group.groupId) !== group) {
          // The group was unloaded meanwhile: its next coordinator replays the records.
        } else if (transaction !== undefined) {
          this.#addPending(group, transaction.producerId, accepted);
        } else {
          for (const a of accepted) {
            let partitions = group.offsets.get(a.topic);
            if (partitions === undefined) group.offsets.set(a.topic, partitions = new Map());
            partitions.set(a.partition, a.value);
          }
        }
      } catch (error) {
        const errorCode = storeErrorCode(error, true);
        for (const a of accepted) codes.set(offsetKey(a.topic, a.partition), errorCode);
      }
    }
    this.#dropIfUnused(group);
    return {
      topics: input.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: codes.get(offsetKey(topic.name, p.partitionIndex))!,
        })),
      })),
    };
  }

  /**
   * OffsetFetch: committed offsets, -1 where none; `topics: null` = all of the group's. Offsets of
   * open transactions are never returned; with `requireStable` (v7+) a partition one of them
   * commits answers UNSTABLE_OFFSET_COMMIT (retriable) instead of its older committed offset.
   */
  fetchOffsets(input: OffsetFetchInput): OffsetFetchResult {
    const error = this.coordinatorError(input.groupId);
    const group = error ? undefined : this.#groups.get(input.groupId);
    const unstable = (topic: string, partitionIndex: number): boolean => {
      if (!input.requireStable || group === undefined) return false;
      const key = offsetKey(topic, partitionIndex);
      for (const pending of group.pendingTxnOffsets.values()) if (pending.has(key)) return true;
      return false;
    };
    const entry = (
      topic: string,
      partitionIndex: number,
      value: OffsetCommitValue | undefined,
    ): OffsetFetchPartition =>
      unstable(topic, partitionIndex)
        ? {
          partitionIndex,
          committedOffset: -1,
          committedLeaderEpoch: -1,
          metadata: "",
          errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT,
        }
        : {
          partitionIndex,
          committedOffset: value?.offset ?? -1,
          committedLeaderEpoch: value?.leaderEpoch ?? -1,
          metadata: value?.metadata ?? "",
          errorCode: error,
        };
    if (input.topics === null) {
      const topics = [...(group?.offsets ?? new Map<string, Map<number, OffsetCommitValue>>())].map((
        [name, partitions],
      ) => ({
        name,
        partitions: [...partitions].sort((a, b) => a[0] - b[0]).map(([index, value]) =>
          entry(name, index, value)
        ),
      }));
      return { errorCode: error, topics };
    }
    return {
      errorCode: error,
      topics: input.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitionIndexes.map((index) =>
          entry(topic.name, index, group?.offsets.get(topic.name)?.get(index))
        ),
      })),
    };
  }

  /**
   * Set offsets of a group with no members (CLI reset-offsets): NON_EMPTY_GROUP while it has
   * members, else committed like a simple consumer's commit.
   */
  resetOffsets(
    groupId: string,
    offsets: { topic: string; partition: number; offset: number }[],
  ): Promise<OffsetCommitResult> {
    const byTopic = new Map<string, OffsetCommitInput["topics"][number]>();
    for (const { topic, partition, offset } of offsets) {
      if (!byTopic.has(topic)) byTopic.set(topic, { name: topic, partitions: [] });
      byTopic.get(topic)!.partitions.push({
        partitionIndex: partition,
        committedOffset: offset,
        committedMetadata: "",
      });
    }
    const input: OffsetCommitInput = {
      groupId,
      generationId: -1,
      memberId: "",
      topics: [...byTopic.values()],
    };
    const group = this.#groups.get(groupId);
    if (this.coordinatorError(groupId) === 0 && group !== undefined && group.state !== "Empty") {
      return Promise.resolve({
        topics: input.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.NON_EMPTY_GROUP,
          })),
        })),
      });
    }
    return this.commitOffsets(input);
  }

  // ---- DescribeGroups / ListGroups / DeleteGroups ----

  /** DescribeGroups: unknown groups are reported as "Dead" with no error, as Kafka does. */
  describeGroups(groupIds: string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      const errorCode = this.coordinatorError(groupId);
      const group = errorCode ? undefined : this.#groups.get(groupId);
      if (group === undefined) {
        return { errorCode, groupId, groupState: "Dead", protocolType: "", protocolData: "", members: [] };
      }
      const stable = group.state === "Stable";
      return {
        errorCode,
        groupId,
        groupState: group.state,
        protocolType: group.protocolType ?? "",
        protocolData: stable ? group.protocolName ?? "" : "",
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? group.metadataFor(m) : EMPTY,
          memberAssignment: stable ? m.assignment : EMPTY,
        })),
      };
    });
  }

  /** ListGroups: every group this coordinator serves; COORDINATOR_LOAD_IN_PROGRESS while a partition loads. */
  listGroups(): { errorCode: number; groups: ListedGroup[] } {
    const loading = [...this.#partitions.values()].includes("loading");
    return {
      errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE,
      groups: [...this.#groups.values()].map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType ?? "",
        groupState: g.state,
      })),
    };
  }

  /**
   * DeleteGroups: an Empty group is deleted with its offsets (tombstones in `__consumer_offsets`);
   * NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND when there is no such group.
   */
  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const results: { groupId: string; errorCode: number }[] = [];
    for (const groupId of groupIds) results.push({ groupId, errorCode: await this.#deleteGroup(groupId) });
    return results;
  }

  async #deleteGroup(groupId: string): Promise<number> {
    const error = this.coordinatorError(groupId);
    if (error) return error;
    const group = this.#groups.get(groupId);
    if (group === undefined || group.state === "Dead") return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group.state !== "Empty") return ErrorCode.NON_EMPTY_GROUP;
    const tombstones: OffsetsTopicRecord[] = [];
    for (const [topic, partitions] of group.offsets) {
      for (const partition of partitions.keys()) tombstones.push(offsetTombstone(groupId, topic, partition));
    }
    tombstones.push(groupTombstone(groupId));
    this.#removeGroup(group, ErrorCode.UNKNOWN_MEMBER_ID);
    try {
      await this.#store.append(group.partition, tombstones);
    } catch (error) {
      return storeErrorCode(error, false);
    }
    return ErrorCode.NONE;
  }

  // ---- helpers ----

  /** Forget a group: timers cleared, waiters answered with errorCode, state Dead. */
  #removeGroup(group: Group, errorCode: number): void {
    this.#clearJoinTimer(group);
    for (const pending of group.pending.values()) this.#clock.clearTimer(pending.sessionTimer);
    group.pending.clear();
    for (const member of [...group.members.values()]) {
      if (member.sessionTimer !== undefined) this.#clock.clearTimer(member.sessionTimer);
      const joinWaiter = member.joinWaiter;
      const syncWaiter = member.syncWaiter;
      member.joinWaiter = member.syncWaiter = undefined;
      joinWaiter?.(joinError(member.memberId, errorCode));
      syncWaiter?.(syncError(errorCode));
    }
    group.members.clear();
    group.transition("Dead", this.#clock.nowMs());
    if (this.#groups.get(group.groupId) === group) this.#groups.delete(group.groupId);
  }

  /**
   * An Empty group with no members, no pending ids and no offsets is forgotten (Kafka does it on
   * offset expiry), so the group table stays bounded. Returns whether it was dropped.
   */
  #dropIfUnused(group: Group): boolean {
    if (
      group.state !== "Empty" || group.members.size > 0 || group.pending.size > 0 || group.offsets.size > 0 ||
      group.pendingTxnOffsets.size > 0
    ) {
      return false;
    }
    this.#removeGroup(group, ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.persisted) {
      // Best effort: without the tombstone a reload sees the group empty, which expires again.
      this.#store.append(group.partition, [groupTombstone(group.groupId)]).catch(() => {});
    }
    return true;
  }

  #persistQuietly(group: Group): void {
    const record = groupMetadataRecord(group.groupId, this.#snapshot(group, new Map()));
    group.persisted = true;
    // Nothing waits on it: a lost write only means a reload sees the previous generation.
    this.#store.append(group.partition, [record]).catch(() => {});
  }

  #snapshot(group: Group, assignments: Map<string, Uint8Array>): GroupMetadataValue {
    return {
      protocolType: group.protocolType ?? "",
      generationId: group.generationId,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      currentStateTimestampMs: this.#clock.nowMs(),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: group.metadataFor(m),
        assignment: assignments.get(m.memberId) ?? EMPTY,
      })),
    };
  }

  #restoreGroup(stored: LoadedGroup, partition: number): Group {
    const group = new Group(stored.groupId, partition, this.#clock.nowMs());
    for (const [topic, partitions] of stored.offsets) group.offsets.set(topic, new Map(partitions));
    for (const [producerId, pending] of stored.pendingTxnOffsets) {
      this.#addPending(group, producerId, [...pending.values()]);
    }
    const metadata = stored.metadata;
    if (metadata === null) return group;
    group.persisted = true;
    group.generationId = metadata.generationId;
    group.protocolType = metadata.protocolType || null;
    group.protocolName = metadata.protocolName;
    for (const m of metadata.members) {
      group.members.set(m.memberId, {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        protocols: [{ name: metadata.protocolName ?? "", metadata: m.subscription }],
        assignment: m.assignment,
      });
    }
    group.leaderId = metadata.leaderId;
    group.electLeaderIfGone();
    if (group.members.size > 0) {
      group.transition("Stable", this.#clock.nowMs());
      for (const member of group.members.values()) this.#scheduleSession(group, member);
    }
    return group;
  }

  #clearJoinTimer(group: Group): void {
    if (group.joinTimer !== undefined) this.#clock.clearTimer(group.joinTimer);
    group.joinTimer = undefined;
  }

  /** Join phases completed (each a new generation): vltava_group_rebalances_total. */
  rebalancesCompleted = 0;

  /** Number of groups held (for metrics and tests). */
  get groupCount(): number {
    return this.#groups.size;
  }
}

function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, generationId: -1, protocolName: "", leader: "", memberId, members: [] };
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, assignment: EMPTY };
}

function copyProtocols(protocols: MemberProtocol[]): MemberProtocol[] {
  return protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() }));
}

function sameProtocols(a: MemberProtocol[], b: MemberProtocol[]): boolean {
  return a.length === b.length &&
    a.every((p, i) => p.name === b[i].name && sameBytes(p.metadata, b[i].metadata));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Map a failed append to the code Kafka's coordinator answers with. */
function storeErrorCode(error: unknown, forCommit: boolean): number {
  if (!(error instanceof KafkaError)) return ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (error.code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return forCommit ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return error.code;
  }
}
