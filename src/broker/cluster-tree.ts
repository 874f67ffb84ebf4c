/**
 * The one reader of the cluster as the coordinator records it: live brokers (with the zxid of
 * their registration, so a re-registration is visible) and the replicas they report offline
 * (offline-replicas.ts), every topic's replica assignment and
 * config, every partition's state with its znode version (the compare-and-set token of the next
 * write), and the controller. The controller reads it to decide; a broker reads it at start and
 * as its periodic reconcile; `cluster describe` and `vltava dev` read it for their tables.
 *
 * Reads are pipelined (the client sends many requests before the first answer) with a bound on
 * how many are in flight. A caller that wants to hear about changes passes `watch`, which names
 * the watcher to arm for a path (or undefined to arm none). Malformed znodes are logged and
 * skipped: they are untrusted input.
 *
 * @example
 * ```ts
 * const view = await new ClusterTreeReader(zk).read();
 * console.log(view.brokers.size, [...view.topics.keys()], view.controllerId);
 * ```
 */
import type { Watcher, ZooKeeperClient } from "../zk/client/mod.ts";
import { ErrorCode, KeeperError } from "../zk/protocol/mod.ts";
import { decodeController } from "./controller/controller-znodes.ts";
import { partitionKey } from "./topic-partition.ts";
import {
  BROKER_IDS_PATH,
  type BrokerEndpoint,
  brokerIdPath,
  CONTROLLER_PATH,
  decodeBrokerEndpoint,
  decodePartitionList,
  decodePartitionState,
  decodeReassignments,
  decodeTopicAssignment,
  decodeTopicConfig,
  OFFLINE_REPLICAS_PATH,
  offlineReplicasPath,
  type PartitionState,
  partitionStatePath,
  type Reassignment,
  type ReplicaAssignment,
  topicConfigPath,
  topicPath,
  TOPICS_PATH,
} from "./zk-layout.ts";

/** A partition's state and the znode version it was read at. */
export interface VersionedState {
  state: PartitionState;
  version: number;
}

export interface TopicView {
  name: string;
  assignment: ReplicaAssignment;
  configs: Record<string, string>;
  /** Index = partition; null where no state node exists (or it is unreadable). */
  states: (VersionedState | null)[];
  /** Reassignments in progress (partition → replicas being added / removed). */
  reassignments: Map<number, Reassignment>;
  /** Version of the assignment node (compare-and-set writes of a reassignment). */
  assignmentVersion: number;
}

/** A topic's assignment node as read. */
export interface TopicAssignmentNode {
  assignment: ReplicaAssignment;
  reassignments: Map<number, Reassignment>;
  version: number;
  czxid: number;
}

export interface ClusterView {
  brokers: Map<number, BrokerEndpoint>;
  /** Broker id -> creation zxid of its registration: a changed value means it re-registered. */
  registrations: Map<number, number>;
  topics: Map<string, TopicView>;
  /** The controller's broker id, or -1 when none is elected. */
  controllerId: number;
  /** Broker id -> the partitions ("topic:partition") whose replica on it is offline (disk faults). */
  offlineReplicas: Map<number, Set<string>>;
}

export interface ClusterTreeReaderOptions {
  /** The watcher to arm for a path, or undefined for none. */
  watch?: (path: string) => Watcher | undefined;
  /** Called when an armed watch could not be set (the read failed); the caller may re-arm. */
  unwatch?: (path: string) => void;
  log?: (message: string) => void;
}

/** Coordinator reads in flight at once during a read of many nodes. */
const MAX_PARALLEL_READS = 256;

const isNoNode = (error: unknown) => error instanceof KeeperError && error.code === ErrorCode.noNode;

export class ClusterTreeReader {
  readonly #zk: ZooKeeperClient;
  readonly #options: ClusterTreeReaderOptions;

  constructor(zk: ZooKeeperClient, options: ClusterTreeReaderOptions = {}) {
    this.#zk = zk;
    this.#options = options;
  }

  /** The session this reader reads through. */
  get client(): ZooKeeperClient {
    return this.#zk;
  }

  #log(message: string): void {
    (this.#options.log ?? ((line) => console.error(line)))(message);
  }

  async #children(path: string, watch: boolean): Promise<string[]> {
    const watcher = watch ? this.#options.watch?.(path) : undefined;
    try {
      return await this.#zk.getChildren(path, watcher);
    } catch (error) {
      if (watcher) this.#options.unwatch?.(path);
      if (isNoNode(error)) return [];
      throw error;
    }
  }

  async #data(
    path: string,
    watch: boolean,
  ): Promise<{ data: Uint8Array | null; version: number; czxid: number } | null> {
    const watcher = watch ? this.#options.watch?.(path) : undefined;
    try {
      const { data, stat } = await this.#zk.getData(path, watcher);
      return { data, version: stat.version, czxid: stat.czxid };
    } catch (error) {
      // A missing node sets no data watch in ZooKeeper: the caller may arm it again later.
      if (watcher) this.#options.unwatch?.(path);
      if (isNoNode(error)) return null;
      throw error;
    }
  }

  /**
   * The coordinator's latest zxid: the reply to any read carries it (ZooKeeper's reply header
   * holds the server's last processed zxid), so a read of the root costs a few bytes.
   */
  async latestZxid(): Promise<number> {
    await this.#zk.exists("/");
    return this.#zk.lastZxid;
  }

  /** Live brokers and their registration zxids. */
  async readBrokers(): Promise<Pick<ClusterView, "brokers" | "registrations">> {
    const brokers = new Map<number, BrokerEndpoint>();
    const registrations = new Map<number, number>();
    const ids = (await this.#children(BROKER_IDS_PATH, true)).map(Number).filter(Number.isSafeInteger);
    const nodes = await mapBounded(ids, (brokerId) => this.#data(brokerIdPath(brokerId), false));
    ids.forEach((brokerId, i) => {
      const node = nodes[i];
      if (node === null) return;
      try {
        brokers.set(brokerId, decodeBrokerEndpoint(brokerId, node.data));
        registrations.set(brokerId, node.czxid);
      } catch (error) {
        this.#log((error as Error).message);
      }
    });
    return { brokers, registrations };
  }

  /** Everything: brokers, topics with states and configs, the controller. */
  async read(): Promise<ClusterView> {
    const { brokers, registrations } = await this.readBrokers();
    const topics = new Map<string, TopicView>();
    const names = await this.readTopicNames();
    // Topics one after another, each topic's partitions pipelined: bounded requests in flight.
    for (const name of names) {
      const topic = await this.readTopic(name);
      if (topic) topics.set(topic.name, topic);
    }
    return {
      brokers,
      registrations,
      topics,
      controllerId: await this.readControllerId(),
      offlineReplicas: await this.readOfflineReplicas(),
    };
  }

  /** The names of the topics (a watch armed on the list when the caller asks for watches). */
  readTopicNames(): Promise<string[]> {
    return this.#children(TOPICS_PATH, true);
  }

  /** Each broker's offline replicas, as it recorded them (unreadable nodes are skipped). */
  async readOfflineReplicas(): Promise<Map<number, Set<string>>> {
    const offline = new Map<number, Set<string>>();
    const ids = (await this.#children(OFFLINE_REPLICAS_PATH, true)).map(Number).filter(Number.isSafeInteger);
    const nodes = await mapBounded(ids, (brokerId) => this.#data(offlineReplicasPath(brokerId), true));
    ids.forEach((brokerId, i) => {
      const node = nodes[i];
      if (node === null) return;
      try {
        const partitions = decodePartitionList(`Offline replicas of broker ${brokerId}`, node.data);
        offline.set(brokerId, new Set(partitions.map((p) => partitionKey(p.topic, p.partition))));
      } catch (error) {
        this.#log((error as Error).message);
      }
    });
    return offline;
  }

  /** One topic, or null when it is gone or unreadable. */
  async readTopic(name: string): Promise<TopicView | null> {
    const node = await this.readAssignment(name);
    if (node === null) return null;
    const states = await mapBounded(
      node.assignment.map((_, partition) => partition),
      (p) => this.readState(name, p),
    );
    return {
      name,
      assignment: node.assignment,
      configs: await this.readConfigs(name),
      states,
      reassignments: node.reassignments,
      assignmentVersion: node.version,
    };
  }

  /**
   * A topic's assignment node alone (replicas, reassignments in progress, version, and the zxid
   * that created it: a different one means the topic was deleted and created again); null when
   * it is gone or unreadable.
   */
  async readAssignment(name: string): Promise<TopicAssignmentNode | null> {
    const node = await this.#data(topicPath(name), true);
    if (node === null) return null;
    try {
      return {
        assignment: decodeTopicAssignment(name, node.data),
        reassignments: decodeReassignments(name, node.data),
        version: node.version,
        czxid: node.czxid,
      };
    } catch (error) {
      this.#log((error as Error).message);
      return null;
    }
  }

  /** A partition's state with its version, or null. */
  async readState(topic: string, partition: number): Promise<VersionedState | null> {
    const node = await this.#data(partitionStatePath(topic, partition), false);
    if (node === null) return null;
    try {
      return {
        state: decodePartitionState(`Partition ${topic}-${partition} state`, node.data),
        version: node.version,
      };
    } catch (error) {
      this.#log((error as Error).message);
      return null;
    }
  }

  /**
   * A topic's config overrides ({} when none or unreadable). With watches, one is armed on the
   * node, also when it does not exist yet (an exists watch, which its creation fires).
   */
  async readConfigs(name: string): Promise<Record<string, string>> {
    const path = topicConfigPath(name);
    let node = await this.#data(path, true);
    if (node === null) {
      const watcher = this.#options.watch?.(path);
      if (watcher === undefined) return {};
      try {
        // Created between the two reads: the exists watch is armed; read it (without another).
        if (await this.#zk.exists(path, watcher) !== null) node = await this.#data(path, false);
      } catch (error) {
        this.#options.unwatch?.(path);
        throw error;
      }
      if (node === null) return {};
    }
    try {
      return decodeTopicConfig(name, node.data);
    } catch (error) {
      this.#log((error as Error).message);
      return {};
    }
  }

  /** The elected controller's id, -1 when there is none (or /controller is unreadable). */
  async readControllerId(): Promise<number> {
    const node = await this.#data(CONTROLLER_PATH, false);
    return decodeController(node?.data ?? null)?.brokerId ?? -1;
  }
}

/** map over items with at most MAX_PARALLEL_READS calls pending, results in order. */
export async function mapBounded<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_PARALLEL_READS, items.length) }, worker));
  return results;
}
