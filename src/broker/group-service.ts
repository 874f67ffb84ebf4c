/**
 * The broker's side of consumer groups: it wires the pure GroupCoordinator (./groups) to this
 * broker's logs and metadata.
 *
 * - `__consumer_offsets` (`offsets.topic.num.partitions` partitions, replication factor
 *   min(3, live brokers)) is created on first use through the same path CreateTopics uses,
 *   compacted by key (cleanup.policy=compact) with smallish segments (`offsets.topic.segment.bytes`,
 *   segment.ms one hour) so the log cleaner gets closed segments to clean: the log holds about
 *   the live keys plus a dirty tail, and loading a partition replays only that.
 * - The coordinator of a group is the leader of partition groupPartition(groupId) of that topic.
 * - Commits and group metadata are appended to that partition as leader and acknowledged once the
 *   high watermark passes them (as acks=all).
 * - Leadership hooks: `becameLeader(p)` replays the partition's log into the coordinator (its
 *   groups answer COORDINATOR_LOAD_IN_PROGRESS meanwhile); `becameFollower(p)` unloads them
 *   (NOT_COORDINATOR). They are driven by the replica manager's leadership notifications, so
 *   whatever moves leadership (metadata today, replication next) moves the groups with it.
 *
 * Plugged into the broker as a BrokerExtension (`groupsExtension()`).
 */
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { decodeRecordBatches, encodeRecordBatch } from "../kafka/record-batch.ts";
import type { BrokerContext } from "./broker-context.ts";
import type { BrokerExtension } from "./broker.ts";
import {
  DEFAULT_OFFSETS_TOPIC_PARTITIONS,
  GroupCoordinator,
  type GroupStore,
  OFFSETS_TOPIC,
  type OffsetsTopicRecord,
} from "./groups/mod.ts";
import { appendAsLeader, waitForCommit } from "./handlers/produce.ts";
import { groupHandlers } from "./group-handlers.ts";
import { planTopic, writeTopic } from "./topic-admin.ts";

/** The storage engine implements cleanup.policy=compact (src/storage/log-cleaner.ts). */
const COMPACTION_SUPPORTED = true;
/** offsets.topic.segment.bytes default (Kafka: 100 MiB; smaller here so cleaning starts sooner). */
const DEFAULT_OFFSETS_SEGMENT_BYTES = 8 * 1024 * 1024;
/** segment.ms of the offsets topic: a quiet partition still closes its segment for the cleaner. */
const OFFSETS_SEGMENT_MS = 60 * 60 * 1000;

/** Knobs of the group service (Kafka's names in the comments). */
export interface GroupServiceOptions {
  /** offsets.topic.num.partitions (10). */
  offsetsTopicPartitions?: number;
  /** offsets.topic.replication.factor upper bound (3); the live broker count caps it. */
  offsetsTopicReplicationFactor?: number;
  /** offsets.commit.timeout.ms (5000): how long an append waits for the ISR. */
  commitTimeoutMs?: number;
  /** group.initial.rebalance.delay.ms (3000). */
  initialRebalanceDelayMs?: number;
  /** group.min.session.timeout.ms (6000). */
  minSessionTimeoutMs?: number;
  /** group.max.session.timeout.ms (1800000). */
  maxSessionTimeoutMs?: number;
  /** Bytes read per step while loading a partition (1 MiB). */
  loadChunkBytes?: number;
  /** offsets.topic.segment.bytes (8 MiB): segment size of the compacted offsets topic. */
  offsetsTopicSegmentBytes?: number;
}

/** Where a group's coordinator is, or why it cannot be named yet. */
export interface CoordinatorLocation {
  errorCode: number;
  nodeId: number;
  host: string;
  port: number;
}

/** Consumer groups on this broker. */
export class GroupService {
  readonly coordinator: GroupCoordinator;
  readonly numPartitions: number;
  readonly #context: BrokerContext;
  readonly #replicationFactor: number;
  readonly #commitTimeoutMs: number;
  readonly #loadChunkBytes: number;
  readonly #segmentBytes: number;
  /** Offsets partitions this broker coordinates (loaded or loading), with the epoch it leads at. */
  readonly #led = new Map<number, number>();
  #creating: Promise<void> | null = null;
  #closed = false;

  constructor(context: BrokerContext, options: GroupServiceOptions = {}) {
    this.#context = context;
    this.numPartitions = options.offsetsTopicPartitions ?? DEFAULT_OFFSETS_TOPIC_PARTITIONS;
    this.#replicationFactor = options.offsetsTopicReplicationFactor ?? 3;
    this.#commitTimeoutMs = options.commitTimeoutMs ?? 5000;
    this.#loadChunkBytes = options.loadChunkBytes ?? 1024 * 1024;
    this.#segmentBytes = options.offsetsTopicSegmentBytes ?? DEFAULT_OFFSETS_SEGMENT_BYTES;
    const store: GroupStore = { append: (partition, records) => this.#append(partition, records) };
    this.coordinator = new GroupCoordinator({
      store,
      numPartitions: this.numPartitions,
      initialRebalanceDelayMs: options.initialRebalanceDelayMs,
      minSessionTimeoutMs: options.minSessionTimeoutMs,
      maxSessionTimeoutMs: options.maxSessionTimeoutMs,
    });
  }

  /**
   * FindCoordinator: the leader of the group's offsets partition. Creates `__consumer_offsets`
   * when missing; COORDINATOR_NOT_AVAILABLE while it has no live leader (clients retry).
   */
  async findCoordinator(groupId: string): Promise<CoordinatorLocation> {
    const unavailable = { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: "", port: -1 };
    if (!this.#context.metadata.snapshot.topics.has(OFFSETS_TOPIC)) {
      try {
        await this.ensureOffsetsTopic();
      } catch (error) {
        console.error(`broker ${this.#context.config.brokerId}: creating ${OFFSETS_TOPIC}: ${error}`);
        return unavailable;
      }
    }
    const snapshot = this.#context.metadata.snapshot;
    const partition = this.coordinator.partitionFor(groupId);
    const leader = snapshot.topics.get(OFFSETS_TOPIC)?.partitions[partition]?.state?.leader ?? -1;
    const broker = snapshot.brokers.get(leader);
    if (!broker) return unavailable;
    return { errorCode: 0, nodeId: broker.brokerId, host: broker.host, port: broker.port };
  }

  /** Create `__consumer_offsets` if no broker did yet (one creation at a time per broker). */
  ensureOffsetsTopic(): Promise<void> {
    this.#creating ??= this.#createOffsetsTopic().finally(() => this.#creating = null);
    return this.#creating;
  }

  async #createOffsetsTopic(): Promise<void> {
    const context = this.#context;
    const snapshot = context.metadata.snapshot;
    if (snapshot.topics.has(OFFSETS_TOPIC)) return;
    // Compacted by key: the latest commit of each (group, topic, partition) and group metadata
    // stay whatever their age (without compaction the topic would need retention.ms=-1).
    const configs: Record<string, string> = COMPACTION_SUPPORTED
      ? {
        "cleanup.policy": "compact",
        "segment.bytes": String(this.#segmentBytes),
        "segment.ms": String(OFFSETS_SEGMENT_MS),
      }
      : { "retention.ms": "-1" };
    const plan = planTopic(snapshot, {
      name: OFFSETS_TOPIC,
      numPartitions: this.numPartitions,
      replicationFactor: Math.max(1, Math.min(this.#replicationFactor, snapshot.brokers.size)),
      assignments: [],
      configs,
    }, context.config);
    if (!("assignment" in plan)) {
      if (plan.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) return await context.metadata.refresh();
      throw new Error(plan.errorMessage ?? `error ${plan.errorCode}`);
    }
    const outcome = await writeTopic(context.coordination, snapshot, OFFSETS_TOPIC, plan.assignment, configs);
    if (outcome.errorCode !== 0 && outcome.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      throw new Error(outcome.errorMessage ?? `error ${outcome.errorCode}`);
    }
    await context.metadata.refresh();
  }

  /**
   * Hook: this broker now leads offsets partition `partition`. Its groups answer
   * COORDINATOR_LOAD_IN_PROGRESS until the log is replayed.
   */
  async becameLeader(partition: number, leaderEpoch = 0): Promise<void> {
    if (this.#closed) return;
    this.#led.set(partition, leaderEpoch);
    this.coordinator.beginLoading(partition);
    try {
      const records = await this.#readPartition(partition);
      // Leadership may have moved on while we read.
      if (this.#closed || this.#led.get(partition) !== leaderEpoch) return;
      const loaded = this.coordinator.loadPartition(partition, records);
      if (loaded.skipped > 0) {
        console.error(`${OFFSETS_TOPIC}-${partition}: ${loaded.skipped} undecodable records skipped`);
      }
    } catch (error) {
      console.error(`${OFFSETS_TOPIC}-${partition}: load failed: ${(error as Error).message}`);
      if (this.#led.get(partition) === leaderEpoch) this.becameFollower(partition);
    }
  }

  /** Hook: this broker no longer leads offsets partition `partition`: its groups are unloaded. */
  becameFollower(partition: number): void {
    this.#led.delete(partition);
    this.coordinator.unloadPartition(partition);
  }

  /** Unload everything (broker shutdown). */
  close(): void {
    this.#closed = true;
    this.#led.clear();
    this.coordinator.close();
  }

  /** Every record of the hosted partition, oldest first. */
  async #readPartition(partition: number): Promise<OffsetsTopicRecord[]> {
    const hosted = this.#context.replicas.get(OFFSETS_TOPIC, partition);
    if (!hosted) throw new Error("partition not hosted here");
    const records: OffsetsTopicRecord[] = [];
    const endOffset = hosted.log.logEndOffset;
    let offset = hosted.log.logStartOffset;
    while (offset < endOffset) {
      const bytes = await hosted.log.read(offset, this.#loadChunkBytes, endOffset);
      if (bytes.length === 0) break;
      const batches = decodeRecordBatches(bytes);
      if (batches.length === 0) break;
      for (const batch of batches) {
        if (!batch.control) {
          for (const record of batch.records) {
            if (record.key !== null) {
              records.push({ key: record.key.slice(), value: record.value?.slice() ?? null });
            }
          }
        }
        offset = batch.baseOffset + batch.lastOffsetDelta + 1;
      }
    }
    return records;
  }

  /** GroupStore.append: one batch to the partition as leader, acknowledged once committed. */
  async #append(partition: number, records: OffsetsTopicRecord[]): Promise<void> {
    if (records.length === 0) return;
    const context = this.#context;
    const lookup = context.replicas.leaderFor(context.metadata.snapshot, OFFSETS_TOPIC, partition);
    if (lookup.partition === null) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const batch = encodeRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value })) });
    const appended = await appendAsLeader(context, lookup.partition, batch);
    const errorCode = await waitForCommit(
      context,
      lookup.partition,
      appended.nextOffset,
      this.#commitTimeoutMs,
    );
    if (errorCode !== 0) throw new KafkaError(errorCode);
  }
}

const services = new WeakMap<BrokerContext, GroupService>();

/** The group service of a running broker (for replication and tests), if groups are enabled. */
export function groupServiceOf(context: BrokerContext): GroupService | undefined {
  return services.get(context);
}

/**
 * The consumer-group APIs as a broker extension: handlers for FindCoordinator, JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups and
 * DeleteGroups, and the offsets partitions' leadership hooks.
 */
export function groupsExtension(options: GroupServiceOptions = {}): BrokerExtension {
  return (context) => {
    const service = new GroupService(context, options);
    services.set(context, service);
    context.replicas.onLeadershipChange((partition, isLeader) => {
      if (partition.topic !== OFFSETS_TOPIC) return;
      // Loading runs in the background: the replica manager must not wait for it.
      if (isLeader) void service.becameLeader(partition.partition, partition.leaderEpoch);
      else service.becameFollower(partition.partition);
    });
    return { handlers: new Map(groupHandlers(service)), close: () => service.close() };
  };
}

/**
 * Group knobs from the environment: VLTAVA_GROUP_INITIAL_REBALANCE_DELAY_MS (tests shorten it),
 * VLTAVA_OFFSETS_TOPIC_SEGMENT_BYTES (tests shrink it so the offsets topic gets cleaned).
 */
export function groupOptionsFromEnv(): GroupServiceOptions {
  const options: GroupServiceOptions = {};
  const delay = Number(Deno.env.get("VLTAVA_GROUP_INITIAL_REBALANCE_DELAY_MS") ?? NaN);
  if (Number.isInteger(delay) && delay >= 0) options.initialRebalanceDelayMs = delay;
  const segmentBytes = Number(Deno.env.get("VLTAVA_OFFSETS_TOPIC_SEGMENT_BYTES") ?? NaN);
  if (Number.isInteger(segmentBytes) && segmentBytes >= 1024) options.offsetsTopicSegmentBytes = segmentBytes;
  return options;
}
