/**
 * ControllerContext: the cluster as the active controller knows it, in memory (Kafka's
 * ControllerContext). Loaded by one full read of the coordinator tree when the controller is
 * elected, then kept current by what changed — never re-read whole per decision round:
 *
 * - the paths whose watches fired (the controller's watcher reports them here): the live broker
 *   list, the topic list, a topic's assignment, the offline-replica records;
 * - the partitions named by ISR change notifications (a leader changed its own ISR);
 * - partitions whose write lost a compare-and-set (someone else changed them first);
 * - the controller's own writes, which it applies to the view's states directly;
 * - topic configs, re-read every round (one small node per topic, not per partition), so a
 *   change of unclean.leader.election.enable counts at once.
 *
 * A full read replaces everything on request (the periodic resync, which repairs whatever a
 * lost watch could have missed). Dirty marks are taken before the reads they cause, so a watch
 * that fires during a read brings another read, never a lost change.
 *
 * @example
 * ```ts
 * const context = new ControllerContext(reader);
 * const view = await context.refresh([]);        // first call: the full read
 * context.markDirty("/brokers/ids");            // a watch fired
 * await context.refresh([{ topic: "t", partition: 0 }]);
 * ```
 */
import { type ClusterTreeReader, type ClusterView, mapBounded } from "../cluster-tree.ts";
import { partitionKey } from "../topic-partition.ts";
import { BROKER_IDS_PATH, OFFLINE_REPLICAS_PATH, TOPICS_PATH } from "../zk-layout.ts";

/** One partition, by name. */
export interface PartitionName {
  topic: string;
  partition: number;
}

export class ControllerContext {
  readonly #reader: ClusterTreeReader;
  #view: ClusterView | null = null;
  #fullRead = true;
  readonly #dirty = new Set<string>();
  readonly #stale = new Map<string, PartitionName>();

  constructor(reader: ClusterTreeReader) {
    this.#reader = reader;
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

  /** The next refresh reads everything (the periodic resync, or a notification we could not read). */
  requestFullRead(): void {
    this.#fullRead = true;
  }

  /** Bring the view up to date and return it; `notified` are partitions whose ISR a leader changed. */
  async refresh(notified: readonly PartitionName[]): Promise<ClusterView> {
    const dirty = new Set(this.#dirty);
    this.#dirty.clear();
    const stale = [...this.#stale.values(), ...notified];
    this.#stale.clear();
    if (this.#fullRead || this.#view === null) {
      this.#fullRead = false;
      this.#view = await this.#reader.read();
      return this.#view;
    }
    const view = this.#view;
    if (dirty.has(BROKER_IDS_PATH)) {
      const { brokers, registrations } = await this.#reader.readBrokers();
      view.brokers = brokers;
      view.registrations = registrations;
    }
    if (
      [...dirty].some((path) =>
        path === OFFLINE_REPLICAS_PATH || path.startsWith(`${OFFLINE_REPLICAS_PATH}/`)
      )
    ) {
      view.offlineReplicas = await this.#reader.readOfflineReplicas();
    }
    const reread = new Set<string>();
    for (const path of dirty) {
      const name = path.startsWith(`${TOPICS_PATH}/`) ? path.slice(TOPICS_PATH.length + 1) : "";
      if (name !== "" && !name.includes("/")) reread.add(name);
    }
    if (dirty.has(TOPICS_PATH)) {
      const names = new Set(await this.#reader.readTopicNames());
      for (const name of view.topics.keys()) if (!names.has(name)) view.topics.delete(name);
      for (const name of names) if (!view.topics.has(name)) reread.add(name);
    }
    const fresh = await mapBounded([...reread], (name) => this.#reader.readTopic(name));
    [...reread].forEach((name, i) => {
      const topic = fresh[i];
      if (topic) view.topics.set(name, topic);
      else view.topics.delete(name);
    });
    const states = stale.filter(({ topic, partition }) =>
      !reread.has(topic) && partition >= 0 && partition < (view.topics.get(topic)?.assignment.length ?? 0)
    );
    const read = await mapBounded(states, ({ topic, partition }) => this.#reader.readState(topic, partition));
    states.forEach(({ topic, partition }, i) => {
      const known = view.topics.get(topic);
      if (known) known.states[partition] = read[i];
    });
    const others = [...view.topics.values()].filter((topic) => !reread.has(topic.name));
    const configs = await mapBounded(others, (topic) => this.#reader.readConfigs(topic.name));
    others.forEach((topic, i) => topic.configs = configs[i]);
    return view;
  }
}
