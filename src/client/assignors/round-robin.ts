/**
 * The round-robin assignor, as Kafka's RoundRobinAssignor: every partition of every subscribed
 * topic, sorted by topic then partition, is dealt in turn to the members (sorted by member id),
 * skipping members not subscribed to that partition's topic.
 *
 * kafkajs names its round-robin assignor "RoundRobinAssigner" (same result when all members
 * subscribe to the same topics), so a client that wants to share a group with kafkajs consumers
 * advertises both `roundRobinAssignor` and `kafkajsRoundRobinAssignor`.
 */
import {
  addPartition,
  type AssignInput,
  type Assignor,
  compare,
  emptyBuilder,
  finish,
  type GroupAssignment,
  knownTopics,
  sortedMemberIds,
} from "./assignor.ts";

function assignRoundRobin({ members, partitionsPerTopic }: AssignInput): GroupAssignment {
  const builder = emptyBuilder(members);
  const memberIds = sortedMemberIds(members);
  const subscribed = new Map(
    members.map((m) => [m.memberId, new Set(knownTopics(m.subscription, partitionsPerTopic))]),
  );
  const topics = [...new Set([...subscribed.values()].flatMap((set) => [...set]))].sort(compare);
  let next = 0;
  for (const topic of topics) {
    for (let partition = 0; partition < partitionsPerTopic.get(topic)!; partition++) {
      // Some member subscribes to every topic in the list, so this finds one within a full turn.
      for (let tries = 0; tries < memberIds.length; tries++) {
        const memberId = memberIds[next];
        next = (next + 1) % memberIds.length;
        if (subscribed.get(memberId)!.has(topic)) {
          addPartition(builder, memberId, topic, partition);
          break;
        }
      }
    }
  }
  return finish(builder);
}

/** Protocol name "roundrobin" (librdkafka, Java, @platformatic/kafka). */
export const roundRobinAssignor: Assignor = { name: "roundrobin", assign: assignRoundRobin };

/** The same assignor under kafkajs's protocol name "RoundRobinAssigner". */
export const kafkajsRoundRobinAssignor: Assignor = { name: "RoundRobinAssigner", assign: assignRoundRobin };
