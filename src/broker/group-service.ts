/**
 * The broker's side of consumer groups: it wires the pure GroupCoordinator (./groups) to this
 * broker's partitions and metadata. Built by the broker at start from BrokerConfig and always
 * present.
 *
 * - `__consumer_offsets` (`offsets.topic.num.partitions` partitions, replication factor
 *   min(offsets.topic.replication.factor, live brokers)) is created on first use through the same
 *   path CreateTopics uses, compacted by key (cleanup.policy=compact) with smallish segments
 *   (`offsets.topic.segment.bytes`, segment.ms one hour) so the log cleaner gets closed segments
 *   to clean: the log holds about the live keys plus a dirty tail, and loading a partition
 *   replays only that.
 * - The coordinator of a group is the leader of partition groupPartition(groupId) of that topic.
 * - Commits and group metadata are appended to that partition as leader and acknowledged once the
 *   high watermark passes them (as acks=all).
 * - Transactional offset commits (TxnOffsetCommit) are appended as a transactional batch of the
 *   producer (origin "coordinator": its epoch is checked, no sequence), so the partition's last
 *   stable offset waits for the marker; WriteTxnMarkers settles them in the coordinator
 *   (completeTransaction) and a replay honours the markers in the log.
 * - Leadership: as a PartitionObserver it hears every leadership change; becoming leader of an
 *   offsets partition replays its log into the coordinator (its groups answer
 *   COORDINATOR_LOAD_IN_PROGRESS meanwhile); losing it unloads them (NOT_COORDINATOR).
 */
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { type DecodedBatch, encodeRecordBatch } from "../kafka/record-batch.ts";
import type { BrokerConfig } from "./config.ts";
import type { Coordination } from "./coordination.ts";
import {
  GroupCoordinator,
  type GroupStore,
  OFFSETS_TOPIC,
  type OffsetsTopicRecord,
  type ReplayEntry,
} from "./groups/mod.ts";
import { ControlType } from "./partition/producer-state.ts";
import type { MetadataCache } from "./metadata-cache.ts";
import { IGNORE_PARTITION_EVENTS, type Partition, type PartitionObserver } from "./partition/partition.ts";
import type { ReplicaManager } from "./replica-manager.ts";
import { StateTopicLoader } from "./state-topic-loader.ts";
import { createInternalTopic } from "./topic-admin.ts";
import { type CoordinatorLocation, locateCoordinator } from "./coordinator-location.ts";
import { logLine } from "./log-lines.ts";

/** What the group API handlers use (GroupService; tests give a smaller stand-in). */
export interface GroupApi {
  readonly coordinator: GroupCoordinator;
  /** FindCoordinator: the leader of the group's offsets partition, or why there is none yet. */
  /** `listener`: the one the client came in on (its address is answered); default inter-broker. */
  findCoordinator(groupId: string, listener?: string): Promise<CoordinatorLocation>;
  /** Commits to partitions that do not exist answer UNKNOWN_TOPIC_OR_PARTITION (as Kafka). */
  partitionExists(topic: string, partition: number): boolean;
}

export interface GroupServiceDeps {
  config: BrokerConfig;
  metadata: MetadataCache;
  replicas: ReplicaManager;
  coordination: Coordination;
}

/** Consumer groups on this broker. */
export class GroupService implements GroupApi, PartitionObserver {
  readonly coordinator: GroupCoordinator;
  readonly #deps: GroupServiceDeps;
  /** Replays an offsets partition when this broker comes to lead it (its groups wait meanwhile). */
  readonly #loader: StateTopicLoader<ReplayEntry>;
  #creating: Promise<void> | null = null;

  constructor(deps: GroupServiceDeps) {
    this.#deps = deps;
    const store: GroupStore = {
      append: (partition, records, transaction) => this.#append(partition, records, transaction),
    };
    this.coordinator = new GroupCoordinator({
      store,
      numPartitions: deps.config.offsetsTopicPartitions,
      initialRebalanceDelayMs: deps.config.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: deps.config.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: deps.config.groupMaxSessionTimeoutMs,
    });
    this.#loader = new StateTopicLoader(OFFSETS_TOPIC, collectReplayEntries, {
      beginLoading: (index) => this.coordinator.beginLoading(index),
      load: (index, _epoch, entries) => this.coordinator.loadPartition(index, entries),
      unload: (index) => this.coordinator.unloadPartition(index),
    });
  }

  partitionExists(topic: string, partition: number): boolean {
    return this.#deps.metadata.partition(topic, partition) !== undefined;
  }

  /**
   * FindCoordinator: the leader of the group's offsets partition. Creates `__consumer_offsets`
   * when missing; COORDINATOR_NOT_AVAILABLE while it has no live leader (clients retry).
   */
  findCoordinator(groupId: string, listener?: string): Promise<CoordinatorLocation> {
    return locateCoordinator(
      this.#deps.metadata,
      OFFSETS_TOPIC,
      this.coordinator.partitionFor(groupId),
      listener,
      () => this.ensureOffsetsTopic(),
      (message) => logLine(`broker ${this.#deps.config.brokerId}: ${message}`),
    );
  }

  /** Create `__consumer_offsets` if no broker did yet (one creation at a time per broker). */
  ensureOffsetsTopic(): Promise<void> {
    this.#creating ??= this.#createOffsetsTopic().finally(() => this.#creating = null);
    return this.#creating;
  }

  async #createOffsetsTopic(): Promise<void> {
    const { config, metadata, coordination } = this.#deps;
    await createInternalTopic(coordination, metadata, config, {
      name: OFFSETS_TOPIC,
      numPartitions: config.offsetsTopicPartitions,
      replicationFactor: config.offsetsTopicReplicationFactor,
      segmentBytes: config.offsetsTopicSegmentBytes,
    });
  }

  // --- PartitionObserver: offsets partitions moving here and away ----------------------------

  leadershipChanged(partition: Partition, isLeader: boolean): void {
    this.#loader.leadershipChanged(partition, isLeader);
  }
  isrChanged = IGNORE_PARTITION_EVENTS.isrChanged;
  highWatermarkAdvanced = IGNORE_PARTITION_EVENTS.highWatermarkAdvanced;
  appended = IGNORE_PARTITION_EVENTS.appended;

  /** Unload everything (broker shutdown). */
  close(): void {
    this.#loader.close();
    this.coordinator.close();
  }

  /**
   * GroupStore.append: one batch to the partition as leader (transactional for a producer's
   * TxnOffsetCommit), acknowledged once committed; resolves with the batch's base offset.
   */
  async #append(
    index: number,
    records: OffsetsTopicRecord[],
    transaction?: { producerId: bigint; producerEpoch: number },
  ): Promise<number | void> {
    if (records.length === 0) return;
    const lookup = this.#deps.replicas.leaderFor(OFFSETS_TOPIC, index);
    if (lookup.partition === null) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const batch = encodeRecordBatch({
      records: records.map((r) => ({ key: r.key, value: r.value })),
      ...(transaction === undefined ? {} : {
        producerId: transaction.producerId,
        producerEpoch: transaction.producerEpoch,
        baseSequence: -1,
        transactional: true,
      }),
    });
    const appended = await lookup.partition.appendAsLeader(batch, {
      requiredAcks: -1,
      ...(transaction === undefined ? {} : { origin: "coordinator" as const }),
    });
    const errorCode = await lookup.partition.waitForCommit(
      appended.nextOffset,
      this.#deps.config.offsetsCommitTimeoutMs,
    );
    if (errorCode !== 0) throw new KafkaError(errorCode);
    return appended.baseOffset;
  }
}

/** The type of a control record (ControlType) from its key (version int16, type int16), or null. */
function controlTypeOf(key: Uint8Array | null): number | null {
  if (key === null || key.length < 4) return null;
  return new DataView(key.buffer, key.byteOffset, key.byteLength).getInt16(2);
}

/**
 * A batch's replay entries: keyed records with the producer id of a transactional batch, and
 * transaction markers (which settle that producer's pending offsets).
 */
function collectReplayEntries(batch: DecodedBatch, into: ReplayEntry[]): void {
  if (batch.control) {
    const type = controlTypeOf(batch.records[0]?.key ?? null);
    if (batch.transactional && type !== null) {
      into.push({
        marker: type === ControlType.commit ? "commit" : "abort",
        producerId: batch.producerId,
        offset: batch.baseOffset,
      });
    }
    return;
  }
  const producerId = batch.transactional ? batch.producerId : undefined;
  for (const record of batch.records) {
    if (record.key !== null) {
      into.push({
        key: record.key.slice(),
        value: record.value?.slice() ?? null,
        offset: batch.baseOffset,
        producerId,
      });
    }
  }
}
