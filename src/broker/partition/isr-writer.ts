/**
 * The leader's own ISR changes, written to /brokers/topics/<t>/partitions/<p>/state with a
 * versioned (compare-and-set) write that keeps leader, leader_epoch and controller_epoch.
 *
 * The change is a function of the ISR currently in the node, so a same-epoch change by the
 * controller (a dead follower removed) is merged, not overwritten. On a lost race the state is
 * re-read: the controller may have moved leadership meanwhile. Only while the node still names
 * this broker as leader in the same leader epoch is the write retried; otherwise the leader
 * gives up and reports the newer state so the caller can follow it.
 *
 * After a change is written, an ISR change notification (Kafka's /isr_change_notification
 * sequential node) tells the controller, which passes the new ISR on to every broker's metadata
 * cache with UpdateMetadata. The notification is best effort: the controller's periodic resync
 * finds the change anyway, so failing to write it must not undo or fail the ISR change.
 */
import { BadVersionError, type Coordination } from "../coordination.ts";
import { canonicalIsr, sameMembers, type TopicPartition } from "../topic-partition.ts";
import {
  decodePartitionState,
  encodePartitionList,
  encodePartitionState,
  ISR_CHANGE_PREFIX,
  type PartitionState,
  partitionStatePath,
} from "../zk-layout.ts";

export type IsrWriteOutcome =
  /** The ISR now in the node (written, or already as wanted) and the node's version holding it. */
  | { kind: "written"; isr: number[]; version?: number }
  /** The node names another leader or epoch (or is gone): leadership moved on. */
  | { kind: "fenced"; state: PartitionState | null };

/** What a Partition needs from the coordinator: its state node, read and CAS-written. */
export interface PartitionStateStore {
  /** The partition state as the coordinator has it now (null when the node is missing). */
  read(partition: TopicPartition): Promise<PartitionState | null>;
  /** CAS-write change(current ISR) as long as (leaderId, leaderEpoch) still leads the partition. */
  writeIsr(
    partition: TopicPartition,
    leaderId: number,
    leaderEpoch: number,
    change: (current: readonly number[]) => number[],
  ): Promise<IsrWriteOutcome>;
}

const MAX_ATTEMPTS = 5;

/** The state store over the broker's coordinator session. */
export function coordinatorStateStore(
  coordination: Coordination,
  log: (message: string) => void,
): PartitionStateStore {
  return {
    read: ({ topic, partition }) => readPartitionState(coordination, topic, partition),
    writeIsr: async (partition, leaderId, leaderEpoch, change) => {
      const outcome = await writeIsr(
        coordination,
        partition.topic,
        partition.partition,
        leaderId,
        leaderEpoch,
        change,
      );
      if (outcome.kind === "written" && outcome.changed) {
        coordination.createSequential(ISR_CHANGE_PREFIX, encodePartitionList([partition])).catch((error) =>
          log(
            `ISR change notification for ${partition.topic}-${partition.partition} not written ` +
              `(the controller's resync will find the change): ${(error as Error).message}`,
          )
        );
      }
      return outcome.kind === "written"
        ? { kind: "written", isr: outcome.isr, version: outcome.version }
        : outcome;
    },
  };
}

/** The partition state as the coordinator has it now (null when the node is missing). */
export async function readPartitionState(
  coordination: Pick<Coordination, "getData">,
  topic: string,
  partition: number,
): Promise<PartitionState | null> {
  const path = partitionStatePath(topic, partition);
  const current = await coordination.getData(path);
  return current === null ? null : decodePartitionState(path, current.data);
}

/** CAS-write change(current ISR) as long as (leaderId, leaderEpoch) still leads the partition. */
export async function writeIsr(
  coordination: Pick<Coordination, "getData" | "setData">,
  topic: string,
  partition: number,
  leaderId: number,
  leaderEpoch: number,
  change: (current: readonly number[]) => number[],
): Promise<
  | { kind: "written"; isr: number[]; changed: boolean; version: number }
  | { kind: "fenced"; state: PartitionState | null }
> {
  const path = partitionStatePath(topic, partition);
  for (let attempt = 1;; attempt++) {
    const current = await coordination.getData(path);
    if (current === null) return { kind: "fenced", state: null };
    const state = decodePartitionState(path, current.data);
    if (state.leader !== leaderId || state.leaderEpoch !== leaderEpoch) return { kind: "fenced", state };
    const isr = canonicalIsr(change(state.isr));
    if (sameMembers(isr, state.isr)) {
      return { kind: "written", isr, changed: false, version: current.version };
    }
    try {
      await coordination.setData(path, encodePartitionState({ ...state, isr }), current.version);
      return { kind: "written", isr, changed: true, version: current.version + 1 };
    } catch (error) {
      if (!(error instanceof BadVersionError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
