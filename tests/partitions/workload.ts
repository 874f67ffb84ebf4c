/**
 * The partition tests' workload, test side: starts the acks=all producer and the consumers
 * (scripts/producer.ts, scripts/consumer.ts) in the clients' namespace, follows the producer's log
 * while it runs (so the nemesis can see when a partition takes writes again), and on stop collects
 * both logs for the checker. Also the end of a run: a final full read of every partition, and each
 * replica's log bytes after a clean stop.
 */
import type { LogRecord, ProduceEntry, ReadEntry, ReplicaImage } from "./checker.ts";
import type { NetnsCluster } from "./netns-cluster.ts";
import type { RunningProgram } from "../helpers/program.ts";
import { readNdjson } from "./scripts/ndjson-log.ts";
import type { WorkloadProducerConfig } from "./scripts/producer.ts";
import type { WorkloadConsumerConfig } from "./scripts/consumer.ts";
import { segmentBytes } from "../integration/replication-harness.ts";

export interface WorkloadOptions {
  topic: string;
  partitions: number[];
  /** Send loops per partition (default 1). */
  writers?: number;
  /** Consumer processes (default 2). */
  consumers?: number;
  /** Pause between one loop's sends (default 20 ms: enough to time windows, light on 2 cores). */
  intervalMs?: number;
  ackTimeoutMs?: number;
  requestTimeoutMs?: number;
  retries?: number;
}

/** New complete lines of a growing NDJSON file, read from where the last call stopped. */
class NdjsonFollower<T> {
  readonly #path: string;
  #offset = 0;
  #partial = "";
  readonly #decoder = new TextDecoder();

  constructor(path: string) {
    this.#path = path;
  }

  async next(): Promise<T[]> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.#path);
    } catch {
      return []; // not created yet
    }
    try {
      await file.seek(this.#offset, Deno.SeekMode.Start);
      const buffer = new Uint8Array(64 * 1024);
      let text = this.#partial;
      for (;;) {
        const n = await file.read(buffer);
        if (n === null) break;
        text += this.#decoder.decode(buffer.subarray(0, n), { stream: true });
        this.#offset += n;
      }
      const lines = text.split("\n");
      this.#partial = lines.pop() ?? "";
      return lines.filter((line) => line.length > 0).map((line) => JSON.parse(line) as T);
    } finally {
      file.close();
    }
  }
}

export class Workload {
  readonly options: WorkloadOptions;
  readonly #producer: RunningProgram;
  readonly #consumers: RunningProgram[];
  readonly #producerLog: string;
  readonly #consumerLogs: string[];
  readonly #follower: NdjsonFollower<ProduceEntry>;
  /** Partition → when the latest acknowledged attempt began (of the log read so far). */
  readonly #lastAckStart = new Map<number, number>();
  readonly #failures: Extract<ProduceEntry, { type: "fail" }>[] = [];
  stoppedAt = 0;

  private constructor(cluster: NetnsCluster, options: WorkloadOptions, runId: string) {
    this.options = options;
    this.#producerLog = `${cluster.root}/produced-${runId}.ndjson`;
    this.#consumerLogs = Array.from(
      { length: options.consumers ?? 2 },
      (_, i) => `${cluster.root}/read-${runId}-c${i}.ndjson`,
    );
    const requestTimeoutMs = options.requestTimeoutMs ?? 2_000;
    const producerConfig: WorkloadProducerConfig = {
      bootstrap: cluster.bootstrap,
      topic: options.topic,
      partitions: options.partitions,
      writers: options.writers ?? 1,
      log: this.#producerLog,
      intervalMs: options.intervalMs ?? 20,
      ackTimeoutMs: options.ackTimeoutMs ?? 1_000,
      requestTimeoutMs,
      retries: options.retries ?? 2,
    };
    this.#producer = cluster.spawnClient("producer.ts", producerConfig);
    this.#consumers = this.#consumerLogs.map((log, i) => {
      const config: WorkloadConsumerConfig = {
        bootstrap: cluster.bootstrap,
        topic: options.topic,
        partitions: options.partitions,
        name: `c${i}`,
        log,
        requestTimeoutMs,
      };
      return cluster.spawnClient("consumer.ts", config);
    });
    this.#follower = new NdjsonFollower(this.#producerLog);
  }

  /** Start the producer and the consumers; resolves once they run. */
  static async start(cluster: NetnsCluster, options: WorkloadOptions, runId = "run"): Promise<Workload> {
    const workload = new Workload(cluster, options, runId);
    await workload.#producer.waitForOutput(/producing/, cluster.timeoutMs);
    await Promise.all(workload.#consumers.map((c) => c.waitForOutput(/consuming/, cluster.timeoutMs)));
    return workload;
  }

  /**
   * Partitions (of `partitions`) that acknowledged a write whose attempt began after `since`: a
   * write already in flight at `since` proves nothing about what happened after it.
   */
  async writableSince(since: number, partitions = this.options.partitions): Promise<number[]> {
    await this.#follow();
    return partitions.filter((p) => (this.#lastAckStart.get(p) ?? 0) > since);
  }

  /** The producer's failed attempts that began after `since`, counted by partition and error. */
  async failuresSince(since: number): Promise<Map<string, number>> {
    await this.#follow();
    const counts = new Map<string, number>();
    for (const failure of this.#failures) {
      if (failure.start <= since) continue;
      const key = `partition ${failure.partition}: ${failure.error}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  async #follow(): Promise<void> {
    for (const entry of await this.#follower.next()) {
      if (entry.type === "ok") {
        this.#lastAckStart.set(
          entry.partition,
          Math.max(this.#lastAckStart.get(entry.partition) ?? 0, entry.start),
        );
      } else {
        this.#failures.push(entry);
      }
    }
  }

  /** Stop the producer, then (after `settleMs` to read the last writes) the consumers; returns both logs. */
  async stop(settleMs = 2_000): Promise<{ produced: ProduceEntry[]; reads: ReadEntry[] }> {
    this.stoppedAt = Date.now();
    await this.#producer.stop("SIGTERM", 15_000);
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    await Promise.all(this.#consumers.map((c) => c.stop("SIGTERM", 10_000)));
    const produced = await readNdjson<ProduceEntry>(this.#producerLog);
    const reads =
      (await Promise.all(this.#consumerLogs.map((log) => readNdjson<ReadEntry & { type?: string }>(log))))
        .flat().filter((entry) => entry.type === undefined);
    return { produced, reads };
  }

  /** What the scripts printed (errors), for failure messages. */
  output(): string {
    return [this.#producer, ...this.#consumers].map((p) => p.stderr.trim()).filter((s) => s.length > 0).join(
      "\n",
    );
  }
}

/** Read every partition from the beginning to its high watermark, through the agent. */
export async function finalRead(
  cluster: NetnsCluster,
  topic: string,
  partitions: number[],
): Promise<Map<number, LogRecord[]>> {
  const result = new Map<number, LogRecord[]>();
  for (const partition of partitions) {
    const out = `${cluster.root}/final-${topic}-${partition}.ndjson`;
    await Deno.remove(out).catch(() => {});
    await cluster.agent.call("readAll", { topic, partition, out }, 120_000);
    result.set(partition, await readNdjson<LogRecord>(out));
  }
  return result;
}

/**
 * Each replica's `.log` bytes (segments in offset order), summarised by length and SHA-256; of
 * every broker, or only of `brokers`.
 */
export async function replicaImages(
  cluster: NetnsCluster,
  topic: string,
  partitions: number[],
  brokers = [...cluster.brokers.keys()],
): Promise<ReplicaImage[]> {
  const images: ReplicaImage[] = [];
  for (const broker of brokers.map((id) => cluster.broker(id))) {
    for (const partition of partitions) {
      let bytes: Uint8Array;
      try {
        bytes = await segmentBytes(broker.dataDir, topic, partition);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue; // not a replica of this partition
        throw error;
      }
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
      images.push({
        partition,
        broker: broker.id,
        bytes: bytes.length,
        digest: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
      });
    }
  }
  return images;
}

interface DescribedPartition {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  highWatermark: number;
  logEndOffset: number;
}

/** Create a topic (replication factor 3) through the agent and wait until it is led and in sync. */
export async function createTopic(
  cluster: NetnsCluster,
  name: string,
  partitions: number,
  configs: Record<string, string>,
): Promise<void> {
  await cluster.agent.call("createTopic", { name, partitions, replicationFactor: 3, configs });
  await waitForQuiet(cluster, name);
}

/**
 * Until every partition has a leader and nothing unreplicated, with its whole replica set in sync
 * (or, with `fullIsr` false, for a cluster that lost a broker, whatever ISR it has).
 */
export async function waitForQuiet(
  cluster: NetnsCluster,
  topic: string,
  timeoutMs = 60_000,
  fullIsr = true,
): Promise<void> {
  let last: DescribedPartition[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      last =
        (await cluster.agent.call<{ partitions: DescribedPartition[] }>("describe", { topic })).partitions;
      if (
        last.every((p) =>
          p.leader >= 0 && (!fullIsr || p.isr.length === p.replicas.length) && p.highWatermark >= 0 &&
          p.highWatermark === p.logEndOffset
        )
      ) return;
    } catch { /* a broker still moving: ask again */ }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `Partitions of ${topic} not quiet after ${timeoutMs} ms: ${JSON.stringify(last)}\n${cluster.logs(40)}`,
  );
}

/** SIGTERM every running broker, one after another (controlled shutdown), and wait for each to exit. */
export async function stopBrokersCleanly(cluster: NetnsCluster): Promise<void> {
  for (const broker of cluster.brokers.values()) {
    if (!broker.program.exited) await broker.program.stop("SIGTERM", 30_000);
  }
}
