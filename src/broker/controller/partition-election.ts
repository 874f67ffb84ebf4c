/**
 * Partition leader election: the pure decision of who leads a partition and which replicas stay
 * in its ISR, given the assignment, the current state and the live brokers. No I/O, so every
 * rule is testable in isolation; the controller writes and announces whatever this returns.
 *
 * Rules (Kafka's, see the reliability section of the protocol reference):
 * - The leader is the first replica in assignment order (the preferred replica first) that is
 *   live, in the ISR and not shutting down.
 * - Dead replicas leave the ISR; so do replicas shutting down, unless one of them is the only
 *   possible leader (then it keeps leading and the shutdown reports the partition as remaining).
 * - No live ISR member: the partition goes offline (leader -1) and keeps its ISR, so the last
 *   in-sync replica is elected when it comes back. Only with unclean.leader.election.enable
 *   does an out-of-sync live replica take over (ISR = [it]; records may be lost, by choice).
 * - Every change of leader bumps the leader epoch; an ISR-only change keeps it (the leader's
 *   own ISR writes do the same, so both sides agree on what an epoch means).
 */
import { sameMembers } from "../topic-partition.ts";
import type { PartitionState } from "../zk-layout.ts";

export interface ElectionInput {
  /** Assigned replicas, preferred leader first. */
  replicas: readonly number[];
  /** Current state, or null for a partition that never had one. */
  state: PartitionState | null;
  /** Brokers with a live registration. */
  live: ReadonlySet<number>;
  /** Live brokers in controlled shutdown: they may not take leadership. */
  shuttingDown: ReadonlySet<number>;
  /** Topic config unclean.leader.election.enable. */
  uncleanAllowed: boolean;
  /** The controller epoch to stamp on a changed state. */
  controllerEpoch: number;
}

/** Why a new state was chosen (for logs). */
export type ElectionReason =
  | "new partition"
  | "leader unavailable"
  | "leader shutting down"
  | "unclean election"
  | "preferred election"
  | "offline"
  | "isr shrink";

export interface ElectionResult {
  state: PartitionState;
  reason: ElectionReason;
}

/** The new state of the partition, or null when the current one stands. */
export function electPartition(input: ElectionInput): ElectionResult | null {
  const { replicas, state, live, shuttingDown, controllerEpoch } = input;
  const eligible = (id: number) => live.has(id) && !shuttingDown.has(id);
  if (state === null) {
    const isr = replicas.filter((id) => live.has(id));
    const leader = replicas.find(eligible) ?? isr[0] ?? -1;
    return { state: { leader, leaderEpoch: 0, isr, controllerEpoch }, reason: "new partition" };
  }
  const liveIsr = state.isr.filter((id) => live.has(id));
  const leaderOk = state.leader >= 0 && eligible(state.leader) && state.isr.includes(state.leader);
  if (leaderOk) {
    // Keep the leader; drop dead replicas and those shutting down from the ISR.
    const isr = liveIsr.filter((id) => id === state.leader || !shuttingDown.has(id));
    if (sameMembers(isr, state.isr)) return null;
    return { state: { ...state, isr, controllerEpoch }, reason: "isr shrink" };
  }
  const candidate = replicas.find((id) => eligible(id) && liveIsr.includes(id));
  if (candidate !== undefined) {
    const isr = liveIsr.filter((id) => id === candidate || !shuttingDown.has(id));
    const reason = state.leader >= 0 && shuttingDown.has(state.leader)
      ? "leader shutting down"
      : "leader unavailable";
    return { state: bump(state, candidate, isr, controllerEpoch), reason };
  }
  // Only replicas shutting down (or none) are in sync and live.
  if (state.leader >= 0 && live.has(state.leader) && state.isr.includes(state.leader)) {
    const isr = liveIsr;
    if (sameMembers(isr, state.isr)) return null;
    return { state: { ...state, isr, controllerEpoch }, reason: "isr shrink" };
  }
  const shuttingInSync = liveIsr[0];
  if (shuttingInSync !== undefined) {
    return { state: bump(state, shuttingInSync, liveIsr, controllerEpoch), reason: "leader unavailable" };
  }
  if (input.uncleanAllowed) {
    const anyLive = replicas.find(eligible) ?? replicas.find((id) => live.has(id));
    if (anyLive !== undefined) {
      return { state: bump(state, anyLive, [anyLive], controllerEpoch), reason: "unclean election" };
    }
  }
  if (state.leader === -1) return null;
  // Offline: keep the ISR as it was so its last member is elected when it returns.
  return { state: bump(state, -1, state.isr, controllerEpoch), reason: "offline" };
}

function bump(state: PartitionState, leader: number, isr: number[], controllerEpoch: number): PartitionState {
  return { leader, leaderEpoch: state.leaderEpoch + 1, isr, controllerEpoch };
}

/** Topic config value of unclean.leader.election.enable (default false). */
export function uncleanElectionEnabled(configs: Record<string, string>): boolean {
  return configs["unclean.leader.election.enable"] === "true";
}
