/**
 * Partition assignors for the consumer group leader: "range", "roundrobin" (also as kafkajs's
 * "RoundRobinAssigner") and "sticky". The client advertises them in JoinGroup in its order of
 * preference and runs the one the coordinator selected when it is the leader.
 */
import type { Assignor } from "./assignor.ts";
import { rangeAssignor } from "./range.ts";
import { kafkajsRoundRobinAssignor, roundRobinAssignor } from "./round-robin.ts";
import { stickyAssignor } from "./sticky.ts";

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
