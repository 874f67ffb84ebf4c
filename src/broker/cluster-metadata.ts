/**
 * ClusterMetadata: the broker's cached picture of the cluster, read from the coordinator and
 * kept fresh by watches — live brokers (/brokers/ids), topics and their replica assignment
 * (/brokers/topics), each partition's leader and leader epoch (.../partitions/<p>/state), the
 * controller (/controller, once elected; until then the smallest live broker id stands in).
 *
 * Any watch that fires schedules one full re-read (coalesced: at most one runs, at most one
 * waits), and each path holds at most one armed watch, so a busy tree costs O(tree) per change
 * but never an unbounded pile of watchers. Malformed znodes are logged and skipped: they are
 * untrusted input and must not take the broker down.
 */
import type { Coordination } from "./coordination.ts";
import {
  BROKER_IDS_PATH,
  type BrokerEndpoint,
  brokerIdPath,
  CONTROLLER_PATH,
  decodeBrokerEndpoint,
  decodePartitionState,
  decodeTopicAssignment,
  decodeTopicConfig,
  type PartitionState,
  partitionStatePath,
  topicConfigPath,
  topicPath,
  TOPICS_PATH,
} from "./zk-layout.ts";

export interface PartitionMetadata {
  partition: number;
  replicas: number[];
  /** Null until someone wrote the partition's state. */
  state: PartitionState | null;
}

export interface TopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
  /** Config overrides from /config/topics/<name> ({} when none). */
  configs: Record<string, string>;
}

export interface ClusterSnapshot {
  brokers: Map<number, BrokerEndpoint>;
  topics: Map<string, TopicMetadata>;
  /** A live broker id, or -1 when none is live. */
  controllerId: number;
}

export type SnapshotListener = (snapshot: ClusterSnapshot) => void | Promise<void>;

export class ClusterMetadata {
  readonly #coordination: Coordination;
  #snapshot: ClusterSnapshot = { brokers: new Map(), topics: new Map(), controllerId: -1 };
  readonly #listeners: SnapshotListener[] = [];
  readonly #armed = new Set<string>();
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;
  #version = 0;
  #versionWaiters: { atLeast: number; resolve: () => void }[] = [];

  constructor(coordination: Coordination) {
    this.#coordination = coordination;
  }

  get snapshot(): ClusterSnapshot {
    return this.#snapshot;
  }

  /** Called after every refresh with the new snapshot. */
  onChange(listener: SnapshotListener): void {
    this.#listeners.push(listener);
  }

  /** Read everything now; resolves when the snapshot reflects the tree as of this call. */
  async refresh(): Promise<void> {
    const target = this.#version + (this.#running ? 2 : 1);
    this.#schedule();
    if (this.#version >= target) return;
    await new Promise<void>((resolve) => this.#versionWaiters.push({ atLeast: target, resolve }));
  }

  close(): void {
    this.#closed = true;
    for (const waiter of this.#versionWaiters) waiter.resolve();
    this.#versionWaiters = [];
  }

  #schedule = (): void => {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          this.#snapshot = await this.#read();
        } catch (error) {
          if (this.#closed) return;
          console.error(`cluster metadata: refresh failed: ${(error as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, 500));
          this.#again = true;
          continue;
        }
        this.#version++;
        for (const listener of this.#listeners) {
          try {
            await listener(this.#snapshot);
          } catch (error) {
            console.error(`cluster metadata: listener failed: ${(error as Error).stack}`);
          }
        }
        this.#versionWaiters = this.#versionWaiters.filter((waiter) => {
          if (this.#version < waiter.atLeast) return true;
          waiter.resolve();
          return false;
        });
      } while (this.#again && !this.#closed);
    })().finally(() => this.#running = null);
  };

  /** A watch for path unless one is already armed there. */
  #watch(path: string): (() => void) | undefined {
    if (this.#armed.has(path)) return undefined;
    this.#armed.add(path);
    return () => {
      this.#armed.delete(path);
      this.#schedule();
    };
  }

  /** getData with a watch; a missing node sets no data watch in ZooKeeper, so disarm it. */
  async #getData(path: string) {
    const node = await this.#coordination.getData(path, this.#watch(path));
    if (node === null) this.#armed.delete(path);
    return node;
  }

  async #read(): Promise<ClusterSnapshot> {
    const brokers = new Map<number, BrokerEndpoint>();
    const ids = await this.#coordination.getChildren(BROKER_IDS_PATH, this.#watch(BROKER_IDS_PATH)) ?? [];
    for (const child of ids) {
      const brokerId = Number(child);
      if (!Number.isInteger(brokerId)) continue;
      const path = brokerIdPath(brokerId);
      const node = await this.#getData(path);
      if (node === null) continue;
      try {
        brokers.set(brokerId, decodeBrokerEndpoint(brokerId, node.data));
      } catch (error) {
        console.error(`cluster metadata: ${(error as Error).message}`);
      }
    }
    const topics = new Map<string, TopicMetadata>();
    const names = await this.#coordination.getChildren(TOPICS_PATH, this.#watch(TOPICS_PATH)) ?? [];
    for (const name of names) {
      const topic = await this.#readTopic(name);
      if (topic) topics.set(name, topic);
    }
    return { brokers, topics, controllerId: await this.#readController(brokers) };
  }

  async #readTopic(name: string): Promise<TopicMetadata | null> {
    const path = topicPath(name);
    const node = await this.#getData(path);
    if (node === null) return null;
    let assignment: number[][];
    try {
      assignment = decodeTopicAssignment(name, node.data);
    } catch (error) {
      console.error(`cluster metadata: ${(error as Error).message}`);
      return null;
    }
    const partitions: PartitionMetadata[] = [];
    for (let partition = 0; partition < assignment.length; partition++) {
      const statePath = partitionStatePath(name, partition);
      const stateNode = await this.#getData(statePath);
      let state: PartitionState | null = null;
      if (stateNode !== null) {
        try {
          state = decodePartitionState(`Partition ${name}-${partition} state`, stateNode.data);
        } catch (error) {
          console.error(`cluster metadata: ${(error as Error).message}`);
        }
      }
      partitions.push({ partition, replicas: assignment[partition], state });
    }
    return { name, partitions, configs: await this.#readConfigs(name) };
  }

  async #readConfigs(name: string): Promise<Record<string, string>> {
    const node = await this.#getData(topicConfigPath(name));
    if (node === null) return {};
    try {
      return decodeTopicConfig(name, node.data);
    } catch (error) {
      console.error(`cluster metadata: ${(error as Error).message}`);
      return {};
    }
  }

  async #readController(brokers: Map<number, BrokerEndpoint>): Promise<number> {
    const node = await this.#getData(CONTROLLER_PATH);
    if (node !== null) {
      try {
        const brokerId = JSON.parse(new TextDecoder().decode(node.data)).brokerid;
        if (Number.isInteger(brokerId) && brokers.has(brokerId)) return brokerId;
      } catch { /* fall through to the stand-in */ }
    }
    return brokers.size === 0 ? -1 : Math.min(...brokers.keys());
  }
}
