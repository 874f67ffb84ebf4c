/**
 * BrokerMetrics: the broker's Prometheus metrics. Counters are bumped where the state changes —
 * as a PartitionObserver (ISR shrinks and expands, leaderships won, records and bytes appended),
 * by the request wrapper (durations per API), by the fetch handler (bytes out) and by the broker's
 * SASL sessions (failed logins) — each a number
 * addition on a child looked up by one string. Everything that already lives in the broker
 * (partition counts by role, under-replicated and under-min-ISR partitions, high watermarks and log
 * ends, purgatory sizes, controller status, group lag) is read at scrape time, so keeping it costs
 * the hot path nothing. Label sets are bounded by what the broker hosts, and capped by the registry.
 *
 * @example
 * ```ts
 * const metrics = new BrokerMetrics(context);
 * replicas.addObserver(metrics);
 * serveMetrics({ port: 9404, render: () => metrics.render() });
 * ```
 */
import { apiName } from "../../kafka/api-keys.ts";
import type { LogAppendInfo } from "../../storage/partition-log.ts";
import type { Controller } from "../controller/controller.ts";
import type { GroupService } from "../group-service.ts";
import type { MetadataCache } from "../metadata-cache.ts";
import type { Purgatory } from "../purgatory.ts";
import type { ReplicaManager } from "../replica-manager.ts";
import type { RequestHandler } from "../connection.ts";
import type { IsrChangeReason, Partition, PartitionObserver } from "../partition/partition.ts";
import { processMetrics } from "../../metrics/process-metrics.ts";
import { type Counter, type Exposition, type Histogram, MetricsRegistry } from "../../metrics/registry.ts";

/** Group lag series exposed at most (groups × partitions), a bound on scrape size. */
export const MAX_LAG_SERIES = 10_000;

/**
 * What the metrics read at scrape time: the parts of BrokerContext they need, named here
 * rather than picked from it, so the context (which holds the metrics) and the metrics do
 * not import each other.
 */
export interface MetricsSources {
  replicas: ReplicaManager;
  purgatory: Purgatory;
  groups: GroupService;
  metadata: MetadataCache;
  controller: () => Controller | null;
  /** Open client connections by listener name (TLS handshakes in progress included). */
  connections: () => ReadonlyMap<string, number>;
}

export class BrokerMetrics implements PartitionObserver {
  readonly registry = new MetricsRegistry();
  readonly #sources: MetricsSources;
  readonly #isrShrinks: Counter;
  readonly #isrExpands: Counter;
  readonly #leaderElections: Counter;
  readonly #recordsIn: Counter;
  readonly #bytesIn: Counter;
  readonly #bytesOut: Counter;
  readonly #requestDuration: Histogram;
  readonly #failedAuthentications: Counter;

  constructor(sources: MetricsSources) {
    this.#sources = sources;
    const r = this.registry;
    this.#isrShrinks = r.counter("vltava_isr_shrinks_total", "ISR shrinks made by this broker as leader.");
    this.#isrExpands = r.counter("vltava_isr_expands_total", "ISR expansions made by this broker as leader.");
    this.#leaderElections = r.counter(
      "vltava_leader_elections_total",
      "Partitions this broker became leader of (summed over brokers: the cluster's leader elections).",
    );
    this.#recordsIn = r.counter("vltava_records_in_total", "Records appended by producers.", ["topic"]);
    this.#bytesIn = r.counter("vltava_bytes_in_total", "Record batch bytes appended by producers.", [
      "topic",
    ]);
    this.#bytesOut = r.counter(
      "vltava_bytes_out_total",
      "Record batch bytes returned to consumer fetches (replica fetches not counted).",
      ["topic"],
    );
    this.#requestDuration = r.histogram(
      "vltava_request_duration_seconds",
      "Time from a request's arrival to its response being ready (long-poll waits included).",
      ["api"],
    );
    this.#failedAuthentications = r.counter(
      "vltava_failed_authentications_total",
      "SASL logins refused (wrong password, unknown user, mechanism not enabled), by listener.",
      ["listener"],
    );
    r.collect((out) => this.#collectPartitions(out));
    r.collect((out) => this.#collectConnections(out));
    r.collect((out) => this.#collectController(out));
    r.collect((out) => this.#collectGroups(out));
    r.collect(processMetrics);
  }

  /** The exposition text. */
  render(): string {
    return this.registry.render();
  }

  // --- PartitionObserver --------------------------------------------------------------------

  leadershipChanged(_partition: Partition, isLeader: boolean): void {
    if (isLeader) this.#leaderElections.inc();
  }

  isrChanged(
    _partition: Partition,
    _before: readonly number[],
    _after: readonly number[],
    reason: IsrChangeReason,
  ) {
    if (reason === "shrink") this.#isrShrinks.inc();
    else if (reason === "expand") this.#isrExpands.inc();
  }

  highWatermarkAdvanced(): void {
    // Read at scrape time from the partition itself.
  }

  appended(partition: Partition, info: LogAppendInfo): void {
    this.#recordsIn.labels(partition.topic).inc(info.recordCount);
    this.#bytesIn.labels(partition.topic).inc(info.sizeBytes);
  }

  // --- hooks --------------------------------------------------------------------------------

  /** Bytes of one topic returned to a consumer fetch. */
  bytesOut(topic: string, sizeBytes: number): void {
    this.#bytesOut.labels(topic).inc(sizeBytes);
  }

  /** A SASL login refused on `listener`. */
  failedAuthentication(listener: string): void {
    this.#failedAuthentications.labels(listener).inc();
  }

  /** Wrap a request handler so that its duration is observed under its API's name. */
  instrument(apiKey: number, handler: RequestHandler): RequestHandler {
    // Looked up at the first request, so APIs nobody calls add no series.
    let child: ReturnType<Histogram["labels"]> | undefined;
    return async (request) => {
      const startedMs = performance.now();
      try {
        return await handler(request);
      } finally {
        child ??= this.#requestDuration.labels(apiName(apiKey));
        child.observe((performance.now() - startedMs) / 1000);
      }
    };
  }

  // --- scrape-time collectors -----------------------------------------------------------------

  #collectPartitions(out: Exposition): void {
    let leaders = 0;
    let followers = 0;
    let underReplicated = 0;
    let underMinIsr = 0;
    const hwm = out.gauge("vltava_partition_high_watermark", "High watermark of a hosted partition.");
    const leo = out.gauge("vltava_partition_log_end_offset", "Log end offset of a hosted partition.");
    const isrSize = out.gauge("vltava_partition_isr_size", "ISR size of a partition this broker leads.");
    for (const partition of this.#sources.replicas.all()) {
      if (partition.offline !== null) continue;
      const labels = { topic: partition.topic, partition: partition.partition };
      hwm.sample(labels, partition.highWatermark);
      leo.sample(labels, partition.logEndOffset);
      if (!partition.isLeader) {
        followers++;
        continue;
      }
      leaders++;
      isrSize.sample(labels, partition.isr.length);
      if (partition.isr.length < partition.replicas.length) underReplicated++;
      if (partition.isr.length < partition.minInsyncReplicas) underMinIsr++;
    }
    out.gauge("vltava_partitions", "Hosted partitions by role.")
      .sample({ role: "leader" }, leaders)
      .sample({ role: "follower" }, followers);
    out.gauge(
      "vltava_under_replicated_partitions",
      "Led partitions whose ISR is smaller than the replica set.",
    )
      .sample({}, underReplicated);
    out.gauge("vltava_under_min_isr_partitions", "Led partitions whose ISR is below min.insync.replicas.")
      .sample({}, underMinIsr);
    const purgatory = out.gauge(
      "vltava_purgatory_size",
      "Parked requests by what they wait for: session (fetches in a fetch session), log (other follower fetches), " +
        "hwm (other consumer fetches, acks=all produces).",
    );
    const kinds = this.#sources.purgatory.sizeByKind();
    for (const kind of ["session", "log", "hwm"]) purgatory.sample({ kind }, kinds.get(kind) ?? 0);
  }

  #collectConnections(out: Exposition): void {
    const open = out.gauge(
      "vltava_connections",
      "Open client connections by listener (TLS handshakes in progress included).",
    );
    for (const [listener, count] of this.#sources.connections()) open.sample({ listener }, count);
  }

  #collectController(out: Exposition): void {
    const controller = this.#sources.controller();
    out.gauge("vltava_active_controller", "1 when this broker is the active controller.")
      .sample({}, controller ? 1 : 0);
    if (controller) {
      out.gauge("vltava_controller_epoch", "Epoch of the active controller (on the controller).")
        .sample({}, controller.epoch);
    }
    let offline = 0;
    if (controller) {
      for (const topic of this.#sources.metadata.topics.values()) {
        for (const partition of topic.partitions) {
          if (partition?.state && partition.state.leader < 0) offline++;
        }
      }
    }
    out.gauge(
      "vltava_offline_partitions",
      "Partitions without a leader (counted on the controller; 0 elsewhere).",
    )
      .sample({}, offline);
  }

  #collectGroups(out: Exposition): void {
    const coordinator = this.#sources.groups.coordinator;
    out.counter("vltava_group_rebalances_total", "Group join phases completed by this group coordinator.")
      .sample({}, coordinator.rebalancesCompleted);
    const lag = out.gauge(
      "vltava_consumer_group_lag",
      "High watermark minus committed offset, per group partition (on the group's coordinator; partitions hosted here).",
    );
    let series = 0;
    for (const group of coordinator.listGroups().groups) {
      const committed = coordinator.fetchOffsets({ groupId: group.groupId, topics: null });
      for (const topic of committed.topics) {
        for (const p of topic.partitions) {
          if (p.committedOffset < 0 || series >= MAX_LAG_SERIES) continue;
          const replica = this.#sources.replicas.get(topic.name, p.partitionIndex);
          if (!replica || replica.offline !== null) continue;
          series++;
          lag.sample(
            { group: group.groupId, topic: topic.name, partition: p.partitionIndex },
            Math.max(0, replica.highWatermark - p.committedOffset),
          );
        }
      }
    }
  }
}
