/**
 * The range assignor, as Kafka's RangeAssignor: topic by topic, the members subscribed to it
 * (sorted by member id) get consecutive ranges of partitions; the first `partitions % members`
 * of them get one extra. Co-partitioned topics therefore land on the same member.
 */
import {
  addPartition,
  type AssignInput,
  type Assignor,
  emptyBuilder,
  finish,
  type GroupAssignment,
  knownTopics,
  sortedMemberIds,
} from "./assignor.ts";

/** Protocol name "range" (librdkafka's and Java's default). */
export const rangeAssignor: Assignor = {
  name: "range",
  assign({ members, partitionsPerTopic }: AssignInput): GroupAssignment {
    const builder = emptyBuilder(members);
    const subscribers = new Map<string, string[]>();
    const byId = new Map(members.map((m) => [m.memberId, m]));
    for (const memberId of sortedMemberIds(members)) {
      for (const topic of knownTopics(byId.get(memberId)!.subscription, partitionsPerTopic)) {
        if (!subscribers.has(topic)) subscribers.set(topic, []);
        subscribers.get(topic)!.push(memberId);
      }
    }
    for (const [topic, memberIds] of subscribers) {
      const count = partitionsPerTopic.get(topic)!;
      const base = Math.floor(count / memberIds.length);
      const extra = count % memberIds.length;
      memberIds.forEach((memberId, i) => {
        const start = base * i + Math.min(i, extra);
        const length = base + (i < extra ? 1 : 0);
        for (let p = start; p < start + length; p++) addPartition(builder, memberId, topic, p);
      });
    }
    return finish(builder);
  },
};
