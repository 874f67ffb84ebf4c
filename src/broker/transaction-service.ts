/**
 * The broker's side of transactions: it wires the TransactionCoordinator (./transactions) to
 * this broker's partitions and metadata, as GroupService does for groups. Built by the broker at
 * start and always present.
 *
 * - `__transaction_state` (transaction.state.log.num.partitions = 50, replication factor
 *   min(transaction.state.log.replication.factor, live brokers)) is created on first use
 *   (FindCoordinator with key type 1, or an InitProducerId with a transactional id), compacted
 *   by key so the log holds about one record per transactional id plus a dirty tail.
 * - The coordinator of a transactional id leads partition hash(id) % 50 of that topic.
 * - State changes are appended as leader and acknowledged once the high watermark passes them.
 * - Becoming leader of a partition replays it into the coordinator (its ids answer
 *   COORDINATOR_LOAD_IN_PROGRESS meanwhile); losing it unloads them (NOT_COORDINATOR).
 * - Every transactionAbortIntervalMs the coordinator aborts the transactions past their timeout
 *   and forgets the ids idle past transactional.id.expiration.ms with no transaction open.
 */
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { type DecodedBatch, encodeRecordBatch } from "../kafka/record-batch.ts";
import type { ClientSecurity } from "../client/security.ts";
import type { Snowflake } from "../ids/snowflake.ts";
import type { BrokerConfig } from "./config.ts";
import type { Coordination } from "./coordination.ts";
import type { CoordinatorLocation } from "./coordinator-location.ts";
import { OFFSETS_TOPIC } from "./groups/mod.ts";
import type { MetadataCache } from "./metadata-cache.ts";
import { IGNORE_PARTITION_EVENTS, type Partition, type PartitionObserver } from "./partition/partition.ts";
import type { ReplicaManager } from "./replica-manager.ts";
import { StateTopicLoader } from "./state-topic-loader.ts";
import { createInternalTopic } from "./topic-admin.ts";
import { MarkerChannel } from "./transactions/marker-channel.ts";
import { TransactionCoordinator, type TxnIdentity } from "./transactions/txn-coordinator.ts";
import { TRANSACTION_STATE_TOPIC, type TxnRecord } from "./transactions/txn-records.ts";
import { locateCoordinator } from "./coordinator-location.ts";
import { logLine } from "./log-lines.ts";

/** WriteTxnMarkers waits up to 30 s for the partition's ISR: the request gets a little more. */
const MARKER_REQUEST_TIMEOUT_MS = 35_000;

export interface TransactionServiceDeps {
  config: BrokerConfig;
  metadata: MetadataCache;
  replicas: ReplicaManager;
  coordination: Coordination;
  producerIds: Snowflake;
  /** How to reach other brokers' inter-broker listener; undefined = PLAINTEXT. */
  security?: ClientSecurity;
}

/** Transactions on this broker. */
export class TransactionService implements PartitionObserver {
  readonly coordinator: TransactionCoordinator;
  readonly #deps: TransactionServiceDeps;
  readonly #markers: MarkerChannel;
  /** Replays a `__transaction_state` partition when this broker comes to lead it. */
  readonly #loader: StateTopicLoader<TxnRecord>;
  readonly #timer: ReturnType<typeof setInterval>;
  #creating: Promise<void> | null = null;

  constructor(deps: TransactionServiceDeps) {
    this.#deps = deps;
    const { config, metadata } = deps;
    const log = (message: string) => logLine(`broker ${config.brokerId}: ${message}`);
    this.#markers = new MarkerChannel({
      routing: {
        leaderOf: (topic, partition) => {
          const leader = metadata.partition(topic, partition)?.state?.leader ?? -1;
          return metadata.brokers.get(leader);
        },
        hasTopic: (topic) => metadata.topics.has(topic),
      },
      brokerId: config.brokerId,
      requestTimeoutMs: MARKER_REQUEST_TIMEOUT_MS,
      security: deps.security,
      log,
    });
    this.coordinator = new TransactionCoordinator({
      store: { append: (partition, records) => this.#append(partition, records) },
      markers: this.#markers,
      newProducerId: () => deps.producerIds.next(),
      numPartitions: config.transactionStateTopicPartitions,
      maxTimeoutMs: config.transactionMaxTimeoutMs,
      transactionalIdExpirationMs: config.transactionalIdExpirationMs,
      markerDelayMs: config.transactionMarkerDelayMs,
      log,
    });
    // One sweep does both: abort what is past its timeout, forget ids idle past their expiration.
    this.#loader = new StateTopicLoader(TRANSACTION_STATE_TOPIC, collectTxnRecords, {
      beginLoading: (index, epoch) => this.coordinator.beginLoading(index, epoch),
      load: (index, epoch, records) => this.coordinator.loadPartition(index, epoch, records),
      unload: (index) => this.coordinator.unloadPartition(index),
    });
    this.#timer = setInterval(() => {
      this.coordinator.abortTimedOut();
      this.coordinator.expireTransactionalIds();
    }, config.transactionAbortIntervalMs);
  }

  /** FindCoordinator (key type 1): the leader of the id's state partition, creating the topic if missing. */
  findCoordinator(transactionalId: string, listener?: string): Promise<CoordinatorLocation> {
    return locateCoordinator(
      this.#deps.metadata,
      TRANSACTION_STATE_TOPIC,
      this.coordinator.partitionFor(transactionalId),
      listener,
      () => this.ensureStateTopic(),
      (message) => logLine(`broker ${this.#deps.config.brokerId}: ${message}`),
    );
  }

  /** Does the partition exist (AddPartitionsToTxn answers UNKNOWN_TOPIC_OR_PARTITION otherwise)? */
  partitionExists(topic: string, partition: number): boolean {
    return this.#deps.metadata.partition(topic, partition) !== undefined;
  }

  /** AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction. */
  addOffsets(identity: TxnIdentity, groupId: string): Promise<number> {
    return this.coordinator.addOffsets(
      identity,
      groupId,
      OFFSETS_TOPIC,
      this.#deps.config.offsetsTopicPartitions,
    );
  }

  /** Create `__transaction_state` if no broker did yet (one creation at a time per broker). */
  ensureStateTopic(): Promise<void> {
    this.#creating ??= this.#createStateTopic().finally(() => this.#creating = null);
    return this.#creating;
  }

  async #createStateTopic(): Promise<void> {
    const { config, metadata, coordination } = this.#deps;
    await createInternalTopic(coordination, metadata, config, {
      name: TRANSACTION_STATE_TOPIC,
      numPartitions: config.transactionStateTopicPartitions,
      replicationFactor: config.transactionStateReplicationFactor,
      segmentBytes: config.offsetsTopicSegmentBytes,
    });
  }

  // --- PartitionObserver: state partitions moving here and away ------------------------------

  leadershipChanged(partition: Partition, isLeader: boolean): void {
    this.#loader.leadershipChanged(partition, isLeader);
  }
  isrChanged = IGNORE_PARTITION_EVENTS.isrChanged;
  highWatermarkAdvanced = IGNORE_PARTITION_EVENTS.highWatermarkAdvanced;
  appended = IGNORE_PARTITION_EVENTS.appended;

  close(): void {
    clearInterval(this.#timer);
    this.#loader.close();
    this.coordinator.close();
    this.#markers.close();
  }

  /** TxnStore.append: one batch to the partition as leader, acknowledged once committed. */
  async #append(index: number, records: TxnRecord[]): Promise<void> {
    const lookup = this.#deps.replicas.leaderFor(TRANSACTION_STATE_TOPIC, index);
    if (lookup.partition === null) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const batch = encodeRecordBatch({ records });
    const appended = await lookup.partition.appendAsLeader(batch, { requiredAcks: -1 });
    const errorCode = await lookup.partition.waitForCommit(
      appended.nextOffset,
      this.#deps.config.offsetsCommitTimeoutMs,
    );
    if (errorCode !== 0) throw new KafkaError(errorCode);
  }
}

/** A batch's state records (keyed; markers and keyless records carry no transaction state). */
function collectTxnRecords(batch: DecodedBatch, into: TxnRecord[]): void {
  if (batch.control) return;
  for (const record of batch.records) {
    if (record.key !== null) into.push({ key: record.key.slice(), value: record.value?.slice() ?? null });
  }
}
