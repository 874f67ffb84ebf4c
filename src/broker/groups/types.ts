/**
 * Inputs and results of the group coordinator's operations. They mirror the Kafka request and
 * response bodies (camelCase, errors as codes) without any wire detail, so a broker handler maps
 * a decoded request to an input and a result to a response field by field.
 */
/** Group states of Kafka's classic protocol, spelled as DescribeGroups reports them. */
export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

/** A protocol a member supports, with its metadata (a consumer Subscription). */
export interface MemberProtocol {
  name: string;
  metadata: Uint8Array;
}

/** JoinGroup v0-5. */
export interface JoinGroupInput {
  groupId: string;
  /** "" for a new member. */
  memberId: string;
  /** v5 static membership id; stored and reported, but members are treated as dynamic. */
  groupInstanceId?: string | null;
  /** From the request header (the new member id is `clientId-UUID`). */
  clientId: string;
  /** The client's address as the broker sees it. */
  clientHost: string;
  sessionTimeoutMs: number;
  /** v1+; absent, -1 or 0 (v0) means: use the session timeout, as Kafka does. */
  rebalanceTimeoutMs?: number;
  protocolType: string;
  protocols: MemberProtocol[];
  /** True for JoinGroup v4+: an unknown member first gets MEMBER_ID_REQUIRED and an id. */
  requireKnownMemberId: boolean;
}

/** A member as the leader sees it in its JoinGroup response. */
export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Uint8Array;
}

/** JoinGroup response body (throttle time is the broker's). */
export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  /** The selected protocol ("" on errors; the v0-5 field is not nullable). */
  protocolName: string;
  leader: string;
  memberId: string;
  /** Filled for the leader only. */
  members: JoinGroupMember[];
}

/** SyncGroup v0-3. */
export interface SyncGroupInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
  /** Sent by the leader: one entry per member; empty from followers. */
  assignments: { memberId: string; assignment: Uint8Array }[];
}

export interface SyncGroupResult {
  errorCode: number;
  /** This member's assignment bytes; empty when none (or on error). */
  assignment: Uint8Array;
}

/** Heartbeat v0-3. */
export interface HeartbeatInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
}

/** LeaveGroup v0-3: `memberId` (v0-2) or `members` (v3), as the codec reads them. */
export interface LeaveGroupInput {
  groupId: string;
  memberId?: string;
  members?: { memberId: string; groupInstanceId?: string | null }[];
}

/**
 * LeaveGroup response. For v0-2 (one `memberId`) the member's error is the top-level
 * `errorCode`, as those versions have nothing else; for v3 it is per member.
 */
export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

/** OffsetCommit v0-5 (the codec's request shape). */
export interface OffsetCommitInput {
  groupId: string;
  /** -1 (and member id "") for simple consumers; absent (v0) = -1. */
  generationId?: number;
  /** Absent (v0) = "". */
  memberId?: string;
  groupInstanceId?: string | null;
  topics: {
    name: string;
    partitions: {
      partitionIndex: number;
      committedOffset: number;
      /** v6+ only; -1 otherwise. */
      committedLeaderEpoch?: number;
      /** v1 only: the commit timestamp (ms) the client chose; -1 or absent = now. */
      commitTimestamp?: number;
      committedMetadata: string | null;
    }[];
  }[];
}

export interface OffsetCommitResult {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

/** OffsetFetch v0-7. */
export interface OffsetFetchInput {
  groupId: string;
  /** null (v2+) = every committed offset of the group. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
  /** v7+: answer UNSTABLE_OFFSET_COMMIT where an open transaction commits the partition. */
  requireStable?: boolean;
}

/** TxnOffsetCommit v0-3: an OffsetCommit made inside a producer's transaction. */
export interface TxnOffsetCommitInput extends OffsetCommitInput {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

export interface OffsetFetchPartition {
  partitionIndex: number;
  /** -1 when nothing is committed. */
  committedOffset: number;
  committedLeaderEpoch: number;
  /** "" when nothing is committed. */
  metadata: string;
  errorCode: number;
}

export interface OffsetFetchResult {
  /** Top-level error (v2+); v0-1 carry it in each partition instead. */
  errorCode: number;
  topics: { name: string; partitions: OffsetFetchPartition[] }[];
}

/** One member in a DescribeGroups answer. */
export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Metadata for the selected protocol; empty unless the group is Stable (as Kafka does). */
  memberMetadata: Uint8Array;
  /** Assignment bytes; empty unless the group is Stable. */
  memberAssignment: Uint8Array;
}

/** One group in a DescribeGroups answer. Unknown groups come back as state "Dead". */
export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: GroupState;
  protocolType: string;
  /** The selected protocol when Stable, else "". */
  protocolData: string;
  members: DescribedMember[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: GroupState;
}
