/**
 * MetadataCache: what this broker knows of the whole cluster, for answering clients — live
 * brokers and their endpoints, the controller, every topic's partitions with replicas and state
 * (leader, leader epoch, ISR). It is fed by the controller's UpdateMetadata payloads (the
 * changed partitions, or everything for a broker new to the controller; a partition whose leader
 * is -2 is being deleted, as in Kafka) and replaced from the coordinator tree when the broker
 * starts and at every periodic reconcile. It never reads the coordinator itself.
 *
 * Leadership of the partitions this broker hosts is not decided here (LeaderAndIsr goes to the
 * ReplicaManager); this is the cluster-wide picture behind Metadata, CreateTopics and friends.
 *
 * @example
 * ```ts
 * const cache = new MetadataCache();
 * cache.applyUpdateMetadata(request);
 * await cache.waitUntil((c) => c.topics.has("orders"), 10_000);
 * ```
 */
import type { UpdateMetadataPartitionState, UpdateMetadataRequest } from "../kafka/apis/update-metadata.ts";
import type { ClusterView } from "./cluster-tree.ts";
import type { UpdateMetadataBroker } from "../kafka/apis/update-metadata.ts";
import type { AdvertisedListener, BrokerEndpoint, PartitionState } from "./zk-layout.ts";

/** Kafka's LeaderDuringDelete: an UpdateMetadata state with this leader removes the partition. */
export const LEADER_DURING_DELETE = -2;

export interface PartitionMetadata {
  partition: number;
  replicas: number[];
  /** Null until someone wrote the partition's state. */
  state: PartitionState | null;
}

export interface TopicMetadata {
  name: string;
  /** Index = partition; a partition not heard of yet is undefined. */
  partitions: (PartitionMetadata | undefined)[];
}

/** The picture the admin planners need (topic-admin.ts). */
export interface ClusterSnapshot {
  readonly brokers: ReadonlyMap<number, BrokerEndpoint>;
  readonly topics: ReadonlyMap<string, TopicMetadata>;
  /** The controller's id (or a stand-in, see MetadataCache), -1 when no broker is live. */
  readonly controllerId: number;
}

/** Upper bound of callers waiting for the cache to reach some state. */
const MAX_WAITERS = 10_000;

interface Waiter {
  ready: (cache: MetadataCache) => boolean;
  resolve: (reached: boolean) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface MetadataCacheOptions {
  /** The listener brokers reach each other through: an UpdateMetadata broker's host/port. */
  interBrokerListener?: string;
}

export class MetadataCache implements ClusterSnapshot {
  readonly #interBrokerListener: string;
  #brokers = new Map<number, BrokerEndpoint>();
  readonly #topics = new Map<string, TopicMetadata>();
  #controllerId = -1;
  readonly #waiters = new Set<Waiter>();

  constructor(options: MetadataCacheOptions = {}) {
    this.#interBrokerListener = options.interBrokerListener ?? "PLAINTEXT";
  }

  get brokers(): ReadonlyMap<number, BrokerEndpoint> {
    return this.#brokers;
  }
  get topics(): ReadonlyMap<string, TopicMetadata> {
    return this.#topics;
  }
  /**
   * The controller's id; while none is known (or it is not live), the smallest live broker id
   * stands in, since admin clients send CreateTopics to "the controller" and any broker here
   * can take it.
   */
  get controllerId(): number {
    if (this.#brokers.has(this.#controllerId)) return this.#controllerId;
    let smallest = -1;
    for (const id of this.#brokers.keys()) if (smallest < 0 || id < smallest) smallest = id;
    return smallest;
  }

  /** The cache itself is the snapshot: handlers read it synchronously within one step. */
  get snapshot(): ClusterSnapshot {
    return this;
  }

  /** The state of one partition, if known. */
  partition(topic: string, partition: number): PartitionMetadata | undefined {
    return this.#topics.get(topic)?.partitions[partition];
  }

  /** Does the cache know partitions 0..count-1 of a topic? */
  hasPartitions(topic: string, count: number): boolean {
    const partitions = this.#topics.get(topic)?.partitions;
    if (partitions === undefined || partitions.length < count) return false;
    for (let i = 0; i < count; i++) if (partitions[i] === undefined) return false;
    return true;
  }

  /** An UpdateMetadata from a controller the epoch fence admitted. */
  applyUpdateMetadata(request: UpdateMetadataRequest): void {
    this.#controllerId = request.controllerId;
    const brokers = new Map<number, BrokerEndpoint>();
    for (const broker of request.liveBrokers) brokers.set(broker.id, this.#endpointOf(broker));
    this.#brokers = brokers;
    const states = request.ungroupedPartitionStates ??
      (request.topicStates ?? []).flatMap((topic) => topic.partitionStates);
    for (const state of states) this.#applyPartitionState(state);
    this.#changed();
  }

  #endpointOf(broker: UpdateMetadataBroker): BrokerEndpoint {
    const listeners = broker.endpoints?.map((endpoint): AdvertisedListener => ({
      name: endpoint.listener ?? "PLAINTEXT",
      host: endpoint.host,
      port: endpoint.port,
      protocol: SECURITY_PROTOCOL_NAMES[endpoint.securityProtocol] ?? "PLAINTEXT",
    }));
    const interBroker = listeners?.find((listener) => listener.name === this.#interBrokerListener) ??
      listeners?.[0];
    return {
      brokerId: broker.id,
      host: interBroker?.host ?? broker.v0Host ?? "",
      port: interBroker?.port ?? broker.v0Port ?? 0,
      rack: broker.rack ?? null,
      ...(listeners === undefined ? {} : { listeners }),
    };
  }

  #applyPartitionState(state: UpdateMetadataPartitionState): void {
    const { topicName: name, partitionIndex: index } = state;
    if (state.leader === LEADER_DURING_DELETE) {
      const topic = this.#topics.get(name);
      if (topic === undefined) return;
      topic.partitions[index] = undefined;
      if (topic.partitions.every((p) => p === undefined)) this.#topics.delete(name);
      return;
    }
    let topic = this.#topics.get(name);
    if (topic === undefined) this.#topics.set(name, topic = { name, partitions: [] });
    const known = topic.partitions[index]?.state;
    // Never move a partition back to an older leader epoch (a delayed payload).
    if (known && known.leaderEpoch > state.leaderEpoch) return;
    topic.partitions[index] = {
      partition: index,
      replicas: state.replicas,
      state: {
        leader: state.leader,
        leaderEpoch: state.leaderEpoch,
        isr: state.isr,
        controllerEpoch: state.controllerEpoch,
      },
    };
  }

  /**
   * Replace everything with a fresh read of the coordinator tree (start, periodic reconcile).
   * A partition state newer than the tree's (an UpdateMetadata that arrived during the read)
   * is kept.
   */
  replaceFromTree(view: ClusterView): void {
    this.#brokers = new Map(view.brokers);
    if (view.controllerId >= 0) this.#controllerId = view.controllerId;
    for (const name of [...this.#topics.keys()]) if (!view.topics.has(name)) this.#topics.delete(name);
    for (const topic of view.topics.values()) {
      const previous = this.#topics.get(topic.name);
      const partitions = topic.assignment.map((replicas, partition): PartitionMetadata => {
        const fromTree = topic.states[partition]?.state ?? null;
        const cached = previous?.partitions[partition]?.state ?? null;
        const state = cached && (!fromTree || cached.leaderEpoch > fromTree.leaderEpoch) ? cached : fromTree;
        return { partition, replicas, state };
      });
      this.#topics.set(topic.name, { name: topic.name, partitions });
    }
    this.#changed();
  }

  /**
   * Resolve true as soon as ready(cache) holds (checked now and after every change), false
   * after timeoutMs. Bounded: past MAX_WAITERS callers get the current answer at once.
   */
  waitUntil(ready: (cache: MetadataCache) => boolean, timeoutMs: number): Promise<boolean> {
    if (ready(this)) return Promise.resolve(true);
    if (timeoutMs <= 0 || this.#waiters.size >= MAX_WAITERS) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        ready,
        resolve: (reached) => {
          clearTimeout(waiter.timer);
          this.#waiters.delete(waiter);
          resolve(reached);
        },
        timer: setTimeout(() => waiter.resolve(false), timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  #changed(): void {
    for (const waiter of [...this.#waiters]) {
      if (waiter.ready(this)) waiter.resolve(true);
    }
  }

  /** Release every waiter (shutdown). */
  close(): void {
    for (const waiter of [...this.#waiters]) waiter.resolve(false);
  }
}

/** Kafka's security protocol ids, as UpdateMetadata carries them. */
const SECURITY_PROTOCOL_NAMES: Record<number, string> = {
  0: "PLAINTEXT",
  1: "SSL",
  2: "SASL_PLAINTEXT",
  3: "SASL_SSL",
};
