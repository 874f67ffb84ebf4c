/**
 * The leader's own ISR changes, written to /brokers/topics/<t>/partitions/<p>/state with a
 * versioned (compare-and-set) write that keeps leader, leader_epoch and controller_epoch.
 *
 * On a lost race the state is re-read: the controller may have moved leadership meanwhile.
 * Only while the node still names this broker as leader in the same leader epoch is the write
 * retried; otherwise the leader gives up and reports the newer state so the caller can follow.
 */
import { BadVersionError, type Coordination } from "../coordination.ts";
import {
  decodePartitionState,
  encodePartitionState,
  type PartitionState,
  partitionStatePath,
} from "../zk-layout.ts";

export type IsrWriteOutcome =
  | { kind: "written"; isr: number[] }
  /** The node names another leader or epoch: leadership moved on. */
  | { kind: "fenced"; state: PartitionState | null };

const MAX_ATTEMPTS = 5;

/** CAS-write `isr` as long as (leaderId, leaderEpoch) still leads the partition. */
export async function writeIsr(
  coordination: Coordination,
  topic: string,
  partition: number,
  leaderId: number,
  leaderEpoch: number,
  isr: number[],
): Promise<IsrWriteOutcome> {
  const path = partitionStatePath(topic, partition);
  for (let attempt = 1;; attempt++) {
    const current = await coordination.getData(path);
    if (current === null) return { kind: "fenced", state: null };
    const state = decodePartitionState(path, current.data);
    if (state.leader !== leaderId || state.leaderEpoch !== leaderEpoch) return { kind: "fenced", state };
    try {
      await coordination.setData(path, encodePartitionState({ ...state, isr }), current.version);
      return { kind: "written", isr };
    } catch (error) {
      if (!(error instanceof BadVersionError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
