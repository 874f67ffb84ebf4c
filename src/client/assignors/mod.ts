/**
 * Partition assignors for the consumer group leader: "range", "roundrobin" (also as kafkajs's
 * "RoundRobinAssigner") and "sticky". The client advertises them in JoinGroup in its order of
 * preference and runs the one the coordinator selected when it is the leader.
 */
import { type Assignor, type AssignorMember, encodeGroupAssignment } from "./assignor.ts";
import {
  decodeSubscription,
  encodeSubscription,
  type Subscription,
  type TopicPartitions,
} from "../../kafka/consumer-protocol.ts";
import { WireError } from "../../wire/mod.ts";
import { rangeAssignor } from "./range.ts";
import { kafkajsRoundRobinAssignor, roundRobinAssignor } from "./round-robin.ts";
import { encodeStickyUserData, stickyAssignor } from "./sticky.ts";

export * from "./assignor.ts";
export { rangeAssignor } from "./range.ts";
export { kafkajsRoundRobinAssignor, roundRobinAssignor } from "./round-robin.ts";
export { decodeStickyUserData, encodeStickyUserData, stickyAssignor } from "./sticky.ts";

/** Every built-in assignor by protocol name. */
export const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map(
  [rangeAssignor, roundRobinAssignor, kafkajsRoundRobinAssignor, stickyAssignor].map((a) => [a.name, a]),
);

/** The built-in assignor for a protocol name; throws RangeError for an unknown one. */
export function assignorByName(name: string): Assignor {
  const assignor = ASSIGNORS.get(name);
  if (assignor === undefined) {
    throw new RangeError(`Unknown partition assignor: ${name} (known: ${[...ASSIGNORS.keys()].join(", ")})`);
  }
  return assignor;
}

/**
 * JoinGroup protocol metadata for one assignor: a Subscription v1 carrying the partitions this
 * member owns (what librdkafka and @platformatic/kafka send; v0 readers such as kafkajs ignore the
 * trailing field). For "sticky" the ownership also goes in userData in Kafka's StickyAssignor
 * layout, so Java-style sticky leaders reading only userData keep the assignment too.
 *
 * @example
 * ```ts
 * const protocols = ["sticky", "range"].map((name) => ({
 *   name,
 *   metadata: encodeMemberMetadata(name, ["orders"], currentAssignment, generationId),
 * }));
 * ```
 */
export function encodeMemberMetadata(
  protocolName: string,
  topics: readonly string[],
  owned: readonly TopicPartitions[] = [],
  generationId = -1,
): Uint8Array {
  const userData = protocolName === stickyAssignor.name ? encodeStickyUserData(owned, generationId) : null;
  return encodeSubscription({ version: 1, topics: [...topics], userData, ownedPartitions: [...owned] });
}

/**
 * The leader's whole step between JoinGroup and SyncGroup: decode each member's metadata, run
 * the selected protocol's assignor, encode one Assignment per member. A member whose metadata
 * does not decode is given nothing rather than failing the group.
 *
 * @example
 * ```ts
 * const assignments = leaderAssignments(join.protocolName, join.members, partitionsPerTopic);
 * await sync({ groupId, generationId: join.generationId, memberId: join.memberId, assignments });
 * ```
 */
export function leaderAssignments(
  protocolName: string,
  members: readonly { memberId: string; metadata: Uint8Array }[],
  partitionsPerTopic: ReadonlyMap<string, number>,
): { memberId: string; assignment: Uint8Array }[] {
  const assignor = assignorByName(protocolName);
  const decoded: AssignorMember[] = members.map(({ memberId, metadata }) => {
    let subscription: Subscription = { version: 0, topics: [], userData: null };
    try {
      subscription = decodeSubscription(metadata);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
    }
    return { memberId, subscription };
  });
  return encodeGroupAssignment(assignor.assign({ members: decoded, partitionsPerTopic }));
}
