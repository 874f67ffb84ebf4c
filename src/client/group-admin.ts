/**
 * GroupAdmin: list, describe (members, assignments, committed offsets, log end and lag), reset
 * the offsets of and delete consumer groups. Group requests go to each group's coordinator;
 * ListGroups goes to every broker (each knows only the groups it coordinates).
 *
 * @example
 * ```ts
 * const admin = new GroupAdmin({ bootstrap: "127.0.0.1:9092" });
 * const group = await admin.describeGroup("billing");
 * console.log(group.state, group.totalLag);
 * admin.close();
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { readListGroupsResponse, writeListGroupsRequest } from "../kafka/apis/list-groups.ts";
import { readDescribeGroupsResponse, writeDescribeGroupsRequest } from "../kafka/apis/describe-groups.ts";
import { readOffsetFetchResponse, writeOffsetFetchRequest } from "../kafka/apis/offset-fetch.ts";
import { readOffsetCommitResponse, writeOffsetCommitRequest } from "../kafka/apis/offset-commit.ts";
import { readDeleteGroupsResponse, writeDeleteGroupsRequest } from "../kafka/apis/delete-groups.ts";
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment } from "../kafka/consumer-protocol.ts";
import { Cluster, type ClusterOptions } from "./cluster.ts";
import { GroupCoordinatorLink } from "./group-coordinator-link.ts";
import { listOffsets, type OffsetSpec } from "./list-offsets.ts";
import { partitionKey } from "./partition-key.ts";

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
  coordinator: number;
}

export interface GroupMemberDescription {
  memberId: string;
  clientId: string;
  clientHost: string;
  partitions: { topic: string; partition: number }[];
}

export interface GroupPartitionOffsets {
  topic: string;
  partition: number;
  /** -1 when nothing is committed. */
  committedOffset: number;
  /** -1 when unknown. */
  logEndOffset: number;
  /** logEnd - committed (logEnd - 0 when nothing is committed); -1 when unknown. */
  lag: number;
  /** Member id of the current owner, or null. */
  memberId: string | null;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  coordinator: number;
  members: GroupMemberDescription[];
  offsets: GroupPartitionOffsets[];
  totalLag: number;
}

/** Where reset-offsets moves a group. */
export type ResetSpec =
  | { kind: "earliest" }
  | { kind: "latest" }
  | { kind: "offset"; offset: number }
  | { kind: "time"; timestampMs: number }
  | { kind: "shift"; by: number };

export interface PlannedReset {
  topic: string;
  partition: number;
  /** -1 when nothing was committed. */
  currentOffset: number;
  newOffset: number;
}

/** The group has members: offsets cannot be reset under them. */
export class GroupNotEmptyError extends Error {
  constructor(readonly groupId: string, readonly state: string, readonly memberCount: number) {
    super(
      `Group "${groupId}" has ${memberCount} member(s) (state ${state}): stop its consumers before resetting offsets`,
    );
  }
}

export class GroupAdmin {
  readonly cluster: Cluster;

  constructor(options: ClusterOptions) {
    this.cluster = new Cluster(options);
  }

  /** Every group of every broker. */
  async listGroups(): Promise<GroupListing[]> {
    await this.cluster.refreshMetadata();
    const found: GroupListing[] = [];
    for (const nodeId of this.cluster.brokers.keys()) {
      const connection = await this.cluster.connectionTo(nodeId);
      const version = connection.versionFor(ApiKey.ListGroups);
      const response = await connection.request(
        ApiKey.ListGroups,
        version,
        (w) => writeListGroupsRequest(w, version, {}),
        (r) => readListGroupsResponse(r, version),
      );
      if (response.errorCode) throw new KafkaError(response.errorCode, `listing groups on broker ${nodeId}`);
      if (response.groups.length === 0) continue;
      const dv = connection.versionFor(ApiKey.DescribeGroups);
      const described = await connection.request(
        ApiKey.DescribeGroups,
        dv,
        (w) => writeDescribeGroupsRequest(w, dv, { groups: response.groups.map((g) => g.groupId) }),
        (r) => readDescribeGroupsResponse(r, dv),
      );
      const states = new Map(described.groups.map((g) => [g.groupId, g.groupState]));
      for (const group of response.groups) {
        found.push({ ...group, state: states.get(group.groupId) ?? "Unknown", coordinator: nodeId });
      }
    }
    return found.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** State, members with their partitions, and committed offset / log end / lag per partition. */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    return await this.#withLink(groupId, async (link) => {
      const group = await this.#describe(link, groupId);
      if (!group) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "empty DescribeGroups answer");
      const members = group.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        partitions: group.protocolType === CONSUMER_PROTOCOL_TYPE && m.memberAssignment.length > 0
          ? decodeAssignment(m.memberAssignment).assignedPartitions.flatMap((tp) =>
            tp.partitions.map((partition) => ({ topic: tp.topic, partition }))
          )
          : [],
      }));
      const committed = await this.#committed(link, groupId);
      const owners = new Map<string, string>();
      for (const m of members) {
        for (const p of m.partitions) owners.set(partitionKey(p.topic, p.partition), m.memberId);
      }
      const keys = new Map<string, { topic: string; partition: number }>();
      for (const c of committed) {
        keys.set(partitionKey(c.topic, c.partition), { topic: c.topic, partition: c.partition });
      }
      for (const m of members) for (const p of m.partitions) keys.set(partitionKey(p.topic, p.partition), p);
      const list = [...keys.values()].sort((a, b) =>
        a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition
      );
      const ends = await this.#offsets(list, "latest");
      const committedAt = offsetsByPartition(committed);
      let totalLag = 0;
      const offsets = list.map((tp, i): GroupPartitionOffsets => {
        const committedOffset = committedAt.get(partitionKey(tp.topic, tp.partition)) ?? -1;
        const logEndOffset = ends[i];
        const lag = logEndOffset < 0 ? -1 : Math.max(0, logEndOffset - Math.max(committedOffset, 0));
        if (lag > 0) totalLag += lag;
        return {
          ...tp,
          committedOffset,
          logEndOffset,
          lag,
          memberId: owners.get(partitionKey(tp.topic, tp.partition)) ?? null,
        };
      });
      return {
        groupId,
        state: group.groupState,
        protocolType: group.protocolType,
        protocol: group.protocolData,
        coordinator: link.nodeId,
        members,
        offsets,
        totalLag,
      };
    });
  }

  /**
   * Move the committed offsets of `topic` (all its partitions) for an empty group. Offsets are
   * clamped to [log start, log end] as Kafka's tool does. With dryRun nothing is written.
   * GroupNotEmptyError while the group has members.
   */
  async resetOffsets(
    groupId: string,
    topic: string,
    spec: ResetSpec,
    dryRun: boolean,
  ): Promise<PlannedReset[]> {
    return await this.#withLink(groupId, async (link) => {
      const group = await this.#describe(link, groupId);
      if (group && group.members.length > 0) {
        throw new GroupNotEmptyError(groupId, group.groupState, group.members.length);
      }
      await this.cluster.refreshMetadata([topic]);
      const partitions = this.cluster.topic(topic).partitions.map((p) => ({ topic, partition: p.partition }));
      const committedAt = offsetsByPartition(await this.#committed(link, groupId));
      const starts = await this.#offsets(partitions, "earliest");
      const ends = await this.#offsets(partitions, "latest");
      const times = spec.kind === "time"
        ? await this.#offsets(partitions, { timestamp: spec.timestampMs })
        : [];
      const plan = partitions.map((tp, i): PlannedReset => {
        const current = committedAt.get(partitionKey(topic, tp.partition)) ?? -1;
        let target: number;
        switch (spec.kind) {
          case "earliest":
            target = starts[i];
            break;
          case "latest":
            target = ends[i];
            break;
          case "offset":
            target = spec.offset;
            break;
          case "time":
            target = times[i] < 0 ? ends[i] : times[i];
            break;
          case "shift":
            target = (current >= 0 ? current : starts[i]) + spec.by;
            break;
        }
        return { ...tp, currentOffset: current, newOffset: Math.min(Math.max(target, starts[i]), ends[i]) };
      });
      if (dryRun) return plan;
      const response = await link.request(
        ApiKey.OffsetCommit,
        (w, v) =>
          writeOffsetCommitRequest(w, v, {
            groupId,
            generationId: -1,
            memberId: "",
            retentionTimeMs: -1,
            topics: [{
              name: topic,
              partitions: plan.map((p) => ({
                partitionIndex: p.partition,
                committedOffset: p.newOffset,
                committedMetadata: "",
              })),
            }],
          }),
        readOffsetCommitResponse,
      );
      const failed = response.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== 0);
      if (failed) {
        if (
          failed.errorCode === ErrorCode.UNKNOWN_MEMBER_ID ||
          failed.errorCode === ErrorCode.ILLEGAL_GENERATION
        ) {
          throw new GroupNotEmptyError(groupId, "active", 1);
        }
        throw new KafkaError(failed.errorCode, `resetting offsets of group "${groupId}"`);
      }
      return plan;
    });
  }

  /** Delete an empty group and its offsets. */
  async deleteGroup(groupId: string): Promise<void> {
    await this.#withLink(groupId, async (link) => {
      const response = await link.request(
        ApiKey.DeleteGroups,
        (w, v) => writeDeleteGroupsRequest(w, v, { groupsNames: [groupId] }),
        readDeleteGroupsResponse,
      );
      const code = response.results[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      if (code) throw new KafkaError(code, `deleting group "${groupId}"`);
    });
  }

  close(): void {
    this.cluster.close();
  }

  async #withLink<T>(groupId: string, body: (link: GroupCoordinatorLink) => Promise<T>): Promise<T> {
    const link = new GroupCoordinatorLink(this.cluster, groupId);
    try {
      for (let attempt = 0;; attempt++) {
        try {
          return await body(link);
        } catch (error) {
          const code = error instanceof KafkaError ? error.code : -1;
          const moved = code === ErrorCode.NOT_COORDINATOR ||
            code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ||
            code === ErrorCode.COORDINATOR_NOT_AVAILABLE;
          if (!moved || attempt >= 10) throw error;
          link.reset();
          await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
        }
      }
    } finally {
      link.close();
    }
  }

  /** The group as its coordinator describes it (undefined for an empty answer); throws its error. */
  async #describe(link: GroupCoordinatorLink, groupId: string) {
    const described = await link.request(
      ApiKey.DescribeGroups,
      (w, v) => writeDescribeGroupsRequest(w, v, { groups: [groupId] }),
      readDescribeGroupsResponse,
    );
    const group = described.groups[0];
    if (group?.errorCode) throw new KafkaError(group.errorCode, `describing group "${groupId}"`);
    return group;
  }

  /** Every committed offset of the group. */
  async #committed(
    link: GroupCoordinatorLink,
    groupId: string,
  ): Promise<{ topic: string; partition: number; offset: number }[]> {
    const response = await link.request(
      ApiKey.OffsetFetch,
      (w, v) => writeOffsetFetchRequest(w, v, { groupId, topics: null }),
      readOffsetFetchResponse,
    );
    if (response.errorCode) throw new KafkaError(response.errorCode, `fetching offsets of "${groupId}"`);
    return response.topics.flatMap((t) =>
      t.partitions.filter((p) => p.committedOffset >= 0).map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        offset: p.committedOffset,
      }))
    );
  }

  async #offsets(partitions: { topic: string; partition: number }[], spec: OffsetSpec): Promise<number[]> {
    if (partitions.length === 0) return [];
    // Stale metadata only costs a retry: listOffsets reports what it could not reach.
    await this.cluster.refreshMetadata([...new Set(partitions.map((p) => p.topic))]).catch(() => {});
    const results = await listOffsets(this.cluster, partitions.map((p) => ({ ...p, spec })));
    return results.map((r) => (r.error ? -1 : r.offset));
  }
}

/** Committed offsets by partitionKey: one lookup per partition instead of a scan of the list. */
function offsetsByPartition(
  committed: readonly { topic: string; partition: number; offset: number }[],
): Map<string, number> {
  return new Map(committed.map((c) => [partitionKey(c.topic, c.partition), c.offset]));
}
