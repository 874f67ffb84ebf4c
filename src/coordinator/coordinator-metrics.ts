/**
 * The coordinator's Prometheus metrics, under ZooKeeper's own names (those of its Prometheus
 * metrics provider: `znode_count`, `watch_count`, `ephemerals_count`, `num_alive_connections`,
 * `outstanding_requests`, …), so dashboards made for ZooKeeper work on it. Read from the same
 * stats as the `mntr` four-letter word, at scrape time: nothing is kept for them on the request path.
 * promtool's lint warns about the `_count` suffix of some of these gauges; the names are kept as
 * ZooKeeper's on purpose.
 *
 * @example
 * ```ts
 * serveMetrics({ port: 7000, render: () => coordinatorMetricsText(server.stats()) });
 * ```
 */
import { MetricsRegistry } from "../metrics/registry.ts";
import { processMetrics } from "../metrics/process-metrics.ts";
import type { ServerStats } from "./four-letter-words.ts";

/** The exposition text for these stats (plus the process_* metrics). */
export function coordinatorMetricsText(stats: ServerStats): string {
  const registry = new MetricsRegistry();
  registry.collect((out) => {
    const gauge = (name: string, help: string, value: number) => out.gauge(name, help).sample({}, value);
    gauge("znode_count", "Number of znodes.", stats.nodeCount);
    gauge("watch_count", "Number of watches set.", stats.watchCount);
    gauge("ephemerals_count", "Number of ephemeral znodes.", stats.ephemeralsCount);
    gauge(
      "approximate_data_size",
      "Approximate size of znode data and paths, bytes.",
      stats.approximateDataBytes,
    );
    gauge("num_alive_connections", "Number of open client connections.", stats.connections.length);
    gauge("outstanding_requests", "Requests received and not yet answered.", stats.outstanding);
    gauge("global_sessions", "Number of sessions.", stats.sessionCount);
    gauge("packets_received", "Packets received since start.", stats.packetsReceived);
    gauge("packets_sent", "Packets sent since start.", stats.packetsSent);
    gauge("fsynctime_count", "Journal fsyncs since start.", stats.fsyncCount);
    gauge("last_zxid", "Last committed transaction id.", stats.lastZxid);
    gauge(
      "avg_latency",
      "Average request latency since start, ms.",
      stats.latencyCount === 0 ? 0 : stats.totalLatencyMs / stats.latencyCount,
    );
    gauge("max_latency", "Largest request latency since start, ms.", stats.maxLatencyMs);
    gauge(
      "min_latency",
      "Smallest request latency since start, ms.",
      Number.isFinite(stats.minLatencyMs) ? stats.minLatencyMs : 0,
    );
    out.summary(
      "request_latency",
      "Request latency since start, in ms as ZooKeeper reports it (sum and count).",
    )
      .sample({}, stats.totalLatencyMs, "_sum")
      .sample({}, stats.latencyCount, "_count");
  });
  registry.collect(processMetrics);
  return registry.render();
}
