/**
 * Admin: topic and cluster management. Creating and deleting topics goes to the
 * controller; describing combines Metadata (leader, leader epoch, replicas, ISR) with
 * ListOffsets (log start offset, high watermark) per partition and DescribeLogDirs (size on
 * the leader's disk).
 *
 * @example
 * ```ts
 * await using admin = new Admin({ bootstrap: "127.0.0.1:9092" });
 * await admin.createTopics([{ name: "orders", partitions: 3 }]);
 * const [orders] = await admin.describeTopics(["orders"]);
 * console.log(orders.partitions.map((p) => `${p.partition}: leader ${p.leader}`));
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { readCreateTopicsResponse, writeCreateTopicsRequest } from "../kafka/apis/create-topics.ts";
import { readDeleteTopicsResponse, writeDeleteTopicsRequest } from "../kafka/apis/delete-topics.ts";
import {
  readCreatePartitionsResponse,
  writeCreatePartitionsRequest,
} from "../kafka/apis/create-partitions.ts";
import {
  ConfigResourceType,
  ConfigSource,
  readDescribeConfigsResponse,
  writeDescribeConfigsRequest,
} from "../kafka/apis/describe-configs.ts";
import {
  ElectionType,
  readElectLeadersResponse,
  writeElectLeadersRequest,
} from "../kafka/apis/elect-leaders.ts";
import {
  readAlterPartitionReassignmentsResponse,
  readListPartitionReassignmentsResponse,
  writeAlterPartitionReassignmentsRequest,
  writeListPartitionReassignmentsRequest,
} from "../kafka/apis/partition-reassignments.ts";
import {
  ConfigOperation,
  readIncrementalAlterConfigsResponse,
  writeIncrementalAlterConfigsRequest,
} from "../kafka/apis/incremental-alter-configs.ts";
import { type BrokerInfo, Cluster, type ClusterOptions, type PartitionInfo } from "./cluster.ts";
import type { Connection } from "./connection.ts";
import { DEBUGGING_REPLICA_ID, listOffsets } from "./list-offsets.ts";
import { leaderLogSizes } from "./log-dir-sizes.ts";
import { partitionKey } from "./partition-key.ts";

export interface NewTopic {
  name: string;
  /** Default: the broker's default (-1). */
  partitions?: number;
  /** Default: the broker's default (-1). */
  replicationFactor?: number;
  configs?: Record<string, string>;
}

/** A partition as metadata names it (PartitionInfo), with its offsets and size on the leader. */
export interface PartitionDescription extends PartitionInfo {
  logStartOffset: number;
  highWatermark: number;
  /** Last stable offset (below the oldest open transaction; the high watermark when none); -1 when unknown. */
  lastStableOffset: number;
  /** Log end offset on the leader (records not yet replicated included); -1 when unknown. */
  logEndOffset: number;
  /** Bytes in the partition's segment files on the leader (DescribeLogDirs); -1 when unknown. */
  sizeBytes: number;
  /** Fewer replicas in sync than assigned. */
  underReplicated: boolean;
}

export interface TopicDescription {
  name: string;
  isInternal: boolean;
  partitions: PartitionDescription[];
}

export interface ClusterDescription {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
}

/** One topic config as DescribeConfigs reports it. */
export interface TopicConfigEntry {
  name: string;
  value: string | null;
  /** True when the topic overrides the default. */
  override: boolean;
}

/** One broker config as DescribeConfigs reports it, with where its value comes from. */
export interface BrokerConfigEntry {
  name: string;
  value: string | null;
  source: "broker" | "default for every broker" | "static" | "default" | "unknown";
}

const BROKER_CONFIG_SOURCES: Record<number, BrokerConfigEntry["source"]> = {
  [ConfigSource.dynamicBrokerConfig]: "broker",
  [ConfigSource.dynamicDefaultBrokerConfig]: "default for every broker",
  [ConfigSource.staticBrokerConfig]: "static",
  [ConfigSource.defaultConfig]: "default",
};

/** One partition's outcome of electLeaders: errorCode 0 = elected. */
export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

/** A partition to move: its target replicas (first = preferred leader), or null to cancel. */
export interface PartitionMove {
  topic: string;
  partition: number;
  replicas: number[] | null;
}

/** A reassignment in progress. */
export interface ReassignmentStatus {
  topic: string;
  partition: number;
  replicas: number[];
  adding: number[];
  removing: number[];
}

/** One entry of a topic config change: a new value, or null to return to the default. */
export interface TopicConfigChange {
  name: string;
  value: string | null;
}

export interface AdminOptions extends ClusterOptions {
  /** How long the controller may take to create or delete topics. */
  operationTimeoutMs?: number;
}

/**
 * Creates, deletes, lists and describes topics; describes the cluster.
 *
 * @example
 * ```ts
 * await using admin = new Admin({ bootstrap: "127.0.0.1:9092" });
 * await admin.createTopics([{ name: "orders", partitions: 3, replicationFactor: 1 }]);
 * console.log(await admin.listTopics());
 * ```
 */
export class Admin {
  readonly cluster: Cluster;
  readonly operationTimeoutMs: number;

  constructor(options: AdminOptions) {
    this.cluster = new Cluster(options);
    this.operationTimeoutMs = options.operationTimeoutMs ?? 30_000;
  }

  /** Create topics; throws the first error (e.g. TOPIC_ALREADY_EXISTS) naming its topic. */
  async createTopics(topics: NewTopic[], options: { validateOnly?: boolean } = {}): Promise<void> {
    const connection = await this.#controller();
    const version = connection.versionFor(ApiKey.CreateTopics);
    const response = await connection.request(
      ApiKey.CreateTopics,
      version,
      (w) =>
        writeCreateTopicsRequest(w, version, {
          topics: topics.map((topic) => ({
            name: topic.name,
            numPartitions: topic.partitions ?? -1,
            replicationFactor: topic.replicationFactor ?? -1,
            assignments: [],
            configs: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
          })),
          timeoutMs: this.operationTimeoutMs,
          validateOnly: options.validateOnly ?? false,
        }),
      (r) => readCreateTopicsResponse(r, version),
      connection.requestTimeoutMs + this.operationTimeoutMs,
    );
    for (const topic of response.topics) {
      if (topic.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(
          topic.errorCode,
          `topic "${topic.name}"${topic.errorMessage ? `: ${topic.errorMessage}` : ""}`,
        );
      }
    }
  }

  /** Delete topics; throws the first error (e.g. UNKNOWN_TOPIC_OR_PARTITION) naming its topic. */
  async deleteTopics(names: string[]): Promise<void> {
    const connection = await this.#controller();
    const version = connection.versionFor(ApiKey.DeleteTopics);
    const response = await connection.request(
      ApiKey.DeleteTopics,
      version,
      (w) => writeDeleteTopicsRequest(w, version, { topicNames: names, timeoutMs: this.operationTimeoutMs }),
      (r) => readDeleteTopicsResponse(r, version),
      connection.requestTimeoutMs + this.operationTimeoutMs,
    );
    for (const topic of response.responses) {
      if (topic.errorCode !== ErrorCode.NONE) throw new KafkaError(topic.errorCode, `topic "${topic.name}"`);
    }
  }

  /** Names of every topic, sorted (internal topics only when asked). */
  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    const response = await this.cluster.metadata();
    return response.topics
      .filter((t) => t.errorCode === ErrorCode.NONE && (options.includeInternal || !t.isInternal))
      .map((t) => t.name ?? "")
      .sort();
  }

  /**
   * Describe topics (all non-internal ones when `names` is omitted), with each partition's
   * log start offset, high watermark and size on the leader's disk. A name that does not exist throws
   * UNKNOWN_TOPIC_OR_PARTITION.
   */
  async describeTopics(names?: string[]): Promise<TopicDescription[]> {
    const wanted = names ?? await this.listTopics();
    if (wanted.length === 0) return [];
    await this.cluster.refreshMetadata(wanted);
    const topics = wanted.map((name) => this.cluster.topic(name));
    const queries = topics.flatMap((topic) =>
      topic.partitions.filter((p) => p.leader >= 0).map((p) => ({
        topic: topic.name,
        partition: p.partition,
        leader: p.leader,
      }))
    );
    const latestSpecs = queries.map((q) => ({ ...q, spec: "latest" as const }));
    const [earliest, latest, stable, logEnd, sizes] = await Promise.all([
      listOffsets(this.cluster, queries.map((q) => ({ ...q, spec: "earliest" as const }))),
      listOffsets(this.cluster, latestSpecs),
      listOffsets(this.cluster, latestSpecs, -1, 1),
      listOffsets(this.cluster, latestSpecs, DEBUGGING_REPLICA_ID),
      leaderLogSizes(this.cluster, queries),
    ]);
    const offsets = new Map<
      string,
      { logStartOffset: number; highWatermark: number; lastStableOffset: number; logEndOffset: number }
    >();
    queries.forEach((q, i) => {
      offsets.set(partitionKey(q.topic, q.partition), {
        logStartOffset: earliest[i].error ? -1 : earliest[i].offset,
        highWatermark: latest[i].error ? -1 : latest[i].offset,
        lastStableOffset: stable[i].error ? -1 : stable[i].offset,
        logEndOffset: logEnd[i].error ? -1 : logEnd[i].offset,
      });
    });
    return topics.map((topic) => ({
      name: topic.name,
      isInternal: topic.isInternal,
      partitions: topic.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicas,
        isr: p.isr,
        offlineReplicas: p.offlineReplicas,
        logStartOffset: offsets.get(partitionKey(topic.name, p.partition))?.logStartOffset ?? -1,
        highWatermark: offsets.get(partitionKey(topic.name, p.partition))?.highWatermark ?? -1,
        lastStableOffset: offsets.get(partitionKey(topic.name, p.partition))?.lastStableOffset ?? -1,
        logEndOffset: offsets.get(partitionKey(topic.name, p.partition))?.logEndOffset ?? -1,
        sizeBytes: sizes.get(partitionKey(topic.name, p.partition)) ?? -1,
        underReplicated: p.isr.length < p.replicas.length,
        errorCode: p.errorCode,
      })),
    }));
  }

  /** A topic's configs: every known one with its effective value, overrides marked. */
  async describeTopicConfigs(topic: string): Promise<TopicConfigEntry[]> {
    const configs = await this.#describeConfigs(ConfigResourceType.topic, topic, `topic "${topic}"`, null);
    return configs.map((config) => ({
      name: config.name,
      value: config.value,
      override: config.configSource === ConfigSource.dynamicTopicConfig,
    }));
  }

  /**
   * A broker's configs as it reports them (static ones and the dynamic ones with where each
   * comes from), or with broker null the dynamic defaults every broker shares.
   */
  async describeBrokerConfigs(broker: number | null): Promise<BrokerConfigEntry[]> {
    const what = broker === null ? "the broker default" : `broker ${broker}`;
    const configs = await this.#describeConfigs(
      ConfigResourceType.broker,
      broker === null ? "" : String(broker),
      what,
      broker,
    );
    return configs.map((config) => ({
      name: config.name,
      value: config.value,
      source: BROKER_CONFIG_SOURCES[config.configSource ?? ConfigSource.unknown] ?? "unknown",
    }));
  }

  async #describeConfigs(resourceType: number, resourceName: string, what: string, via: number | null) {
    await this.cluster.refreshMetadata([]);
    // A broker describes its own configs: ask that one.
    const connection = via === null
      ? await this.cluster.anyConnection()
      : await this.cluster.connectionTo(via);
    const version = connection.versionFor(ApiKey.DescribeConfigs);
    const response = await connection.request(
      ApiKey.DescribeConfigs,
      version,
      (w) =>
        writeDescribeConfigsRequest(w, version, {
          resources: [{ resourceType, resourceName, configurationKeys: null }],
        }),
      (r) => readDescribeConfigsResponse(r, version),
    );
    const [result] = response.results;
    if (result === undefined) {
      throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `${what}: no answer`);
    }
    if (result.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(
        result.errorCode,
        `${what}${result.errorMessage ? `: ${result.errorMessage}` : ""}`,
      );
    }
    return result.configs;
  }

  /**
   * Change some of a topic's configs live (IncrementalAlterConfigs), leaving the others; the
   * brokers apply them without a restart. Throws INVALID_CONFIG with the reason for a bad one
   * (nothing is changed then).
   */
  alterTopicConfigs(topic: string, changes: TopicConfigChange[]): Promise<void> {
    return this.#alterConfigs(ConfigResourceType.topic, topic, `topic "${topic}"`, changes);
  }

  /**
   * Change dynamic broker configs live (IncrementalAlterConfigs on a BROKER resource): one
   * broker's, or with broker null the default every broker without its own value uses. A null
   * value deletes the entry.
   */
  alterBrokerConfigs(broker: number | null, changes: TopicConfigChange[]): Promise<void> {
    const what = broker === null ? "the broker default" : `broker ${broker}`;
    return this.#alterConfigs(
      ConfigResourceType.broker,
      broker === null ? "" : String(broker),
      what,
      changes,
    );
  }

  async #alterConfigs(
    resourceType: number,
    resourceName: string,
    what: string,
    changes: TopicConfigChange[],
  ): Promise<void> {
    await this.cluster.refreshMetadata([]);
    const connection = await this.cluster.anyConnection();
    const version = connection.versionFor(ApiKey.IncrementalAlterConfigs);
    const response = await connection.request(
      ApiKey.IncrementalAlterConfigs,
      version,
      (w) =>
        writeIncrementalAlterConfigsRequest(w, version, {
          resources: [{
            resourceType,
            resourceName,
            configs: changes.map(({ name, value }) => ({
              name,
              operation: value === null ? ConfigOperation.delete : ConfigOperation.set,
              value,
            })),
          }],
          validateOnly: false,
        }),
      (r) => readIncrementalAlterConfigsResponse(r, version),
    );
    for (const result of response.responses) {
      if (result.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(
          result.errorCode,
          `${what}${result.errorMessage ? `: ${result.errorMessage}` : ""}`,
        );
      }
    }
  }

  /**
   * Ask the controller to elect leaders (ElectLeaders): "preferred" moves each partition's
   * leadership to its first assigned replica when that one is live and in sync, "unclean" gives
   * a partition without a leader any live replica. `partitions` null = every partition. Each
   * partition's outcome comes back; ELECTION_NOT_NEEDED means it was already as asked.
   */
  async electLeaders(
    type: "preferred" | "unclean",
    partitions: { topic: string; partition: number }[] | null,
  ): Promise<ElectionResult[]> {
    const connection = await this.#controller();
    const version = connection.versionFor(ApiKey.ElectLeaders);
    if (version === 0 && type === "unclean") {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_VERSION,
        "the broker's ElectLeaders has no unclean elections",
      );
    }
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions ?? []) {
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    }
    const response = await connection.request(
      ApiKey.ElectLeaders,
      version,
      (w) =>
        writeElectLeadersRequest(w, version, {
          electionType: type === "preferred" ? ElectionType.preferred : ElectionType.unclean,
          topicPartitions: partitions === null
            ? null
            : [...byTopic].map(([topic, ids]) => ({ topic, partitions: ids })),
          timeoutMs: this.operationTimeoutMs,
        }),
      (r) => readElectLeadersResponse(r, version),
      connection.requestTimeoutMs + this.operationTimeoutMs,
    );
    if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, "electing leaders");
    return response.replicaElectionResults.flatMap(({ topic, partitionResult }) =>
      partitionResult.map(({ partitionId, errorCode, errorMessage }) => ({
        topic,
        partition: partitionId,
        errorCode,
        errorMessage,
      }))
    ).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /**
   * Start (or, with replicas null, cancel) partition reassignments through the controller
   * (AlterPartitionReassignments). Resolves once the controller started them; they complete
   * when the new replicas are in sync (see listPartitionReassignments). Throws the first
   * partition's error, e.g. INVALID_REPLICA_ASSIGNMENT with the reason (the controller checks
   * every target before writing a topic's, so a refused partition changes nothing).
   */
  async alterPartitionReassignments(moves: PartitionMove[]): Promise<void> {
    const connection = await this.#controller();
    const version = connection.versionFor(ApiKey.AlterPartitionReassignments);
    const byTopic = new Map<string, { partitionIndex: number; replicas: number[] | null }[]>();
    for (const { topic, partition, replicas } of moves) {
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partitionIndex: partition, replicas }]);
    }
    const response = await connection.request(
      ApiKey.AlterPartitionReassignments,
      version,
      (w) =>
        writeAlterPartitionReassignmentsRequest(w, version, {
          timeoutMs: this.operationTimeoutMs,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        }),
      (r) => readAlterPartitionReassignmentsResponse(r, version),
      connection.requestTimeoutMs + this.operationTimeoutMs,
    );
    if (response.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(response.errorCode, response.errorMessage ?? "reassigning partitions");
    }
    for (const topic of response.responses) {
      for (const p of topic.partitions) {
        if (p.errorCode !== ErrorCode.NONE) {
          throw new KafkaError(p.errorCode, p.errorMessage ?? `${topic.name}-${p.partitionIndex}`);
        }
      }
    }
  }

  /** The reassignments in progress (ListPartitionReassignments). */
  async listPartitionReassignments(): Promise<ReassignmentStatus[]> {
    const connection = await this.#controller();
    const version = connection.versionFor(ApiKey.ListPartitionReassignments);
    const response = await connection.request(
      ApiKey.ListPartitionReassignments,
      version,
      (w) =>
        writeListPartitionReassignmentsRequest(w, version, {
          timeoutMs: this.operationTimeoutMs,
          topics: null,
        }),
      (r) => readListPartitionReassignmentsResponse(r, version),
    );
    if (response.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(response.errorCode, response.errorMessage ?? "listing reassignments");
    }
    return response.topics.flatMap(({ name, partitions }) =>
      partitions.map((p) => ({
        topic: name,
        partition: p.partitionIndex,
        replicas: p.replicas,
        adding: p.addingReplicas,
        removing: p.removingReplicas,
      }))
    );
  }

  /** Grow a topic to `count` partitions (CreatePartitions; the new ones placed as for a new topic). */
  async createPartitions(topic: string, count: number): Promise<void> {
    const connection = await this.#controller();
    const version = connection.versionFor(ApiKey.CreatePartitions);
    const response = await connection.request(
      ApiKey.CreatePartitions,
      version,
      (w) =>
        writeCreatePartitionsRequest(w, version, {
          topics: [{ name: topic, count, assignments: null }],
          timeoutMs: this.operationTimeoutMs,
          validateOnly: false,
        }),
      (r) => readCreatePartitionsResponse(r, version),
      connection.requestTimeoutMs + this.operationTimeoutMs,
    );
    for (const result of response.results) {
      if (result.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(
          result.errorCode,
          `topic "${topic}"${result.errorMessage ? `: ${result.errorMessage}` : ""}`,
        );
      }
    }
  }

  /** Brokers and the controller. */
  async describeCluster(): Promise<ClusterDescription> {
    await this.cluster.refreshMetadata([]);
    return {
      clusterId: this.cluster.clusterId,
      controllerId: this.cluster.controllerId,
      brokers: [...this.cluster.brokers.values()].sort((a, b) => a.nodeId - b.nodeId),
    };
  }

  close(): void {
    this.cluster.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  async #controller(): Promise<Connection> {
    await this.cluster.refreshMetadata([]);
    const id = this.cluster.controllerId;
    if (id >= 0 && this.cluster.brokers.has(id)) return await this.cluster.connectionTo(id);
    return await this.cluster.anyConnection();
  }
}
