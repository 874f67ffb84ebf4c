/**
 * ClusterReader: the controller's read of the whole cluster from the coordinator — live brokers,
 * every topic's assignment and config, every partition's state with its znode version (the
 * compare-and-set token for the next write). It arms one watch per path (live brokers, the
 * topic list, each topic's assignment) and calls `onChange` when any fires; the controller then
 * reads again. Malformed znodes are logged and skipped: they are untrusted input.
 */
import type { ZooKeeperClient } from "../../zk/client/mod.ts";
import { ErrorCode, KeeperError } from "../../zk/protocol/mod.ts";
import {
  BROKER_IDS_PATH,
  type BrokerEndpoint,
  brokerIdPath,
  decodeBrokerEndpoint,
  decodePartitionState,
  decodeTopicAssignment,
  decodeTopicConfig,
  type PartitionState,
  partitionStatePath,
  type ReplicaAssignment,
  topicConfigPath,
  topicPath,
  TOPICS_PATH,
} from "../zk-layout.ts";

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
}

export interface ClusterView {
  brokers: Map<number, BrokerEndpoint>;
  /** Broker id -> creation zxid of its registration: a changed value means it re-registered. */
  registrations: Map<number, number>;
  topics: Map<string, TopicView>;
}

const isNoNode = (error: unknown) => error instanceof KeeperError && error.code === ErrorCode.noNode;

export class ClusterReader {
  readonly #zk: ZooKeeperClient;
  readonly #onChange: () => void;
  readonly #armed = new Set<string>();
  readonly #log: (message: string) => void;

  constructor(zk: ZooKeeperClient, onChange: () => void, log: (message: string) => void) {
    this.#zk = zk;
    this.#onChange = onChange;
    this.#log = log;
  }

  /** One watch per path: a watch already armed there is not armed again. */
  #watch(path: string) {
    if (this.#armed.has(path)) return undefined;
    this.#armed.add(path);
    return () => {
      this.#armed.delete(path);
      this.#onChange();
    };
  }

  async #children(path: string, watch: boolean): Promise<string[]> {
    try {
      return await this.#zk.getChildren(path, watch ? this.#watch(path) : undefined);
    } catch (error) {
      if (watch) this.#armed.delete(path);
      if (isNoNode(error)) return [];
      throw error;
    }
  }

  async #data(
    path: string,
    watch: boolean,
  ): Promise<{ data: Uint8Array | null; version: number; czxid: number } | null> {
    try {
      const { data, stat } = await this.#zk.getData(path, watch ? this.#watch(path) : undefined);
      return { data, version: stat.version, czxid: stat.czxid };
    } catch (error) {
      if (watch) this.#armed.delete(path);
      if (isNoNode(error)) return null;
      throw error;
    }
  }

  /** Live brokers and their registration zxids. */
  async readBrokers(): Promise<Pick<ClusterView, "brokers" | "registrations">> {
    const brokers = new Map<number, BrokerEndpoint>();
    const registrations = new Map<number, number>();
    for (const child of await this.#children(BROKER_IDS_PATH, true)) {
      const brokerId = Number(child);
      if (!Number.isSafeInteger(brokerId)) continue;
      const node = await this.#data(brokerIdPath(brokerId), false);
      if (node === null) continue;
      try {
        brokers.set(brokerId, decodeBrokerEndpoint(brokerId, node.data));
        registrations.set(brokerId, node.czxid);
      } catch (error) {
        this.#log((error as Error).message);
      }
    }
    return { brokers, registrations };
  }

  /** Everything the controller decides on. */
  async read(): Promise<ClusterView> {
    const { brokers, registrations } = await this.readBrokers();
    const topics = new Map<string, TopicView>();
    const names = await this.#children(TOPICS_PATH, true);
    const read = await Promise.all(names.map((name) => this.readTopic(name)));
    for (const topic of read) if (topic) topics.set(topic.name, topic);
    return { brokers, registrations, topics };
  }

  /** One topic, or null when it is gone or unreadable. */
  async readTopic(name: string): Promise<TopicView | null> {
    const node = await this.#data(topicPath(name), true);
    if (node === null) return null;
    let assignment: ReplicaAssignment;
    try {
      assignment = decodeTopicAssignment(name, node.data);
    } catch (error) {
      this.#log((error as Error).message);
      return null;
    }
    // The client pipelines requests: reading a topic's states together costs about one round trip.
    const states = await Promise.all(assignment.map((_, partition) => this.readState(name, partition)));
    return { name, assignment, configs: await this.#readConfigs(name), states };
  }

  /** A partition's state with its version, or null. */
  async readState(topic: string, partition: number): Promise<VersionedState | null> {
    const path = partitionStatePath(topic, partition);
    const node = await this.#data(path, false);
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

  async #readConfigs(name: string): Promise<Record<string, string>> {
    const node = await this.#data(topicConfigPath(name), false);
    if (node === null) return {};
    try {
      return decodeTopicConfig(name, node.data);
    } catch (error) {
      this.#log((error as Error).message);
      return {};
    }
  }
}
