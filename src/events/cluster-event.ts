/**
 * The typed records of the event timeline: one per distributed event, with the time it happened
 * and the facts that explain it. `type` is exactly the name the console's API and `vltava events
 * --json` print, so scripts can rely on it. Times are milliseconds since the epoch; for events
 * derived from the coordinator tree they are the server's own ctime / mtime of the znode when the
 * change left one (the moment it happened, not the moment we heard of it).
 *
 * @example
 * ```ts
 * const event: ClusterEvent = { type: "controller-elected", seq: 1, time: Date.now(), broker: 2, epoch: 7 };
 * ```
 */

/** Fields every event carries. */
interface EventBase {
  /** Position in the timeline that recorded it (1, 2, …; strictly increasing). */
  seq: number;
  /** When it happened, ms since the epoch. */
  time: number;
  /**
   * True for events rebuilt from the tree's state when the timeline started (a broker's
   * registration time, a topic's creation time), false or absent for changes seen live.
   */
  replayed?: boolean;
}

/** A partition's state as its state node holds it: what `before` / `after` of an event show. */
export interface PartitionStateFacts {
  leader: number;
  leaderEpoch: number;
  isr: number[];
}

/** A broker won the controller election (a new /controller node, or a new epoch in it). */
export interface ControllerElected extends EventBase {
  type: "controller-elected";
  broker: number;
  epoch: number;
  /** The controller the timeline knew before (null: none, or this is the first it saw). */
  previous?: { broker: number; epoch: number } | null;
}

/** A broker registered (its ephemeral /brokers/ids/N appeared). */
export interface BrokerJoined extends EventBase {
  type: "broker-joined";
  broker: number;
  host: string;
  port: number;
  /** Live broker ids just before and just after (sorted). */
  liveBefore?: number[];
  liveAfter?: number[];
}

/**
 * A broker's registration vanished. `how` is inferred from the tree: "clean" when it led nothing
 * and sat in no shared ISR when it left (a controlled shutdown moves those away first), "expired"
 * when it still did (its session ended under it: crash, kill, pause or partition), "unknown" when it
 * hosted no replicated partition at all.
 */
export interface BrokerLeft extends EventBase {
  type: "broker-left";
  broker: number;
  host: string;
  port: number;
  how: "clean" | "expired" | "unknown";
  /** Live broker ids just before and just after (sorted). */
  liveBefore?: number[];
  liveAfter?: number[];
}

/** A topic's assignment node appeared. */
export interface TopicCreated extends EventBase {
  type: "topic-created";
  topic: string;
  partitions: number;
  replicationFactor: number;
}

/** A topic's assignment node was deleted. */
export interface TopicDeleted extends EventBase {
  type: "topic-deleted";
  topic: string;
}

/** A partition's leader (or leader epoch) changed in its state node. */
export interface LeaderChanged extends EventBase {
  type: "leader-changed";
  topic: string;
  partition: number;
  /** null when the partition had no state before (it was just created). */
  oldLeader: number | null;
  /** -1 when the partition is now offline (no replica in the ISR is alive). */
  newLeader: number;
  leaderEpoch: number;
  /** Why, when the tree tells: e.g. "old leader offline", "partition created". */
  why?: string;
  /** The partition's whole state before (null: it had none) and after the change. */
  before?: PartitionStateFacts | null;
  after?: PartitionStateFacts;
}

/** A partition's ISR lost (isr-shrunk) or gained (isr-expanded) members. */
export interface IsrChanged extends EventBase {
  type: "isr-shrunk" | "isr-expanded";
  topic: string;
  partition: number;
  oldIsr: number[];
  newIsr: number[];
  leader: number;
  leaderEpoch: number;
  /** The partition's whole state before and after the state node's change. */
  before?: PartitionStateFacts;
  after?: PartitionStateFacts;
}

/** A partition's high watermark moved (sampled from its leader; at most one per sample interval). */
export interface HighWatermark extends EventBase {
  type: "high-watermark";
  topic: string;
  partition: number;
  value: number;
  leader: number;
}

/** A member of a group as its coordinator describes it. */
export interface GroupMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  /** "topic-partition" strings assigned to it (consumer protocol), empty while rebalancing. */
  partitions: string[];
}

/** A group left Stable / Empty for a rebalance (PreparingRebalance or CompletingRebalance). */
export interface GroupRebalanceStarted extends EventBase {
  type: "group-rebalance-started";
  group: string;
  state: string;
  /**
   * The generation being rebalanced away from (its last completed one; DescribeGroups does not
   * carry it: read from the group metadata record in `__consumer_offsets`). null: not known.
   */
  generation: number | null;
  members: string[];
}

/** A group became Stable again, with its members and their assignment. */
export interface GroupRebalanceCompleted extends EventBase {
  type: "group-rebalance-completed";
  group: string;
  /** The new generation (from the record the coordinator committed before going Stable); null: not known. */
  generation: number | null;
  members: string[];
  /** member id -> "topic-partition" strings. */
  assignment: Record<string, string[]>;
}

/** A member appeared in (member-joined) or vanished from (member-left) a group. */
export interface MemberChanged extends EventBase {
  type: "member-joined" | "member-left";
  group: string;
  member: string;
  clientId: string;
  clientHost: string;
}

/** Every event of the timeline. */
export type ClusterEvent =
  | ControllerElected
  | BrokerJoined
  | BrokerLeft
  | TopicCreated
  | TopicDeleted
  | LeaderChanged
  | IsrChanged
  | HighWatermark
  | GroupRebalanceStarted
  | GroupRebalanceCompleted
  | MemberChanged;

/** The `type` names, in the order the issue lists them (for filters and help text). */
export const EVENT_TYPES = [
  "controller-elected",
  "broker-joined",
  "broker-left",
  "topic-created",
  "topic-deleted",
  "leader-changed",
  "isr-shrunk",
  "isr-expanded",
  "high-watermark",
  "group-rebalance-started",
  "group-rebalance-completed",
  "member-joined",
  "member-left",
] as const satisfies readonly ClusterEvent["type"][];

export type EventType = (typeof EVENT_TYPES)[number];

/** An event before the timeline numbered it. */
export type NewEvent = ClusterEvent extends infer E ? E extends ClusterEvent ? Omit<E, "seq"> : never
  : never;
