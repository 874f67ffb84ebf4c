/**
 * The contract of a partition assignor (run by the group leader after JoinGroup) and helpers
 * shared by the assignors: each member's Subscription in, each member's partitions out, and the
 * conversion to the Assignment bytes a leader sends in SyncGroup.
 */
import {
  type Assignment,
  encodeAssignment,
  type Subscription,
  type TopicPartitions,
} from "../../kafka/consumer-protocol.ts";

/** A member as the leader's JoinGroup response lists it, with its decoded Subscription. */
export interface AssignorMember {
  memberId: string;
  subscription: Subscription;
}

/** What an assignor works from. */
export interface AssignInput {
  members: readonly AssignorMember[];
  /** Partition count of every known topic; subscribed topics missing here get nothing. */
  partitionsPerTopic: ReadonlyMap<string, number>;
}

/** memberId -> its partitions, topics sorted by name, partitions ascending; every member present. */
export type GroupAssignment = Map<string, TopicPartitions[]>;

/** A partition assignor, advertised in JoinGroup under `name`. */
export interface Assignor {
  readonly name: string;
  assign(input: AssignInput): GroupAssignment;
}

/** Mutable working form: memberId -> topic -> partitions. */
export type AssignmentBuilder = Map<string, Map<string, number[]>>;

/** An empty builder with every member present, members in sorted order. */
export function emptyBuilder(members: readonly AssignorMember[]): AssignmentBuilder {
  const builder: AssignmentBuilder = new Map();
  for (const memberId of sortedMemberIds(members)) builder.set(memberId, new Map());
  return builder;
}

/** Add one partition to a member in a builder. */
export function addPartition(
  builder: AssignmentBuilder,
  memberId: string,
  topic: string,
  partition: number,
): void {
  const topics = builder.get(memberId)!;
  let partitions = topics.get(topic);
  if (partitions === undefined) topics.set(topic, partitions = []);
  partitions.push(partition);
}

/** Freeze a builder into the sorted output form. */
export function finish(builder: AssignmentBuilder): GroupAssignment {
  const result: GroupAssignment = new Map();
  for (const [memberId, topics] of builder) {
    const list = [...topics].filter(([, partitions]) => partitions.length > 0)
      .sort(([a], [b]) => compare(a, b))
      .map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }));
    result.set(memberId, list);
  }
  return result;
}

/** Member ids in a fixed order (the leader's order must not depend on arrival order). */
export function sortedMemberIds(members: readonly AssignorMember[]): string[] {
  return members.map((m) => m.memberId).sort(compare);
}

/** Subscribed topics that exist, sorted, without duplicates. */
export function knownTopics(
  subscription: Subscription,
  partitionsPerTopic: ReadonlyMap<string, number>,
): string[] {
  return [...new Set(subscription.topics)].filter((t) => (partitionsPerTopic.get(t) ?? 0) > 0).sort(compare);
}

/** Code-unit order (what Java's String.compareTo does), independent of locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The SyncGroup assignments a leader sends: one Assignment per member, encoded (version 0, the
 * layout every client reads).
 *
 * @example
 * ```ts
 * const assignments = encodeGroupAssignment(rangeAssignor.assign({ members, partitionsPerTopic }));
 * ```
 */
export function encodeGroupAssignment(
  assignment: GroupAssignment,
  userData: Uint8Array | null = null,
): { memberId: string; assignment: Uint8Array }[] {
  return [...assignment].map(([memberId, assignedPartitions]) => {
    const value: Assignment = { version: 0, assignedPartitions, userData };
    return { memberId, assignment: encodeAssignment(value) };
  });
}
