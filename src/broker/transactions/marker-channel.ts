/**
 * MarkerChannel: how the transaction coordinator gets COMMIT / ABORT markers onto every partition
 * of a transaction (Kafka's TransactionMarkerChannelManager). Each partition's marker goes to the
 * partition's current leader; markers bound for one broker travel together, one WriteTxnMarkers
 * request per broker at a time carrying every marker waiting for it (so a thousand transactions
 * ending at once cost a few requests, not a thousand).
 *
 * A partition whose answer is an error is routed again after a backoff (the leader may have
 * moved: the metadata cache says where it is now), as is everything a failed request carried.
 * A job ends when every partition has its marker, or has a reason never to: its topic is gone,
 * or the partition already knows a newer producer epoch (INVALID_PRODUCER_EPOCH: a later
 * decision of this producer is there). It rejects as soon as its coordinator no longer owns the
 * transaction (the new one resumes from the PrepareCommit / PrepareAbort in the log).
 *
 * Bounds: one request in flight per broker, at most maxMarkersPerRequest markers in it, retries
 * at most every retryBackoffMs per partition; the jobs waiting are bounded by the transactions the
 * coordinator holds in Prepare states.
 */
import { Connection } from "../../client/connection.ts";
import type { ClientSecurity } from "../../client/security.ts";
import { ApiKey } from "../../kafka/api-keys.ts";
import {
  readWriteTxnMarkersResponse,
  type WritableTxnMarker,
  writeWriteTxnMarkersRequest,
} from "../../kafka/apis/write-txn-markers.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { BrokerEndpoint } from "../zk-layout.ts";
import type { MarkerJob, MarkerWriter } from "./txn-coordinator.ts";

/** Where partitions are: what the channel needs of the metadata cache. */
export interface MarkerRouting {
  /** The leader's inter-broker endpoint, or undefined when the partition has no live leader now. */
  leaderOf(topic: string, partition: number): BrokerEndpoint | undefined;
  /** Does the topic still exist? (Markers to a deleted topic are dropped.) */
  hasTopic(topic: string): boolean;
}

export interface MarkerChannelOptions {
  routing: MarkerRouting;
  brokerId: number;
  requestTimeoutMs: number;
  /** Pause before a partition's marker is sent again (default 100 ms). */
  retryBackoffMs?: number;
  /** Markers per WriteTxnMarkers request at most (default 500). */
  maxMarkersPerRequest?: number;
  security?: ClientSecurity;
  log: (message: string) => void;
}

/** One partition's marker of one job, waiting for (or on its way to) a broker. */
interface PendingMarker {
  job: RunningJob;
  topic: string;
  partition: number;
}

interface RunningJob {
  job: MarkerJob;
  remaining: number;
  resolve: () => void;
  reject: (error: Error) => void;
  settled: boolean;
}

export class MarkerChannel implements MarkerWriter {
  readonly #options: MarkerChannelOptions;
  readonly #queues = new Map<number, BrokerMarkerQueue>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(options: MarkerChannelOptions) {
    this.#options = options;
  }

  write(job: MarkerJob): Promise<void> {
    if (job.partitions.length === 0) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error("marker channel closed"));
    return new Promise((resolve, reject) => {
      const running: RunningJob = { job, remaining: job.partitions.length, resolve, reject, settled: false };
      for (const { topic, partition } of job.partitions) this.#route({ job: running, topic, partition });
    });
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const queue of this.#queues.values()) queue.close();
    this.#queues.clear();
  }

  /** Send a partition's marker to its leader now, or retry later when it has none. */
  #route(marker: PendingMarker): void {
    if (this.#closed || marker.job.settled) return;
    if (!marker.job.job.isCurrent()) {
      this.#fail(marker.job, "the coordinator no longer owns the transaction");
      return;
    }
    if (!this.#options.routing.hasTopic(marker.topic)) {
      this.#options.log(`marker for ${marker.topic}-${marker.partition} dropped: the topic is gone`);
      this.#done(marker);
      return;
    }
    const leader = this.#options.routing.leaderOf(marker.topic, marker.partition);
    if (leader === undefined) {
      this.#retryLater(marker);
      return;
    }
    let queue = this.#queues.get(leader.brokerId);
    if (queue === undefined) {
      queue = new BrokerMarkerQueue(leader, this.#options, (m, errorCode) => this.#answered(m, errorCode));
      this.#queues.set(leader.brokerId, queue);
    }
    queue.enqueue(marker, leader);
  }

  #answered(marker: PendingMarker, errorCode: number): void {
    if (errorCode === ErrorCode.NONE) return this.#done(marker);
    if (errorCode === ErrorCode.INVALID_PRODUCER_EPOCH) {
      // The partition knows a newer epoch of this producer: a later decision already ended it there.
      this.#options.log(
        `marker for ${marker.topic}-${marker.partition} (producer ${marker.job.job.producerId}) superseded by a newer epoch`,
      );
      return this.#done(marker);
    }
    this.#retryLater(marker);
  }

  #retryLater(marker: PendingMarker): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#route(marker);
    }, this.#options.retryBackoffMs ?? 100);
    this.#timers.add(timer);
  }

  #done(marker: PendingMarker): void {
    const running = marker.job;
    if (running.settled) return;
    running.remaining--;
    if (running.remaining === 0) {
      running.settled = true;
      running.resolve();
    }
  }

  #fail(running: RunningJob, reason: string): void {
    if (running.settled) return;
    running.settled = true;
    running.reject(new Error(reason));
  }
}

/** The markers bound for one broker: one request in flight, everything waiting goes in the next. */
class BrokerMarkerQueue {
  #endpoint: BrokerEndpoint;
  readonly #options: MarkerChannelOptions;
  readonly #answered: (marker: PendingMarker, errorCode: number) => void;
  #waiting: PendingMarker[] = [];
  #connection: Connection | null = null;
  #sending = false;
  #closed = false;

  constructor(
    endpoint: BrokerEndpoint,
    options: MarkerChannelOptions,
    answered: (marker: PendingMarker, errorCode: number) => void,
  ) {
    this.#endpoint = endpoint;
    this.#options = options;
    this.#answered = answered;
  }

  enqueue(marker: PendingMarker, endpoint: BrokerEndpoint): void {
    if (endpoint.host !== this.#endpoint.host || endpoint.port !== this.#endpoint.port) {
      this.#endpoint = endpoint;
      this.#connection?.close();
      this.#connection = null;
    }
    this.#waiting.push(marker);
    if (!this.#sending) void this.#drain();
  }

  close(): void {
    this.#closed = true;
    this.#waiting = [];
    this.#connection?.close();
    this.#connection = null;
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    while (!this.#closed && this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#options.maxMarkersPerRequest ?? 500);
      let codes: Map<PendingMarker, number>;
      try {
        codes = await this.#send(batch);
      } catch (error) {
        // Connection lost or timed out: every marker of the request is routed again.
        this.#connection?.close();
        this.#connection = null;
        if (this.#closed) break;
        this.#options.log(
          `WriteTxnMarkers to broker ${this.#endpoint.brokerId} failed: ${
            (error as Error).message
          }; retrying`,
        );
        codes = new Map(batch.map((marker) => [marker, ErrorCode.NETWORK_EXCEPTION]));
      }
      for (const marker of batch) this.#answered(marker, codes.get(marker) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    this.#sending = false;
  }

  /** One request for the batch: one marker entry per job, its partitions grouped by topic. */
  async #send(batch: PendingMarker[]): Promise<Map<PendingMarker, number>> {
    const byJob = new Map<RunningJob, PendingMarker[]>();
    for (const marker of batch) {
      const list = byJob.get(marker.job) ?? [];
      list.push(marker);
      byJob.set(marker.job, list);
    }
    const jobs = [...byJob];
    const markers: WritableTxnMarker[] = jobs.map(([running, list]) => {
      const topics = new Map<string, number[]>();
      for (const m of list) topics.set(m.topic, [...(topics.get(m.topic) ?? []), m.partition]);
      return {
        producerId: running.job.producerId,
        producerEpoch: running.job.producerEpoch,
        transactionResult: running.job.commit,
        coordinatorEpoch: running.job.coordinatorEpoch,
        topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
      };
    });
    const connection = await this.#connect();
    const version = connection.versionFor(ApiKey.WriteTxnMarkers);
    const response = await connection.request(
      ApiKey.WriteTxnMarkers,
      version,
      (writer) => writeWriteTxnMarkersRequest(writer, version, { markers }),
      (reader) => readWriteTxnMarkersResponse(reader, version),
    );
    const codes = new Map<PendingMarker, number>();
    response.markers.forEach((answer, i) => {
      const list = jobs[i]?.[1] ?? [];
      for (const topic of answer.topics) {
        for (const p of topic.partitions) {
          const marker = list.find((m) => m.topic === topic.name && m.partition === p.partitionIndex);
          if (marker !== undefined) codes.set(marker, p.errorCode);
        }
      }
    });
    return codes;
  }

  async #connect(): Promise<Connection> {
    if (this.#connection && !this.#connection.closed) return this.#connection;
    this.#connection = await Connection.connect({
      host: this.#endpoint.host,
      port: this.#endpoint.port,
      clientId: `txn-coordinator-${this.#options.brokerId}`,
      connectTimeoutMs: this.#options.requestTimeoutMs,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      security: this.#options.security,
    });
    return this.#connection;
  }
}
