/**
 * BrokerSampler: the part of the timeline the coordinator tree does not hold — partition progress
 * and consumer groups — sampled from the brokers over the Kafka protocol. Each round (default every
 * second) costs one Metadata request, four ListOffsets per partition leader (all its partitions in
 * each: high watermark, log start, last stable offset, log end); per broker one ListGroups, one
 * DescribeGroups for all its groups and one OffsetFetch per group, pipelined on one connection; and
 * one Fetch per leader of `__consumer_offsets` for what was appended there since the last round
 * (the groups' generations, see GroupGenerations). It emits `high-watermark` when a partition's
 * watermark moved since the last round (so at most one per partition per round), and group events
 * from the difference of two descriptions. A state only seen between two rounds is missed: a
 * rebalance shorter than the interval shows as its completion alone (found by its new generation
 * even when the members and assignment came out the same).
 *
 * @example
 * ```ts
 * const sampler = new BrokerSampler({ bootstrap: "127.0.0.1:9092" }, emit);
 * sampler.start(1000);
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { readDescribeGroupsResponse, writeDescribeGroupsRequest } from "../kafka/apis/describe-groups.ts";
import { readListGroupsResponse, writeListGroupsRequest } from "../kafka/apis/list-groups.ts";
import { readOffsetFetchResponse, writeOffsetFetchRequest } from "../kafka/apis/offset-fetch.ts";
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment } from "../kafka/consumer-protocol.ts";
import { Cluster, type ClusterOptions } from "../client/cluster.ts";
import { DEBUGGING_REPLICA_ID, listOffsets } from "../client/list-offsets.ts";
import type { GroupMember, NewEvent } from "./cluster-event.ts";
import { GroupGenerations } from "./group-generations.ts";

/** A group as the last round saw it. */
export interface GroupSnapshot {
  group: string;
  state: string;
  protocolType: string;
  coordinator: number;
  /**
   * The generation of its last completed rebalance, read from the group metadata record its
   * coordinator wrote to `__consumer_offsets` (see GroupGenerations); null when not known.
   */
  generation: number | null;
  members: GroupMember[];
  /** Committed offsets, with lag = high watermark − committed (null until the watermark is sampled). */
  offsets: { topic: string; partition: number; committed: number; lag: number | null }[];
  /** Sum of the known lags. */
  totalLag: number;
}

/** A partition's offsets besides the high watermark (null: its leader could not tell this round). */
export interface PartitionProgress {
  logStart: number | null;
  lastStable: number | null;
  logEnd: number | null;
}

/** Groups followed at most (a bound on memory and on DescribeGroups size); more are ignored. */
export const MAX_GROUPS = 10_000;

const REBALANCING = new Set(["PreparingRebalance", "CompletingRebalance"]);

/** Group events from two descriptions of one group (pure; exported for tests). */
export function diffGroup(before: GroupSnapshot | undefined, after: GroupSnapshot, time: number): NewEvent[] {
  const events: NewEvent[] = [];
  const group = after.group;
  const beforeMembers = new Map((before?.members ?? []).map((m) => [m.memberId, m]));
  const afterMembers = new Map(after.members.map((m) => [m.memberId, m]));
  for (const [id, m] of afterMembers) {
    if (!beforeMembers.has(id)) {
      events.push({
        type: "member-joined",
        time,
        group,
        member: id,
        clientId: m.clientId,
        clientHost: m.clientHost,
      });
    }
  }
  for (const [id, m] of beforeMembers) {
    if (!afterMembers.has(id)) {
      events.push({
        type: "member-left",
        time,
        group,
        member: id,
        clientId: m.clientId,
        clientHost: m.clientHost,
      });
    }
  }
  const memberIds = after.members.map((m) => m.memberId).sort();
  if (REBALANCING.has(after.state) && !REBALANCING.has(before?.state ?? "")) {
    events.push({
      type: "group-rebalance-started",
      time,
      group,
      state: after.state,
      // The generation being rebalanced away from: the next one exists once the rebalance completes.
      generation: after.generation,
      members: memberIds,
    });
  }
  const assignmentOf = (s: GroupSnapshot | undefined) =>
    JSON.stringify((s?.members ?? []).map((m) => [m.memberId, m.partitions]).sort());
  // A new generation while Stable in both rounds: a whole rebalance happened between two samples.
  const newGeneration = before !== undefined && before.generation !== null && after.generation !== null &&
    before.generation !== after.generation;
  if (
    after.state === "Stable" &&
    (before?.state !== "Stable" || assignmentOf(before) !== assignmentOf(after) || newGeneration)
  ) {
    events.push({
      type: "group-rebalance-completed",
      time,
      group,
      generation: after.generation,
      members: memberIds,
      assignment: Object.fromEntries(after.members.map((m) => [m.memberId, m.partitions])),
    });
  }
  return events;
}

export class BrokerSampler {
  readonly cluster: Cluster;
  readonly #emit: (events: NewEvent[]) => void;
  /** "topic\0partition" -> the last high watermark seen. */
  readonly highWatermarks = new Map<string, number>();
  /** "topic\0partition" -> log start, last stable offset and log end as the last round saw them. */
  readonly progress = new Map<string, PartitionProgress>();
  /** group id -> its last description. */
  readonly groups = new Map<string, GroupSnapshot>();
  /** Groups' generations, from their metadata records in __consumer_offsets. */
  readonly generations: GroupGenerations;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #firstGroupRound = true;
  #firstOffsetRound = true;
  #log: (message: string) => void;
  #lastError = "";

  constructor(options: ClusterOptions, emit: (events: NewEvent[]) => void, log?: (message: string) => void) {
    this.cluster = new Cluster({ clientId: "vltava-events", ...options });
    this.generations = new GroupGenerations(this.cluster);
    this.#emit = emit;
    this.#log = log ?? ((line) => console.error(line));
  }

  /** Sample every intervalMs (a round never overlaps the previous one). */
  start(intervalMs: number): void {
    const tick = () => {
      this.#running = this.sample().finally(() => {
        this.#running = undefined;
        if (this.#timer !== undefined) this.#timer = setTimeout(tick, intervalMs);
      });
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** One round: high watermarks, then groups. Failures are logged once per distinct message. */
  async sample(): Promise<void> {
    try {
      await this.cluster.refreshMetadata();
      await this.#sampleHighWatermarks();
      await this.#sampleGroups();
      this.#lastError = "";
    } catch (error) {
      // Brokers come and go (that is what the timeline shows): log, and try again next round.
      const message = (error as Error).message;
      if (message !== this.#lastError) this.#log(`events: sampling brokers failed: ${message}`);
      this.#lastError = message;
    }
  }

  async #sampleHighWatermarks(): Promise<void> {
    const queries = [...this.cluster.topics.values()].flatMap((topic) =>
      topic.partitions.filter((p) => p.leader >= 0).map((p) => ({
        topic: topic.name,
        partition: p.partition,
        spec: "latest" as const,
        leader: p.leader,
      }))
    );
    // The first round is the baseline, even when it finds no partition (a topic created later moves).
    const first = this.#firstOffsetRound;
    this.#firstOffsetRound = false;
    if (queries.length === 0) return;
    // The watermark (which drives events and lag), and for the console the log start, the last
    // stable offset (read_committed "latest") and the log end (the debugging replica id's "latest"):
    // four requests per leader, in parallel, whatever the number of partitions.
    const earliest = queries.map((q) => ({ ...q, spec: "earliest" as const }));
    const [results, starts, stables, ends] = await Promise.all([
      listOffsets(this.cluster, queries),
      listOffsets(this.cluster, earliest),
      listOffsets(this.cluster, queries, -1, 1),
      listOffsets(this.cluster, queries, DEBUGGING_REPLICA_ID),
    ]);
    const valid = (r: { offset: number; error?: unknown }) => (r.error || r.offset < 0 ? null : r.offset);
    this.progress.clear(); // refilled at once below: deleted partitions go, nobody sees it half full
    queries.forEach(({ topic, partition }, i) => {
      this.progress.set(`${topic}\0${partition}`, {
        logStart: valid(starts[i]),
        lastStable: valid(stables[i]),
        logEnd: valid(ends[i]),
      });
    });
    const time = Date.now();
    const events: NewEvent[] = [];
    results.forEach((result, i) => {
      if (result.error || result.offset < 0) return;
      const { topic, partition, leader } = queries[i];
      const key = `${topic}\0${partition}`;
      const before = this.highWatermarks.get(key);
      if (before === result.offset) return;
      this.highWatermarks.set(key, result.offset);
      // The first round is the baseline: the current values, not movements.
      if (!first) {
        events.push({ type: "high-watermark", time, topic, partition, value: result.offset, leader });
      }
    });
    if (events.length > 0) this.#emit(events);
  }

  async #sampleGroups(): Promise<void> {
    const seen = new Set<string>();
    const described: GroupSnapshot[] = [];
    const time = Date.now();
    for (const nodeId of this.cluster.brokers.keys()) {
      let snapshots;
      try {
        snapshots = await this.#describeGroupsOn(nodeId);
      } catch {
        // A broker that is down has no groups to tell; its groups move to another coordinator.
        continue;
      }
      for (const snapshot of snapshots) {
        if (seen.size >= MAX_GROUPS) break;
        seen.add(snapshot.group);
        described.push(snapshot);
      }
    }
    // After the descriptions: a group described Stable has its generation's record committed, so
    // reading __consumer_offsets now finds it (the coordinator commits it before going Stable).
    await this.generations.catchUp();
    const events: NewEvent[] = [];
    for (const snapshot of described) {
      snapshot.generation = this.generations.generation(snapshot.group);
      const before = this.groups.get(snapshot.group);
      this.groups.set(snapshot.group, snapshot);
      // The first round is the baseline: groups' pasts are unknown, nothing is invented for them.
      if (!this.#firstGroupRound) events.push(...diffGroup(before, snapshot, time));
    }
    for (const group of [...this.groups.keys()]) if (!seen.has(group)) this.groups.delete(group);
    this.#firstGroupRound = false;
    if (events.length > 0) this.#emit(events);
  }

  async #describeGroupsOn(nodeId: number): Promise<GroupSnapshot[]> {
    const connection = await this.cluster.connectionTo(nodeId);
    const version = connection.versionFor(ApiKey.ListGroups);
    const listed = await connection.request(
      ApiKey.ListGroups,
      version,
      (w) => writeListGroupsRequest(w, version, {}),
      (r) => readListGroupsResponse(r, version),
    );
    if (listed.errorCode !== 0 || listed.groups.length === 0) return [];
    const groups = listed.groups.slice(0, MAX_GROUPS).map((g) => g.groupId);
    const dv = connection.versionFor(ApiKey.DescribeGroups);
    const described = await connection.request(
      ApiKey.DescribeGroups,
      dv,
      (w) => writeDescribeGroupsRequest(w, dv, { groups }),
      (r) => readDescribeGroupsResponse(r, dv),
    );
    // Committed offsets: one OffsetFetch per group, pipelined on the coordinator's connection.
    const ov = Math.max(2, connection.versionFor(ApiKey.OffsetFetch));
    const committed = await Promise.all(groups.map((groupId) =>
      connection.request(
        ApiKey.OffsetFetch,
        ov,
        (w) => writeOffsetFetchRequest(w, ov, { groupId, topics: null }),
        (r) => readOffsetFetchResponse(r, ov),
      ).catch(() => null) // a group whose offsets cannot be read now shows none this round
    ));
    const offsetsOf = new Map(groups.map((groupId, i) => {
      const offsets = (committed[i]?.topics ?? []).flatMap((t) =>
        t.partitions.filter((p) => p.committedOffset >= 0).map((p) => {
          const hwm = this.highWatermarks.get(`${t.name}\0${p.partitionIndex}`);
          return {
            topic: t.name,
            partition: p.partitionIndex,
            committed: p.committedOffset,
            lag: hwm === undefined ? null : Math.max(0, hwm - p.committedOffset),
          };
        })
      );
      return [groupId, offsets];
    }));
    return described.groups.filter((g) => g.errorCode === 0).map((g) => ({
      offsets: offsetsOf.get(g.groupId) ?? [],
      totalLag: (offsetsOf.get(g.groupId) ?? []).reduce((sum, o) => sum + (o.lag ?? 0), 0),
      group: g.groupId,
      state: g.groupState,
      generation: null, // filled in by #sampleGroups from __consumer_offsets
      protocolType: g.protocolType,
      coordinator: nodeId,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        partitions: memberPartitions(g.protocolType, m.memberAssignment),
      })),
    }));
  }

  /** Stop sampling and close the connections (waits for a round in flight). */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    this.cluster.close();
  }
}

function memberPartitions(protocolType: string, assignment: Uint8Array): string[] {
  if (protocolType !== CONSUMER_PROTOCOL_TYPE || assignment.length === 0) return [];
  try {
    return decodeAssignment(assignment).assignedPartitions.flatMap((tp) =>
      tp.partitions.map((p) => `${tp.topic}-${p}`)
    );
  } catch {
    // An assignment this client cannot decode (another protocol's bytes): shown as none.
    return [];
  }
}
