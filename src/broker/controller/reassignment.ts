/**
 * Partition reassignment, the pure decisions (Kafka's KIP-455 flow in the controller; no I/O):
 *
 * 1. start: the partition's replicas become target + the old ones not in it (target first, so
 *    the preferred leader is the target's first), with `adding` (target − old) and `removing`
 *    (old − target) recorded beside them; the leader epoch is bumped so every replica, new ones
 *    included, hears the new replica list and the new replicas start fetching.
 * 2. complete, once every target replica is in the ISR: the replicas become the target, the ISR
 *    loses the removed ones, the leader moves into the target if it is not there (epoch bumped
 *    either way); the removed replicas are then stopped and delete their logs.
 * 3. cancel: the replicas go back to the old set (the added ones are stopped and deleted).
 * A new target for a partition being reassigned starts from its original replicas, as in Kafka.
 */
import type { PartitionState, Reassignment } from "../zk-layout.ts";

/** Why a target is refused (INVALID_REPLICA_ASSIGNMENT), or null when it is acceptable. */
export function targetProblem(target: readonly number[], registered: ReadonlySet<number>): string | null {
  if (target.length === 0) return "the replica list is empty";
  if (new Set(target).size !== target.length) return `replicas [${target}] name a broker twice`;
  const unknown = target.filter((id) => !registered.has(id));
  if (unknown.length > 0) {
    // The brokers the controller knows, so an operator (or a failing test) sees what it saw.
    const known = [...registered].sort((a, b) => a - b).join(", ");
    return `unknown broker${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (registered: ${
      known || "none"
    })`;
  }
  return null;
}

/** The replicas a partition had before its reassignment (all of them when there is none). */
export function originalReplicas(
  replicas: readonly number[],
  reassignment: Reassignment | undefined,
): number[] {
  return reassignment ? replicas.filter((id) => !reassignment.adding.includes(id)) : [...replicas];
}

/** The replicas a reassignment ends with. */
export function targetReplicas(replicas: readonly number[], reassignment: Reassignment): number[] {
  return replicas.filter((id) => !reassignment.removing.includes(id));
}

export interface Step {
  replicas: number[];
  /** null: the partition has no reassignment in progress after this step. */
  reassignment: Reassignment | null;
  state: PartitionState;
}

/** Start (or restart with a new target) a reassignment; null when the target is the current set. */
export function startReassignment(
  replicas: readonly number[],
  current: Reassignment | undefined,
  target: readonly number[],
  state: PartitionState,
  controllerEpoch: number,
): Step | null {
  const origin = originalReplicas(replicas, current);
  if (current === undefined && sameOrder(origin, target)) return null;
  const full = [...new Set([...target, ...origin])];
  const adding = target.filter((id) => !origin.includes(id));
  const removing = origin.filter((id) => !target.includes(id));
  // Only the preferred order changes: no replicas to add or remove, nothing to wait for.
  if (adding.length === 0 && removing.length === 0) {
    return {
      replicas: [...target],
      reassignment: null,
      state: { ...state, leaderEpoch: state.leaderEpoch + 1, controllerEpoch },
    };
  }
  return {
    replicas: full,
    reassignment: { adding, removing },
    // Replicas dropped by an earlier target leave the ISR now (they are no longer assigned).
    state: {
      ...state,
      isr: state.isr.filter((id) => full.includes(id)),
      leaderEpoch: state.leaderEpoch + 1,
      controllerEpoch,
    },
  };
}

/**
 * Finish a reassignment whose target replicas are all in sync; null while they are not, or when
 * no live in-sync target replica could lead.
 */
export function completeReassignment(
  replicas: readonly number[],
  reassignment: Reassignment,
  state: PartitionState,
  live: ReadonlySet<number>,
  controllerEpoch: number,
): Step | null {
  const target = targetReplicas(replicas, reassignment);
  if (!target.every((id) => state.isr.includes(id))) return null;
  return moveTo(target, state, live, controllerEpoch);
}

/** Go back to the original replicas; null when none of them is live and in sync to lead. */
export function cancelReassignment(
  replicas: readonly number[],
  reassignment: Reassignment,
  state: PartitionState,
  live: ReadonlySet<number>,
  controllerEpoch: number,
): Step | null {
  return moveTo(originalReplicas(replicas, reassignment), state, live, controllerEpoch);
}

function moveTo(
  replicas: number[],
  state: PartitionState,
  live: ReadonlySet<number>,
  controllerEpoch: number,
): Step | null {
  const isr = state.isr.filter((id) => replicas.includes(id));
  const leaderStays = replicas.includes(state.leader) && live.has(state.leader) && isr.includes(state.leader);
  const leader = leaderStays ? state.leader : replicas.find((id) => live.has(id) && isr.includes(id));
  if (leader === undefined) return null;
  return {
    replicas,
    reassignment: null,
    state: { leader, leaderEpoch: state.leaderEpoch + 1, isr, controllerEpoch },
  };
}

function sameOrder(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
