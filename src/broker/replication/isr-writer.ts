/**
 * The leader's own ISR changes, written to /brokers/topics/<t>/partitions/<p>/state with a
 * versioned (compare-and-set) write that keeps leader, leader_epoch and controller_epoch.
 *
 * The change is a function of the ISR currently in the node, so a same-epoch change by the
 * controller (a dead follower removed) is merged, not overwritten. On a lost race the state is
 * re-read: the controller may have moved leadership meanwhile. Only while the node still names
 * this broker as leader in the same leader epoch is the write retried; otherwise the leader
 * gives up and reports the newer state so the caller can follow it.
 */
import { BadVersionError, type Coordination } from "../coordination.ts";
import {
  decodePartitionState,
  encodePartitionState,
  type PartitionState,
  partitionStatePath,
} from "../zk-layout.ts";

export type IsrWriteOutcome =
  /** The ISR now in the node (written, or already as wanted). */
  | { kind: "written"; isr: number[] }
  /** The node names another leader or epoch (or is gone): leadership moved on. */
  | { kind: "fenced"; state: PartitionState | null };

const MAX_ATTEMPTS = 5;

/** The partition state as the coordinator has it now (null when the node is missing). */
export async function readPartitionState(
  coordination: Coordination,
  topic: string,
  partition: number,
): Promise<PartitionState | null> {
  const path = partitionStatePath(topic, partition);
  const current = await coordination.getData(path);
  return current === null ? null : decodePartitionState(path, current.data);
}

/** CAS-write change(current ISR) as long as (leaderId, leaderEpoch) still leads the partition. */
export async function writeIsr(
  coordination: Coordination,
  topic: string,
  partition: number,
  leaderId: number,
  leaderEpoch: number,
  change: (current: readonly number[]) => number[],
): Promise<IsrWriteOutcome> {
  const path = partitionStatePath(topic, partition);
  for (let attempt = 1;; attempt++) {
    const current = await coordination.getData(path);
    if (current === null) return { kind: "fenced", state: null };
    const state = decodePartitionState(path, current.data);
    if (state.leader !== leaderId || state.leaderEpoch !== leaderEpoch) return { kind: "fenced", state };
    const isr = [...new Set(change(state.isr))].sort((a, b) => a - b);
    if (sameMembers(isr, state.isr)) return { kind: "written", isr };
    try {
      await coordination.setData(path, encodePartitionState({ ...state, isr }), current.version);
      return { kind: "written", isr };
    } catch (error) {
      if (!(error instanceof BadVersionError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

export function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}
