/**
 * ReplicationManager: decides, per hosted partition, whether this broker leads or follows,
 * and runs both roles.
 *
 * Leadership news arrives two ways — LeaderAndIsr from the controller and the partition state
 * read from the coordinator — and both go through applyLeadership: an older leader epoch than
 * the local one is ignored, a newer one makes this broker leader or follower.
 *   Leader:   records the epoch's start at the current LEO in the epoch cache, tracks every
 *             follower (LeaderState), advances the HWM as followers fetch, shrinks the ISR of
 *             followers lagging more than replica.lag.time.max.ms and expands it when they catch
 *             up, writing each change itself (isr-writer.ts, CAS).
 *   Follower: hands the partition to the fetcher of its leader (fetcher-pool.ts: one per
 *             source broker), which truncates by leader epoch and then fetches.
 * LeaderAndIsr and StopReplica carrying a controller epoch older than the newest seen are
 * refused with STALE_CONTROLLER_EPOCH.
 */
import { ControllerEpochFence } from "../controller/controller-epoch-fence.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { LeaderAndIsrRequest, LeaderAndIsrResponse } from "../../kafka/apis/leader-and-isr.ts";
import type { ClusterMetadata } from "../cluster-metadata.ts";
import type { Coordination } from "../coordination.ts";
import type { Purgatory } from "../purgatory.ts";
import {
  commitKey,
  dataKey,
  type Partition,
  type PartitionStateListener,
  type ReplicaManager,
} from "../replica-manager.ts";
import type { BrokerEndpoint, PartitionState } from "../zk-layout.ts";
import { readPartitionState, sameMembers, writeIsr } from "./isr-writer.ts";
import { LeaderState } from "./leader-state.ts";
import { replicationLog } from "./replicated-log.ts";
import { FetcherPool } from "./fetcher-pool.ts";

export interface ReplicationOptions {
  /** replica.lag.time.max.ms: an ISR member not caught up for this long is dropped. */
  replicaLagTimeMaxMs: number;
  /** Follower fetch long-poll. */
  fetchMaxWaitMs: number;
  fetchMaxBytes: number;
  /**
   * Largest follower fetch response accepted: a response holds at least one whole batch even
   * past fetchMaxBytes (KIP-74), and no batch is larger than a request frame.
   */
  fetchMaxResponseBytes: number;
  fetchPartitionMaxBytes: number;
  fetchBackoffMs: number;
}

export const DEFAULT_REPLICATION_OPTIONS: ReplicationOptions = {
  replicaLagTimeMaxMs: 10_000,
  fetchMaxWaitMs: 500,
  fetchMaxBytes: 10 * 1_048_576,
  fetchMaxResponseBytes: 104_857_600,
  fetchPartitionMaxBytes: 1_048_576,
  fetchBackoffMs: 100,
};

interface Leadership {
  epoch: number;
  state: LeaderState;
  /** LEO when this leadership began: a rejoining follower must have everything before it. */
  epochStartOffset: number;
  /** While an ISR write is in flight: the union of the ISR before and after it. */
  pendingIsr: number[] | null;
  /** Bumped by every ISR write, so a concurrent re-read older than it is not applied. */
  isrGeneration: number;
  /** A re-read of the partition state is in flight. */
  syncing: boolean;
}

/** One partition of a StopReplica request. */
export interface StopReplicaPartition {
  topicName: string;
  partitionIndex: number;
}

export class ReplicationManager implements PartitionStateListener {
  readonly brokerId: number;
  readonly #replicas: ReplicaManager;
  readonly #metadata: ClusterMetadata;
  readonly #coordination: Coordination;
  readonly #purgatory: Purgatory;
  readonly #options: ReplicationOptions;
  readonly #leaders = new Map<string, Leadership>();
  readonly #fetchers: FetcherPool;
  /** Leader endpoints from LeaderAndIsr, for leaders our metadata has not seen register yet. */
  readonly #liveLeaders = new Map<number, BrokerEndpoint>();
  readonly #timer: ReturnType<typeof setInterval>;
  /**
   * The broker's one controller-epoch fence, shared with the UpdateMetadata handler: a request
   * from an older controller than any heard so far, of any kind, is refused.
   */
  readonly controllerFence: ControllerEpochFence;
  #closed = false;

  constructor(
    deps: {
      replicas: ReplicaManager;
      metadata: ClusterMetadata;
      coordination: Coordination;
      purgatory: Purgatory;
      controllerFence?: ControllerEpochFence;
    },
    options: Partial<ReplicationOptions> = {},
  ) {
    this.brokerId = deps.replicas.brokerId;
    this.controllerFence = deps.controllerFence ?? new ControllerEpochFence();
    this.#replicas = deps.replicas;
    this.#metadata = deps.metadata;
    this.#coordination = deps.coordination;
    this.#purgatory = deps.purgatory;
    this.#options = { ...DEFAULT_REPLICATION_OPTIONS, ...options };
    const tickMs = Math.max(50, Math.min(1_000, Math.floor(this.#options.replicaLagTimeMaxMs / 2)));
    this.#timer = setInterval(() => this.#tick(), tickMs);
    this.#fetchers = new FetcherPool(
      {
        brokerId: this.brokerId,
        maxWaitMs: this.#options.fetchMaxWaitMs,
        maxBytes: this.#options.fetchMaxBytes,
        maxResponseBytes: Math.max(
          this.#options.fetchMaxResponseBytes,
          this.#options.fetchMaxBytes + 1_048_576,
        ),
        partitionMaxBytes: this.#options.fetchPartitionMaxBytes,
        backoffMs: this.#options.fetchBackoffMs,
        maxBackoffMs: 2_000,
      },
      (id) => this.#metadata.snapshot.brokers.get(id) ?? this.#liveLeaders.get(id),
      (message) => this.#log(message),
    );
    deps.replicas.setPartitionStateListener(this);
  }

  /** The newest controller epoch heard from (LeaderAndIsr, StopReplica or UpdateMetadata). */
  get controllerEpoch(): number {
    return this.controllerFence.highest;
  }

  // --- leadership news -------------------------------------------------------------------

  /** The partition state read from the coordinator. */
  onPartitionState(partition: Partition, state: PartitionState): void {
    this.applyLeadership(partition, state.leader, state.leaderEpoch, state.isr);
  }

  /** A hosted partition went away: stop leading and following it. */
  onRemoved(partition: Partition): void {
    this.#leaders.delete(partition.key);
    this.#fetchers.stop(partition.key);
  }

  /** LeaderAndIsr (key 4) from the controller. */
  async becomeLeaderOrFollower(request: LeaderAndIsrRequest): Promise<LeaderAndIsrResponse> {
    if (!this.#acceptControllerEpoch(request.controllerEpoch)) {
      return { errorCode: ErrorCode.STALE_CONTROLLER_EPOCH, partitionErrors: [] };
    }
    for (const live of request.liveLeaders) {
      this.#liveLeaders.set(live.brokerId, {
        brokerId: live.brokerId,
        host: live.hostName,
        port: live.port,
        rack: null,
      });
    }
    const partitionErrors = [];
    for (const state of request.ungroupedPartitionStates) {
      const error = (errorCode: number) => ({
        topicName: state.topicName,
        partitionIndex: state.partitionIndex,
        errorCode,
      });
      if (!state.replicas.includes(this.brokerId)) {
        partitionErrors.push(error(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        continue;
      }
      const partition = await this.#replicas.host(state.topicName, state.partitionIndex, state.replicas);
      if (partition === null) {
        partitionErrors.push(error(ErrorCode.NOT_LEADER_OR_FOLLOWER));
        continue;
      }
      partition.replicas = state.replicas;
      partitionErrors.push(
        error(this.applyLeadership(partition, state.leader, state.leaderEpoch, state.isr)),
      );
    }
    return { errorCode: ErrorCode.NONE, partitionErrors };
  }

  /** StopReplica (key 5): stop following or leading; with deletePartitions remove the logs. */
  async stopReplicas(
    controllerEpoch: number,
    partitions: StopReplicaPartition[],
    deletePartitions: boolean,
  ): Promise<{ errorCode: number; partitionErrors: (StopReplicaPartition & { errorCode: number })[] }> {
    if (!this.#acceptControllerEpoch(controllerEpoch)) {
      return { errorCode: ErrorCode.STALE_CONTROLLER_EPOCH, partitionErrors: [] };
    }
    const partitionErrors = [];
    for (const wanted of partitions) {
      const partition = this.#replicas.get(wanted.topicName, wanted.partitionIndex);
      if (partition) {
        this.onRemoved(partition);
        const wasLeader = partition.leader === this.brokerId;
        partition.leader = -1;
        if (wasLeader) await this.#replicas.notifyLeadership(partition, false);
        this.#wake(partition);
        if (deletePartitions) await this.#replicas.stop(wanted.topicName, wanted.partitionIndex, true);
      }
      partitionErrors.push({ ...wanted, errorCode: ErrorCode.NONE });
    }
    return { errorCode: ErrorCode.NONE, partitionErrors };
  }

  #acceptControllerEpoch(epoch: number): boolean {
    return this.controllerFence.admit(epoch);
  }

  /**
   * Apply (leader, leaderEpoch, isr): older epochs are ignored (FENCED_LEADER_EPOCH), the same
   * epoch refreshes the ISR (a follower takes it as told; the leader re-reads the node, since
   * what it was told may predate its own latest ISR write, and drops dead members the
   * controller removed), a newer one makes this broker
   * leader or follower. Synchronous, so two sources of news never interleave.
   */
  applyLeadership(partition: Partition, leader: number, leaderEpoch: number, isr: number[]): number {
    if (this.#closed) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (leaderEpoch < partition.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
    if (leaderEpoch === partition.leaderEpoch) {
      const leadership = this.#leaders.get(partition.key);
      if (!leadership) partition.isr = isr;
      else if (!sameMembers(isr, partition.isr)) this.#syncIsr(partition, leadership);
      return ErrorCode.NONE;
    }
    if (leader === this.brokerId) this.#makeLeader(partition, leaderEpoch, isr);
    else this.#makeFollower(partition, leader, leaderEpoch, isr);
    return ErrorCode.NONE;
  }

  #makeLeader(partition: Partition, epoch: number, isr: number[]): void {
    const wasLeader = partition.leader === this.brokerId;
    this.#fetchers.stop(partition.key);
    partition.leader = this.brokerId;
    partition.leaderEpoch = epoch;
    partition.isr = isr;
    replicationLog(partition.log).assignEpochStartOffset(epoch);
    const leadership: Leadership = {
      epoch,
      state: new LeaderState(this.brokerId, partition.replicas, Date.now()),
      epochStartOffset: partition.log.logEndOffset,
      pendingIsr: null,
      isrGeneration: 0,
      syncing: false,
    };
    this.#leaders.set(partition.key, leadership);
    this.#log(
      `${partition.key}: leader in epoch ${epoch} at offset ${partition.log.logEndOffset}, ISR [${isr}]`,
    );
    this.#advanceHighWatermark(partition, leadership);
    this.#wake(partition);
    if (!wasLeader) void this.#replicas.notifyLeadership(partition, true);
  }

  #makeFollower(partition: Partition, leader: number, epoch: number, isr: number[]): void {
    const wasLeader = partition.leader === this.brokerId;
    this.#leaders.delete(partition.key);
    this.#fetchers.stop(partition.key);
    partition.leader = leader;
    partition.leaderEpoch = epoch;
    partition.isr = isr;
    this.#wake(partition); // parked produces and fetches see they no longer lead
    if (wasLeader) void this.#replicas.notifyLeadership(partition, false);
    if (leader < 0) return;
    this.#log(`${partition.key}: following broker ${leader} in epoch ${epoch}`);
    const followed = { key: partition.key, topic: partition.topic, partition: partition.partition };
    this.#fetchers.follow({ ...followed, log: replicationLog(partition.log) }, leader, epoch);
  }

  // --- leader side -----------------------------------------------------------------------

  /**
   * A follower fetched at fetchOffset (its LEO) in this broker's current leader epoch: record
   * it, let it rejoin the ISR when it caught up, advance the high watermark.
   */
  recordFollowerFetch(partition: Partition, replicaId: number, fetchOffset: number): void {
    const leadership = this.#leaders.get(partition.key);
    if (!leadership || !partition.replicas.includes(replicaId) || replicaId === this.brokerId) return;
    leadership.state.recordFetch(replicaId, fetchOffset, partition.log.logEndOffset, Date.now());
    if (
      !partition.isr.includes(replicaId) &&
      leadership.state.mayRejoin(replicaId, partition.log.highWatermark, leadership.epochStartOffset)
    ) {
      this.#changeIsr(partition, leadership, (isr) => [...isr, replicaId]);
    }
    this.#advanceHighWatermark(partition, leadership);
  }

  /** The leader appended: with no other ISR member that alone may commit. */
  onLeaderAppend(partition: Partition): void {
    const leadership = this.#leaders.get(partition.key);
    this.#purgatory.wake(dataKey(partition.key)); // followers' long polls
    if (leadership) this.#advanceHighWatermark(partition, leadership);
  }

  /** The ISR the HWM must respect: while an expansion is being written, the larger one. */
  #effectiveIsr(partition: Partition, leadership: Leadership): number[] {
    if (!leadership.pendingIsr) return partition.isr;
    return [...new Set([...partition.isr, ...leadership.pendingIsr])];
  }

  #advanceHighWatermark(partition: Partition, leadership: Leadership): void {
    const log = partition.log;
    const candidate = leadership.state.highWatermark(
      this.#effectiveIsr(partition, leadership),
      log.logEndOffset,
    );
    if (candidate <= log.highWatermark) return; // never backwards
    log.setHighWatermark(candidate);
    this.#wake(partition);
  }

  /** Write change(ISR in the node) to the partition state; one write at a time per partition. */
  #changeIsr(
    partition: Partition,
    leadership: Leadership,
    change: (isr: readonly number[]) => number[],
  ): void {
    if (leadership.pendingIsr || this.#closed) return; // the next fetch or tick retries
    leadership.pendingIsr = [...new Set([...partition.isr, ...change(partition.isr)])];
    leadership.isrGeneration++;
    writeIsr(
      this.#coordination,
      partition.topic,
      partition.partition,
      this.brokerId,
      leadership.epoch,
      change,
    )
      .then((outcome) => {
        if (this.#leaders.get(partition.key) !== leadership) return;
        if (outcome.kind === "written") {
          if (!sameMembers(outcome.isr, partition.isr)) {
            this.#log(
              `${partition.key}: ISR [${partition.isr}] -> [${outcome.isr}] (epoch ${leadership.epoch})`,
            );
          }
          partition.isr = outcome.isr;
          return;
        }
        this.#log(`${partition.key}: ISR change refused, leadership moved on; following the new state`);
        this.#follow(partition, outcome.state);
      })
      .catch((error) => this.#log(`${partition.key}: ISR write failed: ${(error as Error).message}`))
      .finally(() => {
        leadership.pendingIsr = null;
        if (this.#leaders.get(partition.key) === leadership) {
          this.#advanceHighWatermark(partition, leadership);
        }
      });
  }

  /**
   * The leader heard of a different ISR in its own epoch (the controller dropped a dead
   * follower): re-read the node and adopt what it holds — keeping live members, which the
   * leader itself tracks — unless an ISR write of ours started meanwhile (its outcome is newer).
   */
  #syncIsr(partition: Partition, leadership: Leadership): void {
    if (leadership.pendingIsr || leadership.syncing || this.#closed) return;
    leadership.syncing = true;
    const generation = leadership.isrGeneration;
    readPartitionState(this.#coordination, partition.topic, partition.partition)
      .then((state) => {
        if (this.#leaders.get(partition.key) !== leadership) return;
        if (leadership.pendingIsr || leadership.isrGeneration !== generation) return;
        if (state && state.leader === this.brokerId && state.leaderEpoch === leadership.epoch) {
          // Drop only members that are gone from both the node and the live brokers; a live one
          // would rejoin at its next fetch anyway. Never fewer than the node holds (elections
          // pick from it, so the high watermark must wait for all of it).
          const live = this.#metadata.snapshot.brokers;
          const kept = partition.isr.filter((id) => id === this.brokerId || live.has(id));
          const isr = [...new Set([...state.isr, ...kept])].sort((a, b) => a - b);
          if (!sameMembers(isr, partition.isr)) {
            this.#log(
              `${partition.key}: ISR [${partition.isr}] -> [${isr}] (dead members the controller removed)`,
            );
          }
          partition.isr = isr;
          this.#advanceHighWatermark(partition, leadership);
        } else {
          this.#follow(partition, state);
        }
      })
      .catch((error) =>
        this.#log(`${partition.key}: reading the partition state failed: ${(error as Error).message}`)
      )
      .finally(() => leadership.syncing = false);
  }

  /** Leadership moved on (state read from the node): follow it, or stop leading when it is gone. */
  #follow(partition: Partition, state: PartitionState | null): void {
    if (state) this.applyLeadership(partition, state.leader, state.leaderEpoch, state.isr);
    else this.#makeFollower(partition, -1, partition.leaderEpoch, partition.isr);
  }

  #tick(): void {
    const now = Date.now();
    for (const [key, leadership] of this.#leaders) {
      const [topic, index] = splitKey(key);
      const partition = this.#replicas.get(topic, index);
      if (!partition) continue;
      const lagging = leadership.state.laggingMembers(partition.isr, now, this.#options.replicaLagTimeMaxMs);
      if (lagging.length > 0) {
        this.#changeIsr(partition, leadership, (isr) => isr.filter((id) => !lagging.includes(id)));
      }
    }
  }

  /** Wake every waiter on the partition: long polls of both kinds and acks=all produces. */
  #wake(partition: Partition): void {
    this.#purgatory.wake(dataKey(partition.key));
    this.#purgatory.wake(commitKey(partition.key));
  }

  #log(message: string): void {
    console.error(`broker ${this.brokerId}: ${message}`);
  }

  /** Stop every fetcher and the ISR timer (before the logs close). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#leaders.clear();
    await this.#fetchers.close();
  }
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(":");
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
