/**
 * One aligned terminal line per event: time (UTC, ms), type, subject (what it is about), and the
 * facts in words. Columns have fixed widths so a stream of lines reads as a table.
 *
 * @example
 * ```ts
 * formatEventLine(event); // "2026-12-05T05:40:12.345Z  leader-changed             orders-0      leader 2 -> 3, epoch 5 (old leader offline)"
 * ```
 */
import type { ClusterEvent } from "./cluster-event.ts";

const TYPE_WIDTH = 25; // "group-rebalance-completed"
const SUBJECT_WIDTH = 20;

const list = (ids: number[]) => `[${ids.join(",")}]`;

/** What the event is about: a broker, a topic, a partition or a group. */
export function eventSubject(event: ClusterEvent): string {
  switch (event.type) {
    case "controller-elected":
    case "broker-joined":
    case "broker-left":
      return `broker ${event.broker}`;
    case "topic-created":
    case "topic-deleted":
      return event.topic;
    case "leader-changed":
    case "isr-shrunk":
    case "isr-expanded":
    case "high-watermark":
      return `${event.topic}-${event.partition}`;
    case "group-rebalance-started":
    case "group-rebalance-completed":
    case "member-joined":
    case "member-left":
      return `group ${event.group}`;
  }
}

/** The facts, in words. */
export function eventDetails(event: ClusterEvent): string {
  switch (event.type) {
    case "controller-elected":
      return `controller epoch ${event.epoch}`;
    case "broker-joined":
      return `at ${event.host}:${event.port}`;
    case "broker-left":
      return `was ${event.host}:${event.port} (${event.how})`;
    case "topic-created":
      return `${event.partitions} partition(s), replication factor ${event.replicationFactor}`;
    case "topic-deleted":
      return "deleted";
    case "leader-changed":
      return `leader ${event.oldLeader ?? "none"} -> ${event.newLeader}, epoch ${event.leaderEpoch}` +
        (event.why ? ` (${event.why})` : "");
    case "isr-shrunk":
    case "isr-expanded":
      return `isr ${list(event.oldIsr)} -> ${list(event.newIsr)}, leader ${event.leader}`;
    case "high-watermark":
      return `high watermark ${event.value} (leader ${event.leader})`;
    case "group-rebalance-started":
      return `${event.state} from generation ${event.generation ?? "?"}, ${event.members.length} member(s)`;
    case "group-rebalance-completed":
      return `Stable, generation ${event.generation ?? "?"}, ${event.members.length} member(s): ` +
        Object.entries(event.assignment).map(([member, parts]) => `${member.slice(0, 12)}=${parts.join(",")}`)
          .join(" ");
    case "member-joined":
    case "member-left":
      return `${event.member} (${event.clientId}@${event.clientHost})`;
  }
}

/** The aligned line for one event. */
export function formatEventLine(event: ClusterEvent): string {
  const time = new Date(event.time).toISOString();
  return `${time}  ${event.type.padEnd(TYPE_WIDTH)}  ${eventSubject(event).padEnd(SUBJECT_WIDTH)}  ${
    eventDetails(event)
  }`;
}
