/**
 * How a broker tells the controller which of its replicas are offline (their logs failed: a full
 * disk, an I/O error, damage it may not repair itself): the ephemeral node
 * /brokers/offline_replicas/N holding the whole list as `{"version":1,"partitions":[…]}`. The
 * controller reads it with the rest of the tree (and watches it): an offline replica counts as
 * dead for its partition — it leaves the ISR and is never elected — while the broker stays live
 * for every other partition.
 *
 * Why this shape: Kafka's ZooKeeper-era broker announces a failed log dir with a sequential
 * /log_dir_event_notification node, after which the controller asks the broker (LeaderAndIsr)
 * and learns the offline replicas from its KAFKA_STORAGE_ERROR answers, keeping them in memory.
 * One node per broker, in the tree the controller reads anyway, is the smallest equivalent with
 * no state of its own in the controller: a new controller finds it there, and since it is
 * ephemeral it ends with the broker's session — a restarted broker, whose recovery re-checks
 * every log, starts with none; after a session expiry the broker writes it again (republish).
 *
 * One write at a time, always the whole current list; a failed write is retried with a backoff
 * (the coordinator may be away) until it goes through or a newer list replaces it.
 *
 * @example
 * ```ts
 * const publisher = new OfflineReplicaPublisher(coordination, 3, console.error);
 * publisher.publish([{ topic: "orders", partition: 0 }]);
 * ```
 */
import { type Coordination, NodeExistsError } from "./coordination.ts";
import type { TopicPartition } from "./topic-partition.ts";
import { encodePartitionList, offlineReplicasPath } from "./zk-layout.ts";

/** First and largest pause between attempts to write the list. */
const RETRY_BACKOFF_MS = { first: 250, max: 5_000 };

export class OfflineReplicaPublisher {
  readonly #coordination: Coordination;
  readonly #path: string;
  readonly #log: (message: string) => void;
  #wanted: TopicPartition[] = [];
  /** Bumped by every publish(): a write of an older list is followed by another. */
  #generation = 0;
  #writing: Promise<void> | null = null;
  #closed = false;

  constructor(coordination: Coordination, brokerId: number, log: (message: string) => void) {
    this.#coordination = coordination;
    this.#path = offlineReplicasPath(brokerId);
    this.#log = log;
  }

  /** Record the broker's offline replicas (the whole list) in the coordinator, soon. */
  publish(partitions: TopicPartition[]): void {
    this.#wanted = partitions.map(({ topic, partition }) => ({ topic, partition }));
    this.#generation++;
    this.#writing ??= this.#writeUntilCurrent().finally(() => this.#writing = null);
  }

  /** Write the list again (a new session: the ephemeral node went with the old one). */
  republish(): void {
    if (this.#wanted.length > 0) this.publish(this.#wanted);
  }

  async #writeUntilCurrent(): Promise<void> {
    let backoffMs = RETRY_BACKOFF_MS.first;
    let written = 0;
    while (!this.#closed && written !== this.#generation) {
      const generation = this.#generation;
      try {
        await this.#write(encodePartitionList(this.#wanted));
        written = generation;
        backoffMs = RETRY_BACKOFF_MS.first;
      } catch (error) {
        this.#log(
          `offline replicas not recorded yet, retrying in ${backoffMs} ms: ${(error as Error).message}`,
        );
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, RETRY_BACKOFF_MS.max);
      }
    }
  }

  /** Create the node on this session, or overwrite it. */
  async #write(data: Uint8Array): Promise<void> {
    try {
      await this.#coordination.createEphemeral(this.#path, data);
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
      // Ours (written earlier on this session): any version will do, we are its only writer.
      await this.#coordination.setData(this.#path, data, -1);
    }
  }

  /** Stop retrying (the broker is stopping; the node goes with the session). */
  close(): void {
    this.#closed = true;
  }
}
