/**
 * ControllerContext: the cluster as the active controller knows it, in memory (Kafka's
 * ControllerContext), and which of its partitions changed since the controller last acted. The
 * controller's cost follows what changed: each run decides, advances and announces only the
 * partitions this context hands it as touched, never the whole cluster.
 *
 * Loaded by one full read of the coordinator tree when the controller is elected (and at a
 * resync when the tree changed since the last full read, or that one is old (ResyncGate):
 * everything is touched then), then kept current by what changed:
 *
 * - the paths whose watches fired (the controller's watcher reports them here): the live broker
 *   list (the partitions with a replica on a broker that came, went or re-registered are
 *   touched, found through an index of replicas by broker), the topic list, a topic's assignment
 *   node (read alone: only partitions whose replicas changed have their states read and are
 *   touched; the controller's own writes come back at the version it already holds and cost
 *   nothing), a topic's config node (its partitions are touched when the unclean election
 *   setting changed), the offline-replica records (the partitions added or removed);
 * - the partitions named by ISR change notifications (a leader changed its own ISR);
 * - partitions whose write lost a compare-and-set (someone else changed them first);
 * - the controller's own writes, which it applies to the view directly (replaceAssignment keeps
 *   the index in step).
 *
 * Touched partitions and deleted topics accumulate until a refresh hands them to a run; a run
 * that fails gives them back (restore) for the next. Dirty marks are taken before the
 * reads they cause, so a watch that fires during a read brings another read, never a lost change.
 *
 * @example
 * ```ts
 * const context = new ControllerContext(reader, new ResyncGate(() => reader.latestZxid(), 30_000));
 * const { view, touched } = await context.refresh([]); // first call: the full read, all touched
 * context.markDirty("/brokers/ids");                   // a watch fired
 * await context.refresh([{ topic: "t", partition: 0 }]);
 * ```
 */
import { type ClusterTreeReader, type ClusterView, mapBounded, type TopicView } from "../cluster-tree.ts";
import { parsePartitionKey, partitionKey } from "../topic-partition.ts";
import {
  BROKER_IDS_PATH,
  OFFLINE_REPLICAS_PATH,
  type Reassignment,
  type ReplicaAssignment,
  TOPIC_CONFIGS_PATH,
  TOPICS_PATH,
} from "../zk-layout.ts";
import { uncleanElectionEnabled } from "./partition-election.ts";
import type { ResyncGate } from "../resync-gate.ts";

/** One partition, by name. */
export interface PartitionName {
  topic: string;
  partition: number;
}

/** What a refresh hands the controller. */
export interface Refreshed {
  view: ClusterView;
  /** Partitions to reconsider, by key "topic:p" (everything after a full read). */
  touched: ReadonlyMap<string, PartitionName>;
  /** Topics gone since the controller last acted, as they were. */
  deleted: readonly TopicView[];
}

/** The topic name a path under prefix names ("" when it names none, or something deeper). */
function childName(path: string, prefix: string): string {
  if (!path.startsWith(`${prefix}/`)) return "";
  const name = path.slice(prefix.length + 1);
  return name.includes("/") ? "" : name;
}

function sameReplicas(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((id, i) => id === b[i]);
}

function sameReassignment(a: Reassignment | undefined, b: Reassignment | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return sameReplicas(a.adding, b.adding) && sameReplicas(a.removing, b.removing);
}

export class ControllerContext {
  readonly #reader: ClusterTreeReader;
  #view: ClusterView | null = null;
  #fullRead = true;
  /** The periodic resync asked for a full read, if the tree changed since the last one. */
  #resyncAsked = false;
  readonly #resync: ResyncGate;
  readonly #dirty = new Set<string>();
  readonly #stale = new Map<string, PartitionName>();
  readonly #touched = new Map<string, PartitionName>();
  readonly #deleted = new Map<string, TopicView>();
  /** Broker id → the partitions with a replica on it (adding replicas of reassignments included). */
  readonly #byBroker = new Map<number, Map<string, PartitionName>>();
  /** Topic → the zxid that created its assignment node (another one: deleted and created again). */
  readonly #created = new Map<string, number>();

  constructor(reader: ClusterTreeReader, resync: ResyncGate) {
    this.#reader = reader;
    this.#resync = resync;
  }

  /** The view as of the last refresh (null before the first). */
  get view(): ClusterView | null {
    return this.#view;
  }

  /** A watch fired on path: re-read what it covers on the next refresh. */
  markDirty(path: string): void {
    this.#dirty.add(path);
  }

  /** A write of this partition lost a compare-and-set: re-read its state on the next refresh. */
  markStale(topic: string, partition: number): void {
    this.#stale.set(partitionKey(topic, partition), { topic, partition });
  }

  /** The next refresh reads everything (a notification we could not read). */
  requestFullRead(): void {
    this.#fullRead = true;
  }

  /**
   * The periodic resync: the next refresh reads everything if the tree changed since the last
   * full read began (or that one is old; ResyncGate), and only what watches named otherwise.
   */
  requestResync(): void {
    this.#resyncAsked = true;
  }

  /** Reconsider every partition with a replica on this broker (it began a controlled shutdown). */
  touchBroker(brokerId: number): void {
    for (const [key, name] of this.#byBroker.get(brokerId) ?? []) this.#touched.set(key, name);
  }

  /** The partitions with a replica on this broker. */
  partitionsOf(brokerId: number): Iterable<PartitionName> {
    return this.#byBroker.get(brokerId)?.values() ?? [];
  }

  /**
   * A run failed after refresh handed it these changes: keep them for the next run (with
   * whatever was touched meanwhile).
   */
  restore(refreshed: Refreshed): void {
    for (const [key, name] of refreshed.touched) this.#touched.set(key, name);
    for (const topic of refreshed.deleted) {
      if (!this.#view?.topics.has(topic.name)) this.#deleted.set(topic.name, topic);
    }
  }

  /**
   * The controller wrote a topic's assignment node (a reassignment step): take it into the view
   * and the index. The version it wrote is the one its watch will bring back, so that read
   * costs nothing more.
   */
  replaceAssignment(
    topic: TopicView,
    assignment: ReplicaAssignment,
    reassignments: Map<number, Reassignment>,
    version: number,
  ): void {
    assignment.forEach((replicas, partition) => {
      const before = topic.assignment[partition];
      if (sameReplicas(before, replicas)) return;
      this.#unindex(topic.name, partition, before ?? []);
      // Not touched: the controller decided this partition's new state with it.
      this.#index(topic.name, partition, replicas, false);
    });
    topic.assignment = assignment;
    topic.reassignments = reassignments;
    topic.assignmentVersion = version;
  }

  /** Bring the view up to date; returns it with what changed since the controller last acted. */
  async refresh(notified: readonly PartitionName[]): Promise<Refreshed> {
    const dirty = new Set(this.#dirty);
    this.#dirty.clear();
    const stale = [...this.#stale.values(), ...notified];
    this.#stale.clear();
    const resync = this.#resyncAsked;
    this.#resyncAsked = false;
    if (this.#fullRead || this.#view === null || (resync && await this.#resync.due())) {
      this.#fullRead = false;
      await this.#readAll();
    } else {
      await this.#readChanges(this.#view, dirty, stale);
    }
    // Handed over: what is touched from now on is the next run's.
    const refreshed = {
      view: this.#view!,
      touched: new Map(this.#touched),
      deleted: [...this.#deleted.values()],
    };
    this.#touched.clear();
    this.#deleted.clear();
    return refreshed;
  }

  async #readAll(): Promise<void> {
    const before = this.#view;
    const mark = await this.#resync.mark();
    const { brokers, registrations } = await this.#reader.readBrokers();
    const topics = new Map<string, TopicView>();
    // Topics one after another, each topic's partitions pipelined: bounded requests in flight.
    for (const name of await this.#reader.readTopicNames()) {
      const topic = await this.#readTopic(name);
      if (topic) topics.set(name, topic);
    }
    const view: ClusterView = {
      brokers,
      registrations,
      topics,
      controllerId: await this.#reader.readControllerId(),
      offlineReplicas: await this.#reader.readOfflineReplicas(),
    };
    for (const topic of before?.topics.values() ?? []) {
      if (!topics.has(topic.name)) this.#deleted.set(topic.name, topic);
    }
    this.#byBroker.clear();
    for (const topic of topics.values()) {
      this.#deleted.delete(topic.name);
      this.#indexTopic(topic);
    }
    this.#view = view;
    this.#resync.completed(mark);
  }

  async #readChanges(view: ClusterView, dirty: Set<string>, stale: PartitionName[]): Promise<void> {
    if (dirty.has(BROKER_IDS_PATH)) {
      const { brokers, registrations } = await this.#reader.readBrokers();
      const ids = new Set([...view.registrations.keys(), ...registrations.keys()]);
      for (const id of ids) {
        // Came, went or re-registered: its partitions' live replicas (or its knowledge) changed.
        if (view.registrations.get(id) !== registrations.get(id)) this.touchBroker(id);
      }
      view.brokers = brokers;
      view.registrations = registrations;
    }
    if ([...dirty].some((path) => path === OFFLINE_REPLICAS_PATH || childName(path, OFFLINE_REPLICAS_PATH))) {
      const offline = await this.#reader.readOfflineReplicas();
      for (const id of new Set([...view.offlineReplicas.keys(), ...offline.keys()])) {
        const was = view.offlineReplicas.get(id) ?? new Set<string>();
        const is = offline.get(id) ?? new Set<string>();
        for (const key of was) if (!is.has(key)) this.#touched.set(key, parsePartitionKey(key));
        for (const key of is) if (!was.has(key)) this.#touched.set(key, parsePartitionKey(key));
      }
      view.offlineReplicas = offline;
    }
    const reread = new Set<string>();
    const configs = new Set<string>();
    for (const path of dirty) {
      const topic = childName(path, TOPICS_PATH);
      if (topic) reread.add(topic);
      const config = childName(path, TOPIC_CONFIGS_PATH);
      if (config) configs.add(config);
    }
    if (dirty.has(TOPICS_PATH)) {
      const names = new Set(await this.#reader.readTopicNames());
      for (const topic of view.topics.values()) if (!names.has(topic.name)) this.#remove(view, topic);
      for (const name of names) if (!view.topics.has(name)) reread.add(name);
    }
    const whole = new Set<string>();
    await mapBounded([...reread], async (name) => {
      if (await this.#rereadAssignment(view, name)) whole.add(name);
    });
    for (const name of [...configs].filter((name) => !whole.has(name) && view.topics.has(name))) {
      const fresh = await this.#reader.readConfigs(name);
      const topic = view.topics.get(name);
      if (!topic) continue;
      if (uncleanElectionEnabled(fresh) !== uncleanElectionEnabled(topic.configs)) this.#touchTopic(topic);
      topic.configs = fresh;
    }
    const states = stale.filter(({ topic, partition }) =>
      !whole.has(topic) && partition >= 0 && partition < (view.topics.get(topic)?.assignment.length ?? 0)
    );
    const read = await mapBounded(states, ({ topic, partition }) => this.#reader.readState(topic, partition));
    states.forEach(({ topic, partition }, i) => {
      const known = view.topics.get(topic);
      if (!known || partition >= known.assignment.length) return;
      known.states[partition] = read[i];
      this.#touched.set(partitionKey(topic, partition), { topic, partition });
    });
  }

  /**
   * A topic's assignment node changed (or the topic is new): read the node alone and, for a
   * topic already known, the states of the partitions whose replicas changed; a new (or
   * re-created) topic is read whole. True when it was read whole.
   */
  async #rereadAssignment(view: ClusterView, name: string): Promise<boolean> {
    const known = view.topics.get(name);
    const node = await this.#reader.readAssignment(name);
    if (node === null) {
      if (known) this.#remove(view, known);
      return false;
    }
    if (!known || this.#created.get(name) !== node.czxid) {
      const topic = await this.#readTopic(name);
      if (known) this.#unindexTopic(known);
      if (topic === null) {
        view.topics.delete(name);
        return false;
      }
      view.topics.set(name, topic);
      this.#deleted.delete(name);
      this.#indexTopic(topic);
      return true;
    }
    if (node.version === known.assignmentVersion) return false;
    const changed: number[] = [];
    node.assignment.forEach((replicas, partition) => {
      if (
        !sameReplicas(known.assignment[partition], replicas) ||
        !sameReassignment(known.reassignments.get(partition), node.reassignments.get(partition))
      ) {
        changed.push(partition);
      }
    });
    const states = await mapBounded(changed, (partition) => this.#reader.readState(name, partition));
    const old = known.assignment;
    changed.forEach((partition, i) => {
      this.#unindex(name, partition, old[partition] ?? []);
      this.#index(name, partition, node.assignment[partition]);
      known.states[partition] = states[i];
    });
    for (let partition = node.assignment.length; partition < old.length; partition++) {
      this.#unindex(name, partition, old[partition]);
    }
    known.states.length = node.assignment.length;
    known.assignment = node.assignment;
    known.reassignments = node.reassignments;
    known.assignmentVersion = node.version;
    return false;
  }

  /** A whole topic (states and configs too), or null when it is gone or unreadable. */
  async #readTopic(name: string): Promise<TopicView | null> {
    const node = await this.#reader.readAssignment(name);
    if (node === null) return null;
    const states = await mapBounded(
      node.assignment.map((_, partition) => partition),
      (p) => this.#reader.readState(name, p),
    );
    this.#created.set(name, node.czxid);
    return {
      name,
      assignment: node.assignment,
      configs: await this.#reader.readConfigs(name),
      states,
      reassignments: node.reassignments,
      assignmentVersion: node.version,
    };
  }

  #remove(view: ClusterView, topic: TopicView): void {
    view.topics.delete(topic.name);
    this.#created.delete(topic.name);
    this.#unindexTopic(topic);
    this.#deleted.set(topic.name, topic);
    for (let partition = 0; partition < topic.assignment.length; partition++) {
      this.#touched.delete(partitionKey(topic.name, partition));
    }
  }

  #touchTopic(topic: TopicView): void {
    for (let partition = 0; partition < topic.assignment.length; partition++) {
      this.#touched.set(partitionKey(topic.name, partition), { topic: topic.name, partition });
    }
  }

  #indexTopic(topic: TopicView): void {
    topic.assignment.forEach((replicas, partition) => this.#index(topic.name, partition, replicas));
  }

  #unindexTopic(topic: TopicView): void {
    topic.assignment.forEach((replicas, partition) => this.#unindex(topic.name, partition, replicas));
  }

  /** Index the partition's replicas and (unless told) touch it: its replicas are new to the controller. */
  #index(topic: string, partition: number, replicas: readonly number[], touch = true): void {
    const key = partitionKey(topic, partition);
    const name = { topic, partition };
    for (const id of replicas) {
      let partitions = this.#byBroker.get(id);
      if (!partitions) this.#byBroker.set(id, partitions = new Map());
      partitions.set(key, name);
    }
    if (touch) this.#touched.set(key, name);
  }

  #unindex(topic: string, partition: number, replicas: readonly number[]): void {
    const key = partitionKey(topic, partition);
    for (const id of replicas) this.#byBroker.get(id)?.delete(key);
  }
}
