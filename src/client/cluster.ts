/**
 * Cluster: what one client knows about the brokers. It holds the metadata cache (brokers,
 * controller, every known topic's partitions with leader, leader epoch, replicas and ISR),
 * refreshes it on demand or when it is older than `metadataMaxAgeMs`, and keeps one
 * connection per broker (opened lazily, forgotten when it closes).
 *
 * Bootstrap addresses are used only to fetch metadata; afterwards brokers are addressed
 * by node id through the advertised host and port.
 *
 * @example
 * ```ts
 * const cluster = new Cluster({ bootstrap: "127.0.0.1:9092" });
 * await cluster.refreshMetadata(["orders"]);
 * const leader = cluster.leaderFor("orders", 0);
 * const connection = await cluster.connectionTo(leader);
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { readMetadataResponse, writeMetadataRequest } from "../kafka/apis/metadata.ts";
import type { MetadataResponse } from "../kafka/apis/metadata.ts";
import { Connection, type ConnectionOptions } from "./connection.ts";
import { AuthenticationError, BrokerUnreachableError, TlsHandshakeError } from "./errors.ts";
import type { ClientSecurity } from "./security.ts";

export interface ClusterOptions {
  /** "host:port" or several, comma-separated or as an array. */
  bootstrap: string | string[];
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxInFlightRequests?: number;
  /** Refresh metadata that is older than this even without an error. */
  metadataMaxAgeMs?: number;
  /** TLS and SASL settings for every broker connection; default PLAINTEXT. */
  security?: ClientSecurity;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  /** -1 when the partition has no leader right now. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  isInternal: boolean;
  partitions: PartitionInfo[];
}

/** Parse "host:port[,host:port]" into addresses. */
export function parseBootstrap(bootstrap: string | string[]): { host: string; port: number }[] {
  const entries = (Array.isArray(bootstrap) ? bootstrap : bootstrap.split(",")).map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (entries.length === 0) throw new TypeError("Bootstrap list is empty: give at least one HOST:PORT");
  return entries.map((entry) => {
    const match = /^(.+):(\d{1,5})$/.exec(entry);
    if (!match || Number(match[2]) > 65535) {
      throw new TypeError(`Invalid bootstrap address "${entry}": expected HOST:PORT`);
    }
    return { host: match[1].replace(/^\[(.*)\]$/, "$1"), port: Number(match[2]) };
  });
}

export class Cluster {
  readonly options: ClusterOptions;
  readonly bootstrap: { host: string; port: number }[];
  readonly metadataMaxAgeMs: number;
  brokers: Map<number, BrokerInfo> = new Map();
  topics: Map<string, TopicInfo> = new Map();
  controllerId = -1;
  clusterId: string | null = null;
  #connections = new Map<number, Promise<Connection>>();
  #bootstrapConnection: Promise<Connection> | undefined;
  #refreshedAt = 0;
  #refreshing: Promise<void> | undefined;
  #closed = false;

  constructor(options: ClusterOptions) {
    this.options = options;
    this.bootstrap = parseBootstrap(options.bootstrap);
    this.metadataMaxAgeMs = options.metadataMaxAgeMs ?? 300_000;
  }

  get bootstrapDescription(): string {
    return this.bootstrap.map((a) => `${a.host}:${a.port}`).join(",");
  }

  /** Options for a connection to host:port with this client's settings (security included). */
  connectionOptions(host: string, port: number): ConnectionOptions {
    return {
      host,
      port,
      clientId: this.options.clientId,
      connectTimeoutMs: this.options.connectTimeoutMs,
      requestTimeoutMs: this.options.requestTimeoutMs,
      maxInFlightRequests: this.options.maxInFlightRequests,
      security: this.options.security,
    };
  }

  /** Some live connection: a known broker's, else a bootstrap address's (tried in turn). */
  async anyConnection(): Promise<Connection> {
    if (this.#closed) throw new Error("Client is closed");
    for (const [nodeId, pending] of this.#connections) {
      const connection = await pending.catch(() => undefined);
      if (connection && !connection.closed) return connection;
      this.#connections.delete(nodeId);
    }
    if (this.#bootstrapConnection) {
      const connection = await this.#bootstrapConnection.catch(() => undefined);
      if (connection && !connection.closed) return connection;
    }
    this.#bootstrapConnection = this.#connectBootstrap();
    return await this.#bootstrapConnection;
  }

  async #connectBootstrap(): Promise<Connection> {
    let lastError: unknown;
    for (const address of this.bootstrap) {
      try {
        return await Connection.connect(this.connectionOptions(address.host, address.port));
      } catch (error) {
        // Refused credentials or certificates are the same at every broker: say so at once.
        if (error instanceof AuthenticationError || error instanceof TlsHandshakeError) throw error;
        lastError = error;
      }
    }
    if (this.bootstrap.length === 1) throw lastError;
    throw new BrokerUnreachableError(this.bootstrapDescription, lastError);
  }

  /** The connection to broker `nodeId` (opened on first use). */
  connectionTo(nodeId: number): Promise<Connection> {
    if (this.#closed) return Promise.reject(new Error("Client is closed"));
    const existing = this.#connections.get(nodeId);
    if (existing) return existing;
    const broker = this.brokers.get(nodeId);
    if (!broker) {
      return Promise.reject(
        new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${nodeId} is not in the metadata`),
      );
    }
    const pending = Connection.connect(this.connectionOptions(broker.host, broker.port));
    this.#connections.set(nodeId, pending);
    pending.then(
      (connection) => connection.onClose(() => this.#forget(nodeId, pending)),
      () => this.#forget(nodeId, pending),
    );
    return pending;
  }

  #forget(nodeId: number, pending: Promise<Connection>): void {
    if (this.#connections.get(nodeId) === pending) this.#connections.delete(nodeId);
  }

  /**
   * Fetch metadata for `topics` (all topics when omitted) and merge it into the cache.
   * Concurrent callers share one request.
   */
  async refreshMetadata(topics?: string[]): Promise<void> {
    if (this.#refreshing) return await this.#refreshing;
    this.#refreshing = this.#refresh(topics).finally(() => this.#refreshing = undefined);
    return await this.#refreshing;
  }

  /** Refresh only if the cache is older than metadataMaxAgeMs or lacks one of `topics`. */
  async ensureMetadata(topics: string[]): Promise<void> {
    const stale = Date.now() - this.#refreshedAt > this.metadataMaxAgeMs;
    if (stale || topics.some((topic) => !this.topics.has(topic))) await this.refreshMetadata(topics);
  }

  async #refresh(topics?: string[]): Promise<void> {
    const response = await this.metadata(topics);
    this.brokers = new Map(
      response.brokers.map((
        b,
      ) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null }]),
    );
    this.controllerId = response.controllerId ?? -1;
    this.clusterId = response.clusterId ?? null;
    if (!topics) this.topics.clear();
    for (const topic of response.topics) {
      const name = topic.name ?? "";
      if (topic.errorCode !== ErrorCode.NONE) {
        this.topics.delete(name);
        continue;
      }
      this.topics.set(name, {
        name,
        isInternal: topic.isInternal ?? false,
        partitions: topic.partitions.map((p) => ({
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch ?? -1,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas ?? [],
          errorCode: p.errorCode,
        })).sort((a, b) => a.partition - b.partition),
      });
    }
    // Connections to brokers that left the cluster are closed.
    for (const [nodeId, pending] of this.#connections) {
      if (!this.brokers.has(nodeId)) {
        this.#connections.delete(nodeId);
        pending.then((c) => c.close(), () => {});
      }
    }
    this.#refreshedAt = Date.now();
  }

  /** One raw Metadata request (null topics = all), without touching the cache. */
  async metadata(topics?: string[]): Promise<MetadataResponse> {
    const connection = await this.anyConnection();
    const version = connection.versionFor(ApiKey.Metadata);
    return await connection.request(
      ApiKey.Metadata,
      version,
      (w) =>
        writeMetadataRequest(w, version, {
          topics: topics ?? null,
          allowAutoTopicCreation: false,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        }),
      (r) => readMetadataResponse(r, version),
    );
  }

  /** The topic's cached metadata, or a KafkaError UNKNOWN_TOPIC_OR_PARTITION. */
  topic(name: string): TopicInfo {
    const topic = this.topics.get(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}"`);
    return topic;
  }

  /** Leader node id of a partition, or a retriable KafkaError when unknown or leaderless. */
  leaderFor(topic: string, partition: number): number {
    const info = this.topic(topic).partitions[partition];
    if (!info || info.partition !== partition) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition}`);
    }
    if (info.leader < 0) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition}`);
    return info.leader;
  }

  /** Close every connection. */
  close(): void {
    this.#closed = true;
    for (const pending of this.#connections.values()) pending.then((c) => c.close(), () => {});
    this.#connections.clear();
    this.#bootstrapConnection?.then((c) => c.close(), () => {});
    this.#bootstrapConnection = undefined;
  }
}
