/**
 * The console's JSON views, built from a Timeline's state: the cluster (brokers live or dead,
 * the controller and its epoch, partitions led), every topic's partitions (leader, epoch, replicas,
 * ISR with out-of-sync replicas marked, log start, high watermark, last stable offset, log end and the
 * gap between end and watermark), and consumer groups (state, members and
 * their partitions) as the last sample saw them. Pure functions of the state: the HTTP layer only
 * serialises them. These are the shapes `GET /api/cluster|topics|groups` return.
 *
 * @example
 * ```ts
 * const body = JSON.stringify(clusterView(timeline));
 * ```
 */
import type { Timeline } from "../events/timeline.ts";

export interface BrokerView {
  id: number;
  host: string;
  port: number;
  live: boolean;
  controller: boolean;
  partitionsLed: number;
  /** Its Prometheus /metrics URL when known (vltava dev), else null. */
  metricsUrl: string | null;
}

export interface ClusterView {
  controller: number | null;
  controllerEpoch: number | null;
  brokers: BrokerView[];
  watchMode: string;
  /** The coordinator's /metrics URL when known (vltava dev's own coordinator), else null. */
  coordinatorMetricsUrl: string | null;
}

export interface PartitionView {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** Replicas not in the ISR. */
  outOfSync: number[];
  /** From the last broker sample; null before one (or when its leader could not tell). */
  highWatermark: number | null;
  /** First offset still in the log (retention and deletes move it). */
  logStart: number | null;
  /** Last stable offset: read_committed consumers stop here (below an open transaction). */
  lastStable: number | null;
  /** Next offset the leader will write. */
  logEnd: number | null;
  /** logEnd − highWatermark: records written but not yet on every ISR member. */
  unreplicated: number | null;
}

export interface TopicView {
  name: string;
  partitions: PartitionView[];
}

/** Brokers ever seen: live ones from the tree, plus those that left (kept, marked dead). */
export function clusterView(
  timeline: Timeline,
  known: Map<number, { host: string; port: number }>,
  metrics?: { brokers: Map<number, string>; coordinator?: string },
): ClusterView {
  const model = timeline.model;
  for (const [id, endpoint] of model.brokers) known.set(id, { host: endpoint.host, port: endpoint.port });
  const led = new Map<number, number>();
  for (const { state } of model.states()) led.set(state.leader, (led.get(state.leader) ?? 0) + 1);
  const controller = model.controller;
  return {
    controller: controller?.brokerId ?? null,
    controllerEpoch: controller?.epoch ?? null,
    watchMode: timeline.watchMode,
    coordinatorMetricsUrl: metrics?.coordinator ?? null,
    brokers: [...known.entries()].sort(([a], [b]) => a - b).map(([id, endpoint]) => ({
      id,
      host: endpoint.host,
      port: endpoint.port,
      live: model.brokers.has(id),
      controller: controller?.brokerId === id,
      partitionsLed: led.get(id) ?? 0,
      metricsUrl: metrics?.brokers.get(id) ?? null,
    })),
  };
}

/** Topics (those `wanted` keeps; default all) in name order, with every partition's view. */
export function topicsView(timeline: Timeline, wanted: (name: string) => boolean = () => true): TopicView[] {
  const model = timeline.model;
  const hwm = timeline.sampler?.highWatermarks;
  const progress = timeline.sampler?.progress;
  return [...model.topics.entries()].filter(([name]) => wanted(name)).sort((
    [a],
    [b],
  ) => (a < b ? -1 : a > b ? 1 : 0)).map(
    ([name, assignment]) => ({
      name,
      partitions: assignment.map((replicas, partition) => {
        const state = model.state(name, partition);
        const isr = state?.isr ?? [];
        const id = `${name}\0${partition}`;
        const highWatermark = hwm?.get(id) ?? null;
        const offsets = progress?.get(id);
        const logEnd = offsets?.logEnd ?? null;
        return {
          partition,
          leader: state?.leader ?? -1,
          leaderEpoch: state?.leaderEpoch ?? -1,
          replicas,
          isr,
          outOfSync: replicas.filter((id) => !isr.includes(id)),
          highWatermark,
          logStart: offsets?.logStart ?? null,
          lastStable: offsets?.lastStable ?? null,
          logEnd,
          unreplicated: logEnd !== null && highWatermark !== null
            ? Math.max(0, logEnd - highWatermark)
            : null,
        };
      }),
    }),
  );
}

export function groupsView(timeline: Timeline) {
  const groups = timeline.sampler?.groups ?? new Map();
  return [...groups.values()].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
}
