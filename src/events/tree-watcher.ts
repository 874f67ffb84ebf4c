/**
 * TreeWatcher: keeps a TreeModel equal to the coordinator tree and turns every change into typed
 * events. Works against any server of the ZooKeeper protocol:
 *
 * - "recursive" (ZooKeeper 3.6+, the built-in coordinator): one persistent recursive watch on
 *   /brokers and one persistent watch on /controller; every create / change / delete of a node
 *   below them is a notification, nothing to re-arm.
 * - "one-shot" (older servers answer addWatch with UNIMPLEMENTED): classic watches, re-armed by the
 *   read that follows each notification: child watches on /brokers/ids and /brokers/topics, data
 *   (or exists) watches on /controller, every broker, topic and partition state node.
 *
 * Either way a notification only names a path: the watcher queues it (deduplicated, so the queue is
 * bounded by the tree's size), reads the node — pipelined, in batches — and lets the model diff.
 * Watches are installed before the first full read, so no change falls between the two. After a
 * lost session the whole tree is read again and diffed, so what changed meanwhile still becomes
 * events (with the time it was noticed when the tree keeps none).
 *
 * @example
 * ```ts
 * const watcher = new TreeWatcher(() => ZooKeeperClient.connect("127.0.0.1:2181"), model, emit);
 * await watcher.start();
 * ```
 */
import { decodeController } from "../broker/controller/controller-znodes.ts";
import { mapBounded } from "../broker/cluster-tree.ts";
import {
  BROKER_IDS_PATH,
  brokerIdPath,
  CONTROLLER_PATH,
  decodeBrokerEndpoint,
  decodePartitionState,
  decodeTopicAssignment,
  partitionStatePath,
  topicPath,
  TOPICS_PATH,
} from "../broker/zk-layout.ts";
import type { PersistentWatch, Watcher, WatchEvent, ZooKeeperClient } from "../zk/client/mod.ts";
import { ErrorCode, KeeperError, type Stat } from "../zk/protocol/mod.ts";
import type { NewEvent } from "./cluster-event.ts";
import type { TreeModel } from "./tree-model.ts";

/** How changes are heard. */
export type WatchMode = "recursive" | "one-shot";

export interface TreeWatcherOptions {
  /** Force a mode (tests use "one-shot" to cover old servers); default: recursive when the server has it. */
  mode?: WatchMode;
  log?: (message: string) => void;
}

/** Paths read per batch (all in flight together, then applied in order). */
const BATCH = 512;

type NodePath =
  | { kind: "controller" }
  | { kind: "broker"; brokerId: number }
  | { kind: "topic"; topic: string }
  | { kind: "state"; topic: string; partition: number }
  | { kind: "children"; path: string };

/** What a path of the tree means to the timeline (null: nothing). */
export function classifyPath(path: string): NodePath | null {
  if (path === CONTROLLER_PATH) return { kind: "controller" };
  const parts = path.split("/");
  // ["", "brokers", "ids", N] · ["", "brokers", "topics", T] · [..., T, "partitions", P, "state"]
  if (parts[1] !== "brokers") return null;
  if (parts[2] === "ids" && parts.length === 4 && /^\d+$/.test(parts[3])) {
    return { kind: "broker", brokerId: Number(parts[3]) };
  }
  if (parts[2] !== "topics") return null;
  if (parts.length === 4) return { kind: "topic", topic: parts[3] };
  if (parts.length === 7 && parts[4] === "partitions" && parts[6] === "state" && /^\d+$/.test(parts[5])) {
    return { kind: "state", topic: parts[3], partition: Number(parts[5]) };
  }
  return null;
}

const isNoNode = (error: unknown) => error instanceof KeeperError && error.code === ErrorCode.noNode;

export class TreeWatcher {
  readonly #connect: () => Promise<ZooKeeperClient>;
  readonly #model: TreeModel;
  readonly #emit: (events: NewEvent[]) => void;
  readonly #options: TreeWatcherOptions;
  #zk: ZooKeeperClient | undefined;
  #mode: WatchMode = "recursive";
  #watches: PersistentWatch[] = [];
  /** Paths to read, deduplicated, in arrival order. */
  readonly #pending = new Set<string>();
  #draining: Promise<void> | undefined;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;
  readonly #watcher: Watcher = (event) => this.#notified(event);

  constructor(
    connect: () => Promise<ZooKeeperClient>,
    model: TreeModel,
    emit: (events: NewEvent[]) => void,
    options: TreeWatcherOptions = {},
  ) {
    this.#connect = connect;
    this.#model = model;
    this.#emit = emit;
    this.#options = options;
  }

  /** The mode in use (after start()). */
  get mode(): WatchMode {
    return this.#mode;
  }

  /** The session in use (for the console's tree browser). */
  get client(): ZooKeeperClient | undefined {
    return this.#zk;
  }

  #log(message: string): void {
    (this.#options.log ?? ((line) => console.error(line)))(message);
  }

  /** Connect, install watches, read the whole tree (its history comes out as replayed events). */
  async start(): Promise<void> {
    await this.#attach(true);
  }

  async #attach(first: boolean): Promise<void> {
    const zk = await this.#connect();
    this.#zk = zk;
    this.#unsubscribe = zk.sessionEvents.subscribe((event) => {
      if (event.type === "expired" && !this.#stopped) this.#reattach();
    });
    this.#mode = this.#options.mode ?? "recursive";
    if (this.#mode === "recursive") {
      try {
        this.#watches = [
          await zk.addWatch("/brokers", { recursive: true, watcher: this.#watcher }),
          await zk.addWatch(CONTROLLER_PATH, { watcher: this.#watcher }),
        ];
      } catch (error) {
        const old = error instanceof KeeperError &&
          (error.code === ErrorCode.unimplemented || error.code === ErrorCode.marshallingError);
        if (!old) throw error;
        this.#log("coordinator has no persistent watches (ZooKeeper < 3.6): using one-shot watches");
        this.#mode = "one-shot";
      }
    }
    await this.#fullRead(first);
  }

  /** The session expired: a new one, and a full read diffed against what we knew. */
  #reattach(): void {
    this.#unsubscribe?.();
    this.#watches = [];
    const retry = async () => {
      while (!this.#stopped) {
        try {
          await this.#attach(false);
          return;
        } catch (error) {
          this.#log(`events: reconnecting to the coordinator failed: ${(error as Error).message}; retrying`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    };
    void retry();
  }

  /** Read every node the timeline cares about; with `replay`, events carry the tree's own times. */
  async #fullRead(replay: boolean): Promise<void> {
    const zk = this.#zk!;
    const events: NewEvent[] = [];
    const watch = this.#mode === "one-shot" ? this.#watcher : undefined;
    const controller = await this.#readData(zk, CONTROLLER_PATH, watch);
    events.push(
      ...this.#model.applyController(
        decodeController(controller?.data ?? null),
        controller?.stat.ctime ?? Date.now(),
      ),
    );
    const ids = (await this.#children(zk, BROKER_IDS_PATH)).filter((id) => /^\d+$/.test(id)).map(Number);
    for (const gone of [...this.#model.brokers.keys()].filter((id) => !ids.includes(id))) {
      events.push(...this.#model.applyBroker(gone, null, Date.now()));
    }
    const brokers = await mapBounded(ids, (id) => this.#readData(zk, brokerIdPath(id), watch));
    ids.forEach((id, i) => events.push(...this.#applyBroker(id, brokers[i])));
    const topics = await this.#children(zk, TOPICS_PATH);
    for (const gone of [...this.#model.topics.keys()].filter((topic) => !topics.includes(topic))) {
      events.push(...this.#model.applyTopic(gone, null, Date.now()));
    }
    const assignments = await mapBounded(topics, (topic) => this.#readData(zk, topicPath(topic), watch));
    for (const [i, topic] of topics.entries()) {
      events.push(...this.#applyTopic(topic, assignments[i]));
      const partitions = this.#model.topics.get(topic)?.length ?? 0;
      const indexes = Array.from({ length: partitions }, (_, p) => p);
      const states = await mapBounded(
        indexes,
        (p) => this.#readData(zk, partitionStatePath(topic, p), watch),
      );
      const stateEvents = indexes.flatMap((p) => this.#applyState(topic, p, states[p]));
      // At the first read a partition's history is unknown: its state is taken as is, silently.
      if (!replay) events.push(...stateEvents);
    }
    if (replay) { for (const event of events) event.replayed = true; }
    events.sort((a, b) => a.time - b.time);
    this.#emit(events);
  }

  async #children(zk: ZooKeeperClient, path: string): Promise<string[]> {
    try {
      return await zk.getChildren(path, this.#mode === "one-shot" ? this.#watcher : undefined);
    } catch (error) {
      if (!isNoNode(error)) throw error;
      // Not there yet (no broker ever started): in one-shot mode, hear when it appears.
      if (this.#mode === "one-shot") await zk.exists(path, this.#watcher);
      return [];
    }
  }

  /** Data and Stat, or null when the node is missing (then, with a watcher, armed for creation). */
  async #readData(
    zk: ZooKeeperClient,
    path: string,
    watcher: Watcher | undefined,
  ): Promise<{ data: Uint8Array | null; stat: Stat } | null> {
    try {
      return await zk.getData(path, watcher);
    } catch (error) {
      if (!isNoNode(error)) throw error;
      if (watcher && classifyPath(path)?.kind !== "broker") {
        // ZooKeeper sets no data watch on a missing node; an exists watch hears its creation.
        const stat = await zk.exists(path, watcher);
        if (stat) this.#enqueue(path); // created in between: read it again
      }
      return null;
    }
  }

  #applyBroker(brokerId: number, node: { data: Uint8Array | null; stat: Stat } | null): NewEvent[] {
    if (node === null) return this.#model.applyBroker(brokerId, null, Date.now());
    try {
      return this.#model.applyBroker(brokerId, decodeBrokerEndpoint(brokerId, node.data), node.stat.ctime);
    } catch (error) {
      this.#log(`events: ${(error as Error).message}`);
      return [];
    }
  }

  #applyTopic(topic: string, node: { data: Uint8Array | null; stat: Stat } | null): NewEvent[] {
    if (node === null) return this.#model.applyTopic(topic, null, Date.now());
    try {
      const known = this.#model.topics.has(topic);
      const events = this.#model.applyTopic(topic, decodeTopicAssignment(topic, node.data), node.stat.ctime);
      if (!known && this.#mode === "one-shot") {
        // Arm the partition states' watches (they appear after the topic node).
        const partitions = this.#model.topics.get(topic)?.length ?? 0;
        for (let p = 0; p < partitions; p++) this.#enqueue(partitionStatePath(topic, p));
      }
      return events;
    } catch (error) {
      this.#log(`events: ${(error as Error).message}`);
      return [];
    }
  }

  #applyState(
    topic: string,
    partition: number,
    node: { data: Uint8Array | null; stat: Stat } | null,
  ): NewEvent[] {
    if (node === null) return this.#model.applyState(topic, partition, null, Date.now());
    try {
      const state = decodePartitionState(`Partition ${topic}-${partition} state`, node.data);
      return this.#model.applyState(topic, partition, state, node.stat.mtime);
    } catch (error) {
      this.#log(`events: ${(error as Error).message}`);
      return [];
    }
  }

  #notified(event: WatchEvent): void {
    if (this.#stopped) return;
    if (event.type === "NodeChildrenChanged") {
      this.#pending.add(`children:${event.path}`);
    } else if (
      event.type === "NodeCreated" && this.#mode === "one-shot" &&
      (event.path === BROKER_IDS_PATH || event.path === TOPICS_PATH)
    ) {
      this.#pending.add(`children:${event.path}`);
    } else {
      this.#enqueue(event.path);
    }
    this.#drain();
  }

  #enqueue(path: string): void {
    if (classifyPath(path) === null) return;
    this.#pending.add(path);
    this.#drain();
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = (async () => {
      while (this.#pending.size > 0 && !this.#stopped) {
        const batch = [...this.#pending].slice(0, BATCH);
        for (const path of batch) this.#pending.delete(path);
        try {
          await this.#process(batch);
        } catch (error) {
          // A failed batch (connection lost mid-read): put it back; the session re-attaches and
          // the reads are tried again; an expired session re-reads everything anyway.
          if (this.#stopped) return;
          for (const path of batch) this.#pending.add(path);
          this.#log(`events: reading the tree failed: ${(error as Error).message}; retrying`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    })().finally(() => {
      this.#draining = undefined;
      if (this.#pending.size > 0 && !this.#stopped) this.#drain();
    });
  }

  async #process(batch: string[]): Promise<void> {
    const zk = this.#zk!;
    const watch = this.#mode === "one-shot" ? this.#watcher : undefined;
    const reads = await mapBounded(batch, async (item) => {
      if (item.startsWith("children:")) return await this.#children(zk, item.slice("children:".length));
      return await this.#readData(zk, item, watch);
    });
    const events: NewEvent[] = [];
    batch.forEach((item, i) => {
      if (item.startsWith("children:")) {
        const children = reads[i] as string[];
        const parent = item.slice("children:".length);
        // One-shot mode: new children need their own data watches (and a first read).
        for (const child of children) {
          const known = parent === BROKER_IDS_PATH
            ? this.#model.brokers.has(Number(child))
            : this.#model.topics.has(child);
          if (!known) this.#pending.add(`${parent}/${child}`);
        }
        return;
      }
      const node = reads[i] as { data: Uint8Array | null; stat: Stat } | null;
      const what = classifyPath(item)!;
      switch (what.kind) {
        case "controller":
          events.push(
            ...this.#model.applyController(
              decodeController(node?.data ?? null),
              node?.stat.mtime ?? Date.now(),
            ),
          );
          break;
        case "broker":
          events.push(...this.#applyBroker(what.brokerId, node));
          break;
        case "topic":
          events.push(...this.#applyTopic(what.topic, node));
          break;
        case "state":
          events.push(...this.#applyState(what.topic, what.partition, node));
          break;
      }
    });
    if (events.length > 0) this.#emit(events);
  }

  /** Remove the watches and end the session. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    await this.#draining?.catch(() => {});
    await this.#zk?.close();
  }
}
