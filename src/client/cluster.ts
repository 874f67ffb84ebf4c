/**
 * Cluster: what one client knows about the brokers. It holds the metadata cache (brokers,
 * controller, every known topic's partitions with leader, leader epoch, replicas and ISR),
 * refreshes it on demand or when it is older than `metadataMaxAgeMs`, and keeps one
 * connection per broker (opened lazily, forgotten when it closes).
 *
 * Bootstrap addresses are used only to fetch metadata; afterwards brokers are addressed
 * by node id through the advertised host and port.
 *
 * Metadata is asked of the known brokers in turn (each request the next one), never of one that
 * failed lately (it waits out a growing backoff), and of the bootstrap addresses (again from a
 * rotating start) only while no broker is known or every known one failed. A broker cut off from
 * the cluster may still answer, with stale leadership: asking always the same one would keep a
 * client on a dead leader for as long as the cut lasts, while asking in turn finds the new
 * leader at the next refresh; and since a partition's cached leader epoch never goes back
 * (KIP-320: an older answer for the same replicas is ignored), the stale answers that follow
 * cannot undo it — such a broker is skipped for a while and the next one asked at once. A paused broker that still accepts connections costs one request timeout,
 * then its backoff, not every refresh.
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
import {
  AuthenticationError,
  BrokerUnreachableError,
  RequestTimeoutError,
  TlsHandshakeError,
} from "./errors.ts";
import type { ClientSecurity } from "./security.ts";

/** First and largest pause before a broker that failed is picked for metadata again. */
const FAILED_BROKER_BACKOFF_MS = { first: 1_000, max: 10_000 };
/** Addresses whose failures are remembered, at most. */
const MAX_BACKOFF_ENTRIES = 1_024;

/**
 * An answer about a partition older than what is cached: a lower leader epoch for the same
 * replicas (a broker cut off from the controller still naming the leader it knew). Different
 * replicas mean the topic was recreated, whose epochs start again.
 */
function isOlderLeadership(
  fresh: Pick<PartitionInfo, "leaderEpoch" | "replicas">,
  cached: Pick<PartitionInfo, "leaderEpoch" | "replicas">,
): boolean {
  return fresh.leaderEpoch >= 0 && fresh.leaderEpoch < cached.leaderEpoch &&
    fresh.replicas.length === cached.replicas.length &&
    fresh.replicas.every((id, i) => cached.replicas[i] === id);
}

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
  /** A connection to a bootstrap address, while no known broker can be asked. */
  #bootstrapConnection: Promise<Connection> | undefined;
  /** Addresses that failed lately ("host:port"): not picked for metadata before `until`. */
  #backoff = new Map<string, { failures: number; until: number }>();
  /** Rotates the broker asked, and the first bootstrap address tried. */
  #turn = 0;
  #refreshedAt = 0;
  #refreshing: Promise<void> | undefined;
  #closed = false;
  /** Topics the broker answered TOPIC_AUTHORIZATION_FAILED for (last metadata refresh). */
  readonly #refused = new Set<string>();

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

  /**
   * A connection for a request any broker can answer (Metadata, FindCoordinator): to the next
   * known broker in turn that has not failed lately (and is not `avoid`), else to a bootstrap
   * address (see the header).
   */
  async anyConnection(avoid = -1): Promise<Connection> {
    if (this.#closed) throw new Error("Client is closed");
    // Broker `avoid` (a leader that just failed a request) is asked only when nobody else is known.
    const all = [...this.brokers.keys()];
    const ids = all.length > 1 ? all.filter((id) => id !== avoid) : all;
    const now = Date.now();
    const start = this.#turn++;
    for (let i = 0; i < ids.length; i++) {
      const broker = this.brokers.get(ids[(start + i) % ids.length])!;
      if (this.#backingOff(`${broker.host}:${broker.port}`, now)) continue;
      const connection = await this.connectionTo(broker.nodeId).catch(() => undefined);
      if (connection && !connection.closed) return connection;
    }
    const extra = await this.#bootstrapConnection?.catch(() => undefined);
    if (extra && !extra.closed && !this.#backingOff(extra.address, now)) return extra;
    extra?.close();
    this.#bootstrapConnection = this.#connectBootstrap();
    return await this.#bootstrapConnection;
  }

  /** A new connection to a bootstrap address, from a rotating start, those that failed lately last. */
  async #connectBootstrap(): Promise<Connection> {
    const start = this.#turn++ % this.bootstrap.length;
    const rotated = [...this.bootstrap.slice(start), ...this.bootstrap.slice(0, start)];
    const now = Date.now();
    const key = (address: { host: string; port: number }) => `${address.host}:${address.port}`;
    const ordered = [
      ...rotated.filter((address) => !this.#backingOff(key(address), now)),
      ...rotated.filter((address) => this.#backingOff(key(address), now)),
    ];
    let lastError: unknown;
    for (const address of ordered) {
      try {
        const connection = await Connection.connect(this.connectionOptions(address.host, address.port));
        this.#watchForFailure(connection);
        this.#backoff.delete(key(address));
        return connection;
      } catch (error) {
        // Refused credentials or certificates are the same at every broker: say so at once.
        if (error instanceof AuthenticationError || error instanceof TlsHandshakeError) throw error;
        this.#failed(key(address));
        lastError = error;
      }
    }
    if (this.bootstrap.length === 1) throw lastError;
    throw new BrokerUnreachableError(this.bootstrapDescription, lastError);
  }

  #backingOff(address: string, now: number): boolean {
    return (this.#backoff.get(address)?.until ?? 0) > now;
  }

  /** An address failed (connect, or a request timed out): skip it for a while, longer each time. */
  #failed(address: string): void {
    const failures = (this.#backoff.get(address)?.failures ?? 0) + 1;
    const waitMs = Math.min(
      FAILED_BROKER_BACKOFF_MS.first * 2 ** (failures - 1),
      FAILED_BROKER_BACKOFF_MS.max,
    );
    this.#backoff.set(address, { failures, until: Date.now() + waitMs });
    // Bounded: forget the oldest entry (a broker that stopped failing long ago).
    if (this.#backoff.size > MAX_BACKOFF_ENTRIES) this.#backoff.delete(this.#backoff.keys().next().value!);
  }

  /** A request that times out marks its broker as failing (a paused or cut-off broker). */
  #watchForFailure(connection: Connection): void {
    connection.onClose((error) => {
      if (error instanceof RequestTimeoutError) this.#failed(connection.address);
    });
  }

  /** The connection to broker `nodeId` (opened on first use). */
  connectionTo(nodeId: number): Promise<Connection> {
    if (this.#closed) return Promise.reject(new Error("Client is closed"));
    const existing = this.#connections.get(nodeId);
    if (existing) return existing;
    const broker = this.brokers.get(nodeId);
    if (!broker) {
      // Metadata named a leader (or coordinator) its broker list does not hold: a broker's view
      // during a failover, e.g. the dead leader still named while it is already gone from the
      // live brokers. Kafka's clients treat such a leader as unknown and wait for new metadata,
      // so this is retriable (the caller refreshes and tries again), not a lasting failure.
      return Promise.reject(
        new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `broker ${nodeId} is not in the metadata (yet)`),
      );
    }
    const address = `${broker.host}:${broker.port}`;
    // It timed out or refused us a moment ago (paused, cut off, down): fail at once rather than wait
    // out another timeout, so the caller's retry refreshes metadata and finds a new leader sooner.
    if (this.#backingOff(address, Date.now())) {
      return Promise.reject(
        new BrokerUnreachableError(address, new Error("it failed lately; not retried yet")),
      );
    }
    const pending = Connection.connect(this.connectionOptions(broker.host, broker.port));
    this.#connections.set(nodeId, pending);
    pending.then(
      (connection) => {
        if (this.#connections.get(nodeId) !== pending) return; // forgotten meanwhile
        this.#backoff.delete(connection.address);
        this.#watchForFailure(connection);
        connection.onClose(() => this.#forget(nodeId, pending));
      },
      () => {
        this.#failed(`${broker.host}:${broker.port}`);
        this.#forget(nodeId, pending);
      },
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
  async refreshMetadata(topics?: string[], avoid = -1): Promise<void> {
    if (this.#refreshing) return await this.#refreshing;
    this.#refreshing = this.#refresh(topics, avoid).finally(() => this.#refreshing = undefined);
    return await this.#refreshing;
  }

  /** Refresh only if the cache is older than metadataMaxAgeMs or lacks one of `topics`. */
  async ensureMetadata(topics: string[]): Promise<void> {
    const stale = Date.now() - this.#refreshedAt > this.metadataMaxAgeMs;
    if (stale || topics.some((topic) => !this.topics.has(topic))) await this.refreshMetadata(topics);
  }

  async #refresh(topics?: string[], avoid = -1): Promise<void> {
    let { response, address } = await this.#metadataFrom(topics, avoid);
    // A broker that answers with an older leader epoch than we know is cut off from the cluster:
    // it is skipped for a while and the next one asked (each broker once at most).
    for (let asked = 1; asked < this.brokers.size && this.#isBehind(response); asked++) {
      this.#failed(address);
      ({ response, address } = await this.#metadataFrom(topics));
    }
    if (this.#isBehind(response)) this.#failed(address);
    this.brokers = new Map(
      response.brokers.map((
        b,
      ) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null }]),
    );
    this.controllerId = response.controllerId ?? -1;
    this.clusterId = response.clusterId ?? null;
    const known = this.topics;
    if (!topics) this.topics = new Map();
    for (const topic of response.topics) {
      const name = topic.name ?? "";
      if (topic.errorCode !== ErrorCode.NONE) {
        this.topics.delete(name);
        if (topic.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED) this.#refused.add(name);
        continue;
      }
      this.#refused.delete(name);
      const before = known.get(name)?.partitions;
      this.topics.set(name, {
        name,
        isInternal: topic.isInternal ?? false,
        partitions: topic.partitions.map((p): PartitionInfo => {
          const fresh = {
            partition: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch ?? -1,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            offlineReplicas: p.offlineReplicas ?? [],
            errorCode: p.errorCode,
          };
          const cached = before?.find((c) => c.partition === fresh.partition);
          return cached && isOlderLeadership(fresh, cached) ? cached : fresh;
        }).sort((a, b) => a.partition - b.partition),
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

  /** Does this answer name an older leadership than the cache holds for some partition? */
  #isBehind(response: MetadataResponse): boolean {
    return response.topics.some((topic) => {
      const cached = this.topics.get(topic.name ?? "")?.partitions;
      return cached !== undefined && topic.partitions.some((p) => {
        const known = cached.find((c) => c.partition === p.partitionIndex);
        return known !== undefined && isOlderLeadership(
          { leaderEpoch: p.leaderEpoch ?? -1, replicas: p.replicaNodes },
          known,
        );
      });
    });
  }

  /** One raw Metadata request (null topics = all) to the next broker in turn, without touching the cache. */
  async metadata(topics?: string[]): Promise<MetadataResponse> {
    return (await this.#metadataFrom(topics)).response;
  }

  async #metadataFrom(
    topics?: string[],
    avoid = -1,
  ): Promise<{ response: MetadataResponse; address: string }> {
    const connection = await this.anyConnection(avoid);
    const version = connection.versionFor(ApiKey.Metadata);
    const response = await connection.request(
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
    return { response, address: connection.address };
  }

  /** The topic's cached metadata, or a KafkaError UNKNOWN_TOPIC_OR_PARTITION. */
  topic(name: string): TopicInfo {
    const topic = this.topics.get(name);
    if (!topic) {
      // A topic the broker would not describe to us is not "unknown": say so, it is not retriable.
      const code = this.#refused.has(name)
        ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
        : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      throw new KafkaError(code, `topic "${name}"`);
    }
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
