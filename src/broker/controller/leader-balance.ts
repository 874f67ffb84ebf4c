/**
 * Leaders where they belong: the pure decisions behind ElectLeaders and the controller's
 * automatic leader rebalance (Kafka's preferred replica election). No I/O: the controller writes
 * and announces what these return.
 *
 * - Preferred election: the first assigned replica (the preferred leader) takes over when it is
 *   live, in the ISR and not shutting down; ISR unchanged, leader epoch bumped.
 * - Unclean election (asked for explicitly): a partition without a live leader gets one even
 *   from outside the ISR, as electPartition does with unclean.leader.election.enable.
 * - Auto rebalance (auto.leader.rebalance.enable): for each broker, the share of the partitions
 *   it is preferred leader of that it does not lead; above leader.imbalance.per.broker.percentage,
 *   every such partition whose preferred replica could lead is elected back.
 */
import type { PartitionState } from "../zk-layout.ts";
import { electPartition } from "./partition-election.ts";

export interface BalanceInput {
  /** Assigned replicas, preferred leader first. */
  replicas: readonly number[];
  state: PartitionState;
  live: ReadonlySet<number>;
  shuttingDown: ReadonlySet<number>;
  controllerEpoch: number;
}

/** Why an election was not made (ElectLeaders reports it per partition). */
export type NoElection = "not needed" | "preferred not available" | "no eligible leader";

/** The preferred replica as leader, or why not. */
export function electPreferred(input: BalanceInput): PartitionState | NoElection {
  const { replicas, state, live, shuttingDown, controllerEpoch } = input;
  const preferred = replicas[0];
  if (state.leader === preferred) return "not needed";
  if (!live.has(preferred) || shuttingDown.has(preferred) || !state.isr.includes(preferred)) {
    return "preferred not available";
  }
  return { leader: preferred, leaderEpoch: state.leaderEpoch + 1, isr: state.isr, controllerEpoch };
}

/** A leader for a partition that has none, from outside the ISR if need be; or why not. */
export function electUnclean(input: BalanceInput): PartitionState | NoElection {
  const { state, live } = input;
  if (state.leader >= 0 && live.has(state.leader)) return "not needed";
  const result = electPartition({ ...input, uncleanAllowed: true });
  if (result === null || result.state.leader < 0) return "no eligible leader";
  return result.state;
}

export interface PartitionLeadership {
  topic: string;
  partition: number;
  replicas: readonly number[];
  state: PartitionState;
}

/**
 * Partitions the auto rebalance elects back to their preferred leader: those of every broker
 * whose share of not-led preferred partitions exceeds `percentage` (Kafka's
 * leader.imbalance.per.broker.percentage), limited to those the preferred replica can lead now.
 */
export function imbalancedPartitions(
  partitions: Iterable<PartitionLeadership>,
  live: ReadonlySet<number>,
  shuttingDown: ReadonlySet<number>,
  percentage: number,
): PartitionLeadership[] {
  const preferredOf = new Map<number, { total: number; misplaced: PartitionLeadership[] }>();
  for (const partition of partitions) {
    const preferred = partition.replicas[0];
    if (preferred === undefined) continue;
    const entry = preferredOf.get(preferred) ?? { total: 0, misplaced: [] };
    entry.total++;
    if (partition.state.leader !== preferred) entry.misplaced.push(partition);
    preferredOf.set(preferred, entry);
  }
  const chosen: PartitionLeadership[] = [];
  for (const [broker, { total, misplaced }] of preferredOf) {
    if (!live.has(broker) || shuttingDown.has(broker)) continue;
    if ((misplaced.length * 100) / total <= percentage) continue;
    for (const partition of misplaced) {
      if (partition.state.isr.includes(broker)) chosen.push(partition);
    }
  }
  return chosen;
}
