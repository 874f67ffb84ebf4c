/**
 * One consumer group's in-memory state: members in join order, the generation, the selected
 * protocol, the leader, committed offsets, open transactions' pending offsets, and the waiters of join and sync requests that are
 * parked until a rebalance step completes. Pure data plus small queries; the state machine that
 * moves it lives in coordinator.ts.
 */
import type { TimerId } from "./clock.ts";
import type { OffsetCommitValue, PendingTxnOffset } from "./offsets-records.ts";
import type { GroupState, JoinGroupResult, MemberProtocol, SyncGroupResult } from "./types.ts";

/** A joined member. */
export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** In the member's order of preference. */
  protocols: MemberProtocol[];
  /** Bytes from the leader's last SyncGroup for this member; empty when none. */
  assignment: Uint8Array;
  /** Set while the member's JoinGroup waits for the rebalance to complete. */
  joinWaiter?: (result: JoinGroupResult) => void;
  /** Set while the member's SyncGroup waits for the leader's assignment. */
  syncWaiter?: (result: SyncGroupResult) => void;
  sessionTimer?: TimerId;
}

/** A member id handed out with MEMBER_ID_REQUIRED that has not rejoined yet. */
export interface PendingMember {
  memberId: string;
  sessionTimer: TimerId;
}

const EMPTY = new Uint8Array(0);

/** A consumer group. */
export class Group {
  readonly groupId: string;
  readonly partition: number;
  state: GroupState = "Empty";
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Insertion order = join order (the leader is the first joined member). */
  readonly members = new Map<string, Member>();
  readonly pending = new Map<string, PendingMember>();
  /** topic -> partition -> committed offset. */
  readonly offsets = new Map<string, Map<number, OffsetCommitValue>>();
  /**
   * Offsets committed by still-open transactions (TxnOffsetCommit): producer id ->
   * offsetKey(topic, partition) -> offset. Invisible to OffsetFetch until the COMMIT marker.
   */
  readonly pendingTxnOffsets = new Map<bigint, Map<string, PendingTxnOffset>>();
  /** Timer completing the current join phase (rebalance timeout or initial delay). */
  joinTimer?: TimerId;
  /** True while a new group waits group.initial.rebalance.delay.ms for more members. */
  inInitialDelay = false;
  /** Set when a member joined during the initial delay (the delay is extended once more). */
  newMemberAdded = false;
  /** Whether a metadata record for this group was ever written (a tombstone is then due on removal). */
  persisted = false;
  stateTimestampMs: number;

  constructor(groupId: string, partition: number, nowMs: number) {
    this.groupId = groupId;
    this.partition = partition;
    this.stateTimestampMs = nowMs;
  }

  transition(state: GroupState, nowMs: number): void {
    this.state = state;
    this.stateTimestampMs = nowMs;
  }

  /** Every member has a join request parked and no handed-out member id is still outstanding. */
  allMembersJoined(): boolean {
    if (this.pending.size > 0) return false;
    for (const member of this.members.values()) if (member.joinWaiter === undefined) return false;
    return true;
  }

  /** The longest rebalance timeout among members: how long a rebalance waits for rejoins. */
  maxRebalanceTimeoutMs(): number {
    let maxMs = 0;
    for (const member of this.members.values()) maxMs = Math.max(maxMs, member.rebalanceTimeoutMs);
    return maxMs;
  }

  /** Protocols every member supports (in the first member's order of preference). */
  candidateProtocols(): string[] {
    let candidates: string[] | null = null;
    for (const member of this.members.values()) {
      const names = member.protocols.map((p) => p.name);
      candidates = candidates === null ? names : candidates.filter((name) => names.includes(name));
    }
    return candidates ?? [];
  }

  /** Whether a joining member's protocols fit the group (same type, at least one common protocol). */
  supportsProtocols(protocolType: string, protocols: MemberProtocol[]): boolean {
    if (this.members.size === 0) return protocolType !== "" && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.includes(p.name));
  }

  /**
   * Protocol selection by vote: each member votes for its most preferred protocol among those
   * all members support; most votes wins, ties go to the earlier candidate. Null when there is
   * no common protocol (the coordinator refuses such joins, so a non-empty group always has one).
   */
  selectProtocol(): string | null {
    const candidates = this.candidateProtocols();
    if (candidates.length === 0) return null;
    const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
    for (const member of this.members.values()) {
      const choice = member.protocols.find((p) => votes.has(p.name));
      if (choice !== undefined) votes.set(choice.name, votes.get(choice.name)! + 1);
    }
    let best = candidates[0];
    for (const name of candidates) if (votes.get(name)! > votes.get(best)!) best = name;
    return best;
  }

  /** A member's metadata for the selected protocol (empty when it has none). */
  metadataFor(member: Member, protocolName = this.protocolName): Uint8Array {
    return member.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY;
  }

  /** Pick the first remaining member as leader when the leader is gone. */
  electLeaderIfGone(): void {
    if (this.leaderId !== null && this.members.has(this.leaderId)) return;
    const first = this.members.keys().next();
    this.leaderId = first.done ? null : first.value;
  }

  /** Number of committed offsets. */
  offsetCount(): number {
    let count = 0;
    for (const partitions of this.offsets.values()) count += partitions.size;
    return count;
  }
}
