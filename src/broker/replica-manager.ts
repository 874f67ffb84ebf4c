/**
 * ReplicaManager: the partitions this broker hosts (a map of Partition), the fetchers that keep
 * its follower replicas up to date (one per source broker), the ISR timer of the partitions it
 * leads, and the single entry point for leadership news:
 *
 *   becomeLeaderOrFollower  LeaderAndIsr from the controller (refused with STALE_CONTROLLER_EPOCH
 *                           when an older controller sent it): host what is named, then each
 *                           Partition decides (older leader epochs are ignored).
 *   stopReplicas            StopReplica: stop leading and following, and delete the logs when asked.
 *   reconcile               the coordinator tree read at start and periodically: the same path as
 *                           LeaderAndIsr (epoch-fenced), plus partitions of deleted topics and
 *                           partitions no longer assigned here going away, and topic configs.
 *
 * A topic never seen in a tree read of this run is never deleted because of its absence, so
 * pointing a broker at an empty coordinator cannot wipe its disk.
 *
 * Disk faults: a log whose files fail (a full disk, an I/O error) goes offline — it answers
 * KAFKA_STORAGE_ERROR, stops leading and following — and the broker publishes its offline
 * replicas (onOfflineReplicas) so that the controller moves leadership and shrinks the ISR, as
 * Kafka's log dir failure handling does; a restart (after recovery has checked the tail) brings
 * it back. Logs trusted at open after a clean shutdown are checked by CRC in the background at
 * --log-verify-bytes-per-second, followers first (they fetch only once checked); a follower out
 * of the ISR with damage truncates below it and fetches it again, a replica that leads or is in
 * the ISR goes offline instead (the controller moves leadership; a restart repairs it).
 *
 * Work proportional to the number of partitions in one request runs in slices with a yield to
 * the event loop between them, so thousands of partition changes never keep the broker from its
 * coordinator heartbeats or its clients.
 */
import {
  FOLLOWER_THROTTLED_REPLICAS,
  LEADER_THROTTLED_REPLICAS,
  ReplicationQuotas,
  throttledReplicas,
} from "./replication/replication-quota.ts";
import { ErrorCode } from "../kafka/errors.ts";
import type { LeaderAndIsrRequest, LeaderAndIsrResponse } from "../kafka/apis/leader-and-isr.ts";
import { DEFAULT_LOG_CONFIG, logConfigFromTopicConfigs } from "../storage/log-config.ts";
import { PartitionLog } from "../storage/partition-log.ts";
import { fileSystemSync } from "../storage/file-system-sync.ts";
import { type CleanLogState, takeCleanShutdownState } from "../storage/clean-shutdown-state.ts";
import { partitionDirName } from "../storage/segment-names.ts";
import { isIoError } from "../storage/file-io.ts";
import { onRetiredRemovalError, removeRetiredIn } from "../storage/background-removal.ts";
import { SliceClock, yieldToEventLoop } from "./event-loop.ts";
import type { ClusterView } from "./cluster-tree.ts";
import type { BrokerConfig } from "./config.ts";
import { ControllerEpochFence } from "./controller/controller-epoch-fence.ts";
import type { MetadataCache } from "./metadata-cache.ts";
import {
  type LeadershipNews,
  Partition,
  type PartitionDeps,
  type PartitionObserver,
} from "./partition/partition.ts";
import type { PartitionStateStore } from "./partition/isr-writer.ts";
import type { Purgatory } from "./purgatory.ts";
import { FetcherPool } from "./replication/fetcher-pool.ts";
import { FollowerJoins } from "./replication/follower-joins.ts";
import { parsePartitionKey, partitionKey, type TopicPartition } from "./topic-partition.ts";
import type { BrokerEndpoint, PartitionState } from "./zk-layout.ts";
import { logLine } from "./log-lines.ts";

/**
 * Follower fetch settings (Kafka's replica.fetch.* defaults, except the response bound); the long
 * poll comes from the broker's config (--replica-fetch-wait-max-ms), the rest only from tests.
 */
export interface ReplicaFetchSettings {
  /** replica.fetch.wait.max.ms: the follower's long poll. */
  fetchMaxWaitMs: number;
  /** replica.fetch.response.max.bytes. */
  fetchMaxBytes: number;
  /** replica.fetch.max.bytes: per partition. */
  fetchPartitionMaxBytes: number;
  /** replica.fetch.backoff.ms, doubled per failure up to 2 s. */
  fetchBackoffMs: number;
}

export const DEFAULT_REPLICA_FETCH_SETTINGS: Omit<ReplicaFetchSettings, "fetchMaxWaitMs"> = {
  fetchMaxBytes: 10 * 1_048_576,
  fetchPartitionMaxBytes: 1_048_576,
  fetchBackoffMs: 100,
};

/** Partitions handled between two yields to the event loop. */
const PARTITIONS_PER_SLICE = 64;

/** maintain(): logs worked on between two looks at the slice clock. */
const LOGS_PER_CLOCK_READ = 16;

/**
 * How often maintain() expires idle producer ids: a tenth of producer.id.expiration.ms, within
 * [1 s, 10 min] (Kafka checks every 10 minutes, producer.id.expiration.check.interval.ms). An id
 * goes at most that much later than its expiration; checked every second, 10,000 written
 * partitions spent a fifth of an idle broker's JavaScript time finding nothing to expire.
 */
function producerExpiryCheckMs(expirationMs: number): number {
  return Math.min(600_000, Math.max(1_000, Math.floor(expirationMs / 10)));
}

/** One partition of a StopReplica request. */
export interface StopReplicaPartition {
  topicName: string;
  partitionIndex: number;
}

/** Result of a leader lookup: the partition or the error code to answer with. */
export type LeaderLookup = { partition: Partition; errorCode: 0 } | { partition: null; errorCode: number };

export interface ReplicaManagerDeps {
  config: BrokerConfig;
  metadata: MetadataCache;
  purgatory: Purgatory;
  stateStore: PartitionStateStore;
  /** A topic's config overrides as the coordinator has them now. */
  readTopicConfigs: (topic: string) => Promise<Record<string, string>>;
  fetch?: Partial<ReplicaFetchSettings>;
  /** The replicas whose logs are offline now (all of them, after each change). */
  onOfflineReplicas?: (partitions: TopicPartition[]) => void;
  /** When a follower's fetch session last showed it still fetching a partition (PartitionDeps.followerSeenAt). */
  followerSeenAt?: (replicaId: number, topic: string, partition: number) => number | undefined;
  log?: (message: string) => void;
}

/** How often the start-up CRC check runs a slice (its rate is spread over these). */
const VERIFY_INTERVAL_MS = 100;

type Throttled = (partition: number, brokerId: number) => boolean;

export class ReplicaManager {
  readonly brokerId: number;
  /**
   * The broker's one controller-epoch fence: a LeaderAndIsr, StopReplica or UpdateMetadata from
   * an older controller than any heard so far is refused.
   */
  readonly controllerFence = new ControllerEpochFence();
  readonly #deps: ReplicaManagerDeps;
  readonly #partitions = new Map<string, Partition>();
  /** Partitions this broker leads (the ISR timer visits only these). */
  readonly #led = new Set<Partition>();
  readonly #fetchers: FetcherPool;
  readonly #observers: PartitionObserver[] = [];
  /** Topics seen in a tree read of this run: only those may be deleted for being absent. */
  readonly #seenTopics = new Set<string>();
  /** Leader endpoints named by LeaderAndIsr, for leaders the metadata cache has not heard of. */
  readonly #liveLeaders = new Map<number, BrokerEndpoint>();
  /** The configs each hosted topic's partitions were opened or last updated with. */
  readonly #topicConfigs = new Map<string, Record<string, string>>();
  /** How many partitions of each topic are hosted (its configs are forgotten with the last). */
  readonly #hostedPerTopic = new Map<string, number>();
  readonly #timer: ReturnType<typeof setInterval>;
  /** When maintain() last expired producer ids, and how often it does (producerExpiryCheckMs). */
  #producersExpiredAtMs = 0;
  readonly #producerExpiryCheckMs: number;
  readonly #verifyTimer: ReturnType<typeof setInterval> | undefined;
  /** Bytes the start-up CRC check read since it last reported. */
  #verifiedBytes = 0;
  /**
   * Some hosted log may still be unchecked: set when one is opened unchecked, cleared when a
   * tick finds none, so an idle broker's tick does not walk every partition.
   */
  #uncheckedLogs = false;
  /** Replicas whose logs went offline (or could not be opened): never hosted again in this run. */
  readonly #offline = new Map<string, TopicPartition>();
  /**
   * The data directory's clean-shutdown state, taken at start (which removes its file): each
   * entry vouches for a log as the last shutdown closed it, until that log's first open.
   */
  readonly #closedCleanly: Map<string, CleanLogState>;
  readonly #partitionDeps: PartitionDeps;
  readonly #log: (message: string) => void;
  #closed = false;
  /** Controlled shutdown began: no fetcher runs or starts from then on (stopFollowing). */
  #followingStopped = false;
  /** The replication throttles' byte rates (dynamic broker configs; replication-quota.ts). */
  readonly quotas = new ReplicationQuotas();
  /** Followers to fetch promptly from partitions this broker starts leading (the fetch handler's). */
  readonly followerJoins: FollowerJoins;
  /** Each topic config's throttled-replica predicates, parsed once per config object. */
  readonly #throttled = new WeakMap<Record<string, string>, { leader: Throttled; follower: Throttled }>();

  constructor(deps: ReplicaManagerDeps) {
    this.#deps = deps;
    this.brokerId = deps.config.brokerId;
    this.followerJoins = new FollowerJoins(deps.purgatory);
    this.#log = deps.log ?? ((message) => logLine(`broker ${this.brokerId}: ${message}`));
    this.#closedCleanly = takeCleanShutdownState(deps.config.dataDir, this.#log);
    // Deleted logs are removed in the background (storage/background-removal.ts); what a crash
    // left of them goes now, and a removal that fails is said in this broker's log.
    onRetiredRemovalError(this.#log);
    removeRetiredIn(deps.config.dataDir);
    const fetch = {
      ...DEFAULT_REPLICA_FETCH_SETTINGS,
      fetchMaxWaitMs: deps.config.replicaFetchWaitMaxMs,
      ...deps.fetch,
    };
    this.#fetchers = new FetcherPool(
      {
        brokerId: this.brokerId,
        maxWaitMs: fetch.fetchMaxWaitMs,
        maxBytes: fetch.fetchMaxBytes,
        // A response holds at least one whole batch even past maxBytes (KIP-74), and no batch is
        // larger than a request frame.
        maxResponseBytes: Math.max(deps.config.maxFrameBytes, fetch.fetchMaxBytes + 1_048_576),
        // A follower unanswered this long is out of the ISR anyway: start over on a new connection.
        requestTimeoutMs: fetch.fetchMaxWaitMs + deps.config.replicaLagTimeMaxMs,
        partitionMaxBytes: fetch.fetchPartitionMaxBytes,
        backoffMs: fetch.fetchBackoffMs,
        maxBackoffMs: 2_000,
        security: deps.config.interBrokerSecurity,
        throttle: {
          quota: this.quotas.follower,
          throttled: (key) => {
            const { topic, partition } = parsePartitionKey(key);
            return this.#throttles(topic)?.follower(partition, this.brokerId) ?? false;
          },
        },
      },
      (id) => deps.metadata.brokers.get(id) ?? this.#liveLeaders.get(id),
      this.#log,
    );
    const lagMs = deps.config.replicaLagTimeMaxMs;
    this.#producerExpiryCheckMs = producerExpiryCheckMs(deps.config.producerIdExpirationMs);
    this.#partitionDeps = {
      brokerId: this.brokerId,
      purgatory: deps.purgatory,
      stateStore: deps.stateStore,
      replicaLagTimeMaxMs: lagMs,
      producerIdExpirationMs: deps.config.producerIdExpirationMs,
      onNewerState: (partition, state) => this.#followNewerState(partition, state),
      onLeading: (followers) => this.followerJoins.expect(followers),
      // Before the first UpdateMetadata nobody is known dead: the old rule (any caught-up follower).
      isLiveBroker: (id) => deps.metadata.brokers.size === 0 || deps.metadata.brokers.has(id),
      followerSeenAt: deps.followerSeenAt,
      observer: this.#fanOut(),
      log: this.#log,
    };
    // Half the lag bound (within [50 ms, 1 s]): a lagging member leaves within 1.5 × the bound.
    const tickMs = Math.max(50, Math.min(1_000, Math.floor(lagMs / 2)));
    this.#timer = setInterval(() => {
      for (const partition of this.#led) partition.maybeShrinkIsr();
    }, tickMs);
    const verifyBytesPerTick = Math.ceil(deps.config.logVerifyBytesPerSecond * VERIFY_INTERVAL_MS / 1000);
    if (verifyBytesPerTick > 0) {
      this.#verifyTimer = setInterval(() => this.#verifySome(verifyBytesPerTick), VERIFY_INTERVAL_MS);
    }
  }

  /** Be told of every partition's state changes (metrics, events, the group coordinator). */
  addObserver(observer: PartitionObserver): void {
    this.#observers.push(observer);
  }

  #fanOut(): PartitionObserver {
    const each = (call: (observer: PartitionObserver) => void) => {
      for (const observer of this.#observers) {
        try {
          call(observer);
        } catch (error) {
          // An observer's bug must not break replication: report it and go on.
          this.#log(`partition observer failed: ${(error as Error).stack}`);
        }
      }
    };
    return {
      leadershipChanged: (partition, isLeader) => {
        if (isLeader) this.#led.add(partition);
        else this.#led.delete(partition);
        each((o) => o.leadershipChanged(partition, isLeader));
      },
      isrChanged: (partition, before, after, reason) =>
        each((o) => o.isrChanged(partition, before, after, reason)),
      highWatermarkAdvanced: (partition, value) => each((o) => o.highWatermarkAdvanced(partition, value)),
      appended: (partition, info) => each((o) => o.appended(partition, info)),
    };
  }

  get(topic: string, partition: number): Partition | undefined {
    return this.#partitions.get(partitionKey(topic, partition));
  }

  /** Every hosted partition. */
  all(): IterableIterator<Partition> {
    return this.#partitions.values();
  }

  /** The replicas whose logs are offline. */
  get offlineReplicas(): TopicPartition[] {
    return [...this.#offline.values()];
  }

  /**
   * The partition if this broker leads it, else the error a client should see. `key` may be
   * passed when the caller keeps it (a fetch session), saving a string per lookup.
   */
  leaderFor(topic: string, partition: number, key: string = partitionKey(topic, partition)): LeaderLookup {
    const hosted = this.#partitions.get(key);
    if (hosted?.isLeader) return { partition: hosted, errorCode: 0 };
    if (this.#offline.has(key)) return { partition: null, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
    const known = this.#deps.metadata.partition(topic, partition);
    if (!known) return { partition: null, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (!known.state || known.state.leader < 0) {
      return { partition: null, errorCode: ErrorCode.LEADER_NOT_AVAILABLE };
    }
    return { partition: null, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  }

  // --- leadership news -------------------------------------------------------------------

  /** LeaderAndIsr (key 4) from the controller. */
  async becomeLeaderOrFollower(request: LeaderAndIsrRequest): Promise<LeaderAndIsrResponse> {
    if (!this.controllerFence.admit(request.controllerEpoch)) {
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
    const states = request.ungroupedPartitionStates;
    // One config read per topic new to this broker, all in flight together.
    const newTopics = [...new Set(states.map((s) => s.topicName))].filter((t) => !this.#topicConfigs.has(t));
    const configs = new Map(
      await Promise.all(newTopics.map(async (topic) => [topic, await this.#readConfigs(topic)] as const)),
    );
    const partitionErrors = [];
    const slice = new SliceClock();
    for (const state of states) {
      await slice.maybeYield();
      const error = (errorCode: number) => ({
        topicName: state.topicName,
        partitionIndex: state.partitionIndex,
        errorCode,
      });
      if (!state.replicas.includes(this.brokerId)) {
        partitionErrors.push(error(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        continue;
      }
      const partition = this.#host(
        { topic: state.topicName, partition: state.partitionIndex },
        configs.get(state.topicName) ?? this.#topicConfigs.get(state.topicName) ?? {},
      );
      if (partition === null) {
        const offline = this.#offline.has(partitionKey(state.topicName, state.partitionIndex));
        partitionErrors.push(
          error(offline ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NOT_LEADER_OR_FOLLOWER),
        );
        continue;
      }
      const outcome = this.#applyLeadership(partition, state);
      partitionErrors.push(error(
        outcome === "stale"
          ? ErrorCode.FENCED_LEADER_EPOCH
          : outcome === "offline"
          ? ErrorCode.KAFKA_STORAGE_ERROR
          : ErrorCode.NONE,
      ));
    }
    return { errorCode: ErrorCode.NONE, partitionErrors };
  }

  /** StopReplica (key 5): stop following or leading; with deletePartitions remove the logs. */
  async stopReplicas(
    controllerEpoch: number,
    partitions: StopReplicaPartition[],
    deletePartitions: boolean,
  ): Promise<{ errorCode: number; partitionErrors: (StopReplicaPartition & { errorCode: number })[] }> {
    if (!this.controllerFence.admit(controllerEpoch)) {
      return { errorCode: ErrorCode.STALE_CONTROLLER_EPOCH, partitionErrors: [] };
    }
    const partitionErrors = [];
    for (const [index, wanted] of partitions.entries()) {
      if (index > 0 && index % PARTITIONS_PER_SLICE === 0) await yieldToEventLoop();
      const partition = this.get(wanted.topicName, wanted.partitionIndex);
      if (partition) {
        if (deletePartitions) this.#remove(partition);
        else this.#stopActing(partition);
      }
      partitionErrors.push({ ...wanted, errorCode: ErrorCode.NONE });
    }
    return { errorCode: ErrorCode.NONE, partitionErrors };
  }

  /**
   * Bring the hosted partitions in line with a read of the coordinator tree: host what is
   * assigned here (applying its state as leadership news), drop what is not, delete the logs of
   * topics seen earlier in this run and gone now, apply changed topic configs.
   */
  async reconcile(view: ClusterView): Promise<void> {
    if (this.#closed) return;
    let handled = 0;
    for (const topic of view.topics.values()) {
      this.#seenTopics.add(topic.name);
      this.applyTopicConfigs(topic.name, topic.configs);
      for (const [index, replicas] of topic.assignment.entries()) {
        if (++handled % PARTITIONS_PER_SLICE === 0) await yieldToEventLoop();
        if (this.#closed) return;
        const hosted = this.get(topic.name, index);
        if (!replicas.includes(this.brokerId)) {
          if (hosted) this.#remove(hosted);
          continue;
        }
        const partition = hosted ?? this.#host({ topic: topic.name, partition: index }, topic.configs);
        const current = topic.states[index];
        if (partition && current) {
          this.#applyLeadership(partition, { ...current.state, replicas, zkVersion: current.version });
        }
      }
    }
    for (const partition of [...this.#partitions.values()]) {
      if (view.topics.has(partition.topic) || !this.#seenTopics.has(partition.topic)) continue;
      this.#remove(partition);
    }
  }

  #applyLeadership(partition: Partition, news: LeadershipNews): ReturnType<Partition["applyLeadership"]> {
    const outcome = partition.applyLeadership(news);
    if (outcome === "became-leader") this.#fetchers.stop(partition.key);
    if (outcome === "became-follower") {
      this.#fetchers.stop(partition.key);
      if (news.leader >= 0 && !this.#followingStopped) {
        this.#fetchers.follow(partition, news.leader, news.leaderEpoch);
      }
    }
    return outcome;
  }

  /** A partition's ISR write or re-read met a newer state: follow it, or stop when it is gone. */
  #followNewerState(partition: Partition, state: PartitionState | null): void {
    if (this.#partitions.get(partition.key) !== partition) return;
    if (state === null) this.#stopActing(partition);
    else this.#applyLeadership(partition, { ...state, replicas: partition.replicas });
  }

  #stopActing(partition: Partition): void {
    this.#fetchers.stop(partition.key);
    partition.stop();
  }

  // --- hosting -----------------------------------------------------------------------------

  /** The hosted partition, opening its log first if needed; null once closed or on a disk error. */
  #host(name: TopicPartition, configs: Record<string, string>): Partition | null {
    const key = partitionKey(name.topic, name.partition);
    const hosted = this.#partitions.get(key);
    if (hosted) return hosted;
    if (this.#closed || this.#offline.has(key)) return null;
    this.#topicConfigs.set(name.topic, configs);
    let log: PartitionLog;
    // Set right after the open; a log cannot go offline before its first use.
    let partition: Partition | null = null;
    const dirName = partitionDirName(name.topic, name.partition);
    const closedCleanly = this.#closedCleanly.get(dirName);
    this.#closedCleanly.delete(dirName); // vouches for the log as it was closed: for its first open only
    try {
      log = PartitionLog.open({
        dir: `${this.#deps.config.dataDir}/${dirName}`,
        closedCleanly,
        config: this.#logConfig(name.topic, configs),
        verifyTrusted: this.#verifyTimer !== undefined,
        logger: this.#log,
        // Deferred: the log reports from inside the failing call, whose caller handles the error first.
        onOffline: () => queueMicrotask(() => partition && this.#logWentOffline(partition)),
      });
    } catch (error) {
      this.#log(`${key}: cannot open the log: ${(error as Error).message}`);
      // The disk failed under it: the replica is offline (the controller must not pick it).
      if (isIoError(error)) this.#markOffline(name);
      return null;
    }
    partition = new Partition(name, log, this.#partitionDeps, closedCleanly?.attachment ?? null);
    partition.minInsyncReplicas = Number(configs["min.insync.replicas"] ?? 1);
    this.#partitions.set(key, partition);
    if (!partition.verified) this.#uncheckedLogs = true;
    this.#hostedPerTopic.set(name.topic, (this.#hostedPerTopic.get(name.topic) ?? 0) + 1);
    return partition;
  }

  /** The log settings of a topic: its overrides on the broker's defaults (bad values ignored). */
  #logConfig(topic: string, configs: Record<string, string>) {
    const defaults = {
      fsyncAlways: this.#deps.config.fsync === "always",
      maxBatchBytes: this.#deps.config.maxMessageBytes,
    };
    try {
      return { ...defaults, ...logConfigFromTopicConfigs(configs) };
    } catch (error) {
      this.#log(`topic ${topic}: ignoring configs: ${(error as Error).message}`);
      return defaults;
    }
  }

  /**
   * New configs for a hosted topic (a config change notification, or a reconcile): applied to its
   * open logs at once. A topic this broker hosts nothing of is ignored (its logs read the configs
   * when they open).
   */
  /**
   * Whether this broker's replica of topic-partition is throttled as a leader (its topic's
   * leader.replication.throttled.replicas names partition:thisBroker, or is *).
   */
  leaderThrottled(topic: string, partition: number): boolean {
    return this.#throttles(topic)?.leader(partition, this.brokerId) ?? false;
  }

  #throttles(topic: string): { leader: Throttled; follower: Throttled } | undefined {
    const configs = this.#topicConfigs.get(topic);
    if (configs === undefined) return undefined;
    let throttles = this.#throttled.get(configs);
    if (!throttles) {
      throttles = {
        leader: throttledReplicas(configs[LEADER_THROTTLED_REPLICAS]),
        follower: throttledReplicas(configs[FOLLOWER_THROTTLED_REPLICAS]),
      };
      this.#throttled.set(configs, throttles);
    }
    return throttles;
  }

  applyTopicConfigs(topic: string, configs: Record<string, string>): void {
    const known = this.#topicConfigs.get(topic);
    if (known === undefined || stableJson(known) === stableJson(configs)) return;
    this.#topicConfigs.set(topic, configs);
    // Complete, not partial: an override removed returns to the default instead of staying.
    const logConfig = { ...DEFAULT_LOG_CONFIG, ...this.#logConfig(topic, configs) };
    this.#log(`topic ${topic}: configs changed to ${stableJson(configs)}`);
    for (const partition of this.#partitions.values()) {
      if (partition.topic !== topic) continue;
      partition.log.updateConfig(logConfig);
      partition.minInsyncReplicas = Number(configs["min.insync.replicas"] ?? 1);
    }
  }

  async #readConfigs(topic: string): Promise<Record<string, string>> {
    try {
      return await this.#deps.readTopicConfigs(topic);
    } catch (error) {
      // The defaults serve until the next reconcile brings the real configs.
      this.#log(`topic ${topic}: cannot read its configs, using defaults: ${(error as Error).message}`);
      return {};
    }
  }

  /** A hosted log went offline: stop leading and following it, and tell the controller. */
  #logWentOffline(partition: Partition): void {
    if (this.#partitions.get(partition.key) !== partition) return;
    this.#stopActing(partition);
    this.#markOffline(partition);
  }

  #markOffline(name: TopicPartition): void {
    const key = partitionKey(name.topic, name.partition);
    if (this.#offline.has(key)) return;
    this.#offline.set(key, { topic: name.topic, partition: name.partition });
    this.#log(
      `${key}: replica offline (KAFKA_STORAGE_ERROR) until this broker restarts; telling the controller`,
    );
    this.#deps.onOfflineReplicas?.(this.offlineReplicas);
  }

  /**
   * One slice of the start-up CRC check: about maxBytes of the logs still unchecked, followers
   * first (they wait for it before fetching), then the logs this broker leads (they serve
   * meanwhile: a consumer's own CRC check refuses a bad batch, a follower's append too).
   */
  #verifySome(maxBytes: number): void {
    if (!this.#uncheckedLogs) return;
    let budget = maxBytes;
    const pending = [...this.#partitions.values()].filter((p) => !p.verified && p.offline === null);
    if (pending.length === 0) {
      this.#uncheckedLogs = false;
      if (this.#verifiedBytes > 0) {
        this.#log(
          `start-up CRC check done: ${(this.#verifiedBytes / 1_048_576).toFixed(1)} MiB of logs checked`,
        );
        this.#verifiedBytes = 0;
      }
      return;
    }
    pending.sort((a, b) => Number(a.isLeader) - Number(b.isLeader));
    for (const partition of pending) {
      if (budget <= 0) return;
      try {
        const read = partition.log.verifySome(budget);
        budget -= read;
        this.#verifiedBytes += read;
      } catch (error) {
        // A read failed: the log went offline (reported by itself) or was closed meanwhile.
        this.#log(`${partition.key}: CRC check stopped: ${(error as Error).message}`);
        continue;
      }
      if (partition.log.damage !== null) this.#repairDamage(partition);
    }
  }

  /**
   * The check found a bad batch. A follower out of the ISR removes it and everything after it
   * and fetches it all again; a replica that leads or is in the ISR must not lose what it may
   * have acknowledged or be elected with: it goes offline, so the controller moves leadership
   * and takes it out of the ISR (its next start truncates it as an out-of-sync follower).
   */
  #repairDamage(partition: Partition): void {
    const damage = partition.log.damage!;
    if (partition.isLeader || partition.isr.includes(this.brokerId)) {
      partition.log.takeOffline(
        `damaged batch at offset ${damage.offset} (${damage.reason}) in a replica that leads or is in the ISR`,
      );
      return;
    }
    try {
      partition.truncateAtDamage();
      this.#log(
        `${partition.key}: removed the damage from offset ${damage.offset} on; fetching it again from the leader`,
      );
    } catch (error) {
      // The truncation's own disk error took the log offline (reported by the log).
      this.#log(`${partition.key}: removing the damage failed: ${(error as Error).message}`);
    }
  }

  /**
   * Stop hosting a partition and delete its log (StopReplica with delete, a topic gone, a replica
   * no longer assigned here).
   */
  #remove(partition: Partition): void {
    this.#stopActing(partition);
    // Nothing is written for a next open: no producer snapshot, no index files (PartitionLog.delete).
    partition.closeForDeletion();
    this.#partitions.delete(partition.key);
    // A deleted partition is no longer offline here: the controller forgets it with the topic.
    if (this.#offline.delete(partition.key)) this.#deps.onOfflineReplicas?.(this.offlineReplicas);
    const left = (this.#hostedPerTopic.get(partition.topic) ?? 1) - 1;
    if (left > 0) this.#hostedPerTopic.set(partition.topic, left);
    else {
      this.#hostedPerTopic.delete(partition.topic);
      this.#topicConfigs.delete(partition.topic);
    }
    try {
      partition.log.delete();
    } catch (error) {
      this.#log(`${partition.key}: deleting the log failed: ${(error as Error).message}`);
    }
  }

  /**
   * Run every log's periodic chores, yielding when a slice of time is used up (not every so many
   * partitions: at 10,000 mostly never-written ones a yield per 64 cost 150 timer wake-ups a
   * second, most of an idle broker's CPU); a failing log is reported, not fatal. The map is
   * iterated live: one removed meanwhile is not visited, one added is.
   */
  async maintain(): Promise<void> {
    const slice = new SliceClock();
    const now = Date.now();
    const expiring = now - this.#producersExpiredAtMs >= this.#producerExpiryCheckMs;
    if (expiring) this.#producersExpiredAtMs = now;
    let worked = 0;
    for (const partition of this.#partitions.values()) {
      if (this.#closed) return;
      // Never written: no segment, no producer, nothing to do (most of an idle cluster's
      // partitions; this loop runs every second over all of them).
      if (!partition.log.written) continue;
      // The clock is read every few logs: one log's chores cost microseconds. The iterator hands
      // out only partitions still hosted; one removed during the yield is skipped.
      if (++worked % LOGS_PER_CLOCK_READ === 0) {
        await slice.maybeYield();
        if (this.#partitions.get(partition.key) !== partition) continue;
      }
      try {
        // A disk error here takes the log offline (it reports that itself). A quiet log is
        // skipped without an await.
        if (partition.log.maintenanceDue()) await partition.log.maintain();
        if (expiring) partition.expireProducers();
      } catch (error) {
        this.#log(`partition ${partition.key}: maintenance failed: ${(error as Error).message}`);
      }
    }
  }

  /**
   * Controlled shutdown begins: stop every fetcher and start none from now on, also for the
   * partitions whose leadership the controller moves away from this broker. A broker on its way
   * out that kept fetching would catch up, and its leaders would add it back to the ISRs the
   * controller just took it out of, and the controller would take it out again, round after
   * round (measured at 3,000 partitions: three such rounds per partition during one shutdown).
   * KIP-841 keeps a broker in controlled shutdown out of ISR expansion for the same reason.
   * Resolves once every fetcher stopped: none sends again. A fetch sent just before can still
   * reach its leader after the controller's decision (then the controller takes this broker out
   * of that ISR once more, as it would without this); the request order makes that rare.
   */
  async stopFollowing(): Promise<void> {
    this.#followingStopped = true;
    await this.#fetchers.close();
  }

  /** Stop every fetcher and the ISR timer, then close every log (clean shutdown). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearInterval(this.#verifyTimer);
    await this.#fetchers.close();
    // All logs at once: one file-system sync and one file for the data directory, not files and
    // fsyncs per partition (issue 16); the producer states go into that file too. Without syncfs
    // closeAll closes each log on its own, so each partition writes its own snapshot.
    const together = fileSystemSync.available();
    const producerStates = new Map<PartitionLog, Uint8Array | null>();
    for (const partition of this.#partitions.values()) {
      if (together) producerStates.set(partition.log, partition.closeForShutdown());
      else partition.close();
    }
    const logs = [...this.#partitions.values()].map((p) => p.log);
    const failures = await PartitionLog.closeAll(logs, producerStates);
    for (const { log, error } of failures) this.#log(`${log.dir}: closing the log failed: ${error.message}`);
    this.#partitions.clear();
    this.#led.clear();
  }
}

/** JSON with sorted keys, to compare config maps. */
function stableJson(configs: Record<string, string>): string {
  return JSON.stringify(Object.keys(configs).sort().map((key) => [key, configs[key]]));
}
