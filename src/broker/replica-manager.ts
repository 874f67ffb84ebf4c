/**
 * ReplicaManager: the partitions this broker hosts. It follows the cluster metadata — opening
 * the log of every partition whose replica list names this broker, recording its leader and
 * leader epoch from the partition state, closing (and, for a topic deleted while we ran,
 * removing) the logs of partitions that went away — and answers "may I serve this partition
 * as leader?" for the handlers.
 *
 * A topic missing at startup never causes a deletion: only a topic seen and then gone during
 * this run is removed from disk, so pointing a broker at an empty coordinator cannot wipe it.
 */
import { ErrorCode } from "../kafka/errors.ts";
import type { ClusterSnapshot } from "./cluster-metadata.ts";
import type { ReplicaLog } from "./replica-log.ts";

/** A partition hosted here. */
export interface Partition {
  topic: string;
  partition: number;
  /** Purgatory key and map key: "topic:partition". */
  key: string;
  log: ReplicaLog;
  replicas: number[];
  isr: number[];
  /** -1 while no leader is known. */
  leader: number;
  leaderEpoch: number;
}

export type LogOpener = (topic: string, partition: number) => Promise<ReplicaLog> | ReplicaLog;
export type LogRemover = (topic: string, partition: number) => Promise<void> | void;

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

/** Result of a leader lookup: the partition or the error code to answer with. */
export type LeaderLookup = { partition: Partition; errorCode: 0 } | { partition: null; errorCode: number };

export class ReplicaManager {
  readonly brokerId: number;
  readonly #open: LogOpener;
  readonly #remove: LogRemover;
  readonly #partitions = new Map<string, Partition>();
  readonly #seenTopics = new Set<string>();
  #closed = false;

  constructor(brokerId: number, open: LogOpener, remove: LogRemover) {
    this.brokerId = brokerId;
    this.#open = open;
    this.#remove = remove;
  }

  get(topic: string, partition: number): Partition | undefined {
    return this.#partitions.get(partitionKey(topic, partition));
  }

  /** Every hosted partition. */
  all(): IterableIterator<Partition> {
    return this.#partitions.values();
  }

  /** The partition if this broker leads it, else the error a client should see. */
  leaderFor(snapshot: ClusterSnapshot, topic: string, partition: number): LeaderLookup {
    const hosted = this.get(topic, partition);
    if (hosted && hosted.leader === this.brokerId) return { partition: hosted, errorCode: 0 };
    const known = snapshot.topics.get(topic)?.partitions[partition];
    if (!known) return { partition: null, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (!known.state || known.state.leader < 0) {
      return { partition: null, errorCode: ErrorCode.LEADER_NOT_AVAILABLE };
    }
    return { partition: null, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  }

  /** Bring the hosted partitions in line with the snapshot. */
  async apply(snapshot: ClusterSnapshot): Promise<void> {
    if (this.#closed) return;
    const wanted = new Set<string>();
    for (const topic of snapshot.topics.values()) {
      this.#seenTopics.add(topic.name);
      for (const meta of topic.partitions) {
        if (!meta.replicas.includes(this.brokerId)) continue;
        const key = partitionKey(topic.name, meta.partition);
        wanted.add(key);
        let hosted = this.#partitions.get(key);
        if (!hosted) {
          const log = await this.#open(topic.name, meta.partition);
          if (this.#closed) {
            await log.close();
            return;
          }
          hosted = {
            topic: topic.name,
            partition: meta.partition,
            key,
            log,
            replicas: meta.replicas,
            isr: [],
            leader: -1,
            leaderEpoch: -1,
          };
          this.#partitions.set(key, hosted);
        }
        hosted.replicas = meta.replicas;
        // Never move backwards in leader epoch: a stale read must not undo a newer leadership.
        if (meta.state && meta.state.leaderEpoch >= hosted.leaderEpoch) {
          hosted.leader = meta.state.leader;
          hosted.leaderEpoch = meta.state.leaderEpoch;
          hosted.isr = meta.state.isr;
        }
      }
    }
    for (const [key, hosted] of [...this.#partitions]) {
      if (wanted.has(key)) continue;
      this.#partitions.delete(key);
      await hosted.log.close();
      if (this.#seenTopics.has(hosted.topic) && !snapshot.topics.has(hosted.topic)) {
        await this.#remove(hosted.topic, hosted.partition);
      }
    }
  }

  /** Close every log (clean shutdown). */
  async close(): Promise<void> {
    this.#closed = true;
    const logs = [...this.#partitions.values()].map((hosted) => hosted.log);
    this.#partitions.clear();
    await Promise.all(logs.map((log) => log.close()));
  }
}
