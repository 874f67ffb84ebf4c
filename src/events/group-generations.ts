/**
 * GroupGenerations: each consumer group's generation, for the timeline and the console.
 * DescribeGroups does not carry it, but the group's coordinator writes the group's metadata
 * record (GroupMetadataKey v2 → GroupMetadataValue, whose `generation` field it is) to
 * `__consumer_offsets` at the end of every rebalance, and acknowledges the leader's SyncGroup —
 * so moves the group to Stable — only once that record is committed. Kafka's own tooling reads the
 * generation from the same records (its group metadata formatter for the console consumer). So
 * this reader follows `__consumer_offsets` as a plain consumer would: each `catchUp()` sends one
 * Fetch per leader of the topic's partitions, from where the last call stopped, and keeps only the
 * group metadata records (offset commits are skipped without decoding their values). Cost follows
 * what was written since the last call, not the number of groups or partitions; a first call on
 * a long-lived cluster reads the compacted topic from its start, at most MAX_FETCHES_PER_CATCH_UP
 * fetches per leader per call, and continues in later calls.
 *
 * Called after DescribeGroups in the same round, a group seen Stable has its new generation here:
 * its record was committed before the state changed. `generation(group)` is null when the
 * group's partition could not be read up to its high watermark in the last call (its leader was
 * down or the backlog not read yet): unknown, never a stale number passed off as current.
 *
 * @example
 * ```ts
 * const generations = new GroupGenerations(cluster);
 * await generations.catchUp(); // after cluster.refreshMetadata()
 * generations.generation("my-group"); // e.g. 3
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { ErrorCode } from "../kafka/errors.ts";
import { readFetchResponse, writeFetchRequest } from "../kafka/apis/fetch.ts";
import { WireError } from "../wire/wire-error.ts";
import type { Cluster } from "../client/cluster.ts";
import { decodeRecords } from "../client/record-decoder.ts";
import { groupPartition, OFFSETS_TOPIC } from "../broker/groups/group-partition.ts";
import { decodeGroupValue, decodeOffsetsTopicKey } from "../broker/groups/offsets-records.ts";

/** Fetches per leader in one catchUp() (each at most FETCH_MAX_BYTES): the bound on one round's work. */
export const MAX_FETCHES_PER_CATCH_UP = 8;
/** Upper bound of one Fetch response, and of one partition in it. */
export const FETCH_MAX_BYTES = 4 * 1024 * 1024;
export const PARTITION_MAX_BYTES = 1024 * 1024;
/** Groups remembered at most (compaction keeps one metadata record per live group). */
export const MAX_REMEMBERED_GROUPS = 100_000;

export class GroupGenerations {
  readonly #cluster: Cluster;
  /** Partition of `__consumer_offsets` -> next offset to read. */
  readonly #next = new Map<number, number>();
  /** Group id -> generation of its latest metadata record (deleted by its tombstone). */
  readonly #generations = new Map<string, number>();
  /** Partitions read up to their high watermark in the last catchUp(). */
  #current = new Set<number>();
  #partitionCount = 0;
  /** Records of `__consumer_offsets` that did not decode (skipped, as the coordinator's loader does). */
  skipped = 0;

  constructor(cluster: Cluster) {
    this.#cluster = cluster;
  }

  /**
   * The group's generation as of its last completed rebalance, or null when unknown (no metadata
   * record yet, or its partition not read up to date in the last catchUp()).
   */
  generation(groupId: string): number | null {
    if (this.#partitionCount === 0) return null;
    if (!this.#current.has(groupPartition(groupId, this.#partitionCount))) return null;
    return this.#generations.get(groupId) ?? null;
  }

  /** Read what was appended to `__consumer_offsets` since the last call (metadata must be fresh). */
  async catchUp(): Promise<void> {
    const topic = this.#cluster.topics.get(OFFSETS_TOPIC);
    const current = new Set<number>();
    if (topic === undefined) {
      this.#current = current;
      return;
    }
    this.#partitionCount = topic.partitions.length;
    const byLeader = new Map<number, number[]>();
    for (const p of topic.partitions) {
      if (p.leader < 0) continue;
      let list = byLeader.get(p.leader);
      if (!list) byLeader.set(p.leader, list = []);
      list.push(p.partition);
    }
    await Promise.all(
      [...byLeader].map(([leader, partitions]) => this.#readFrom(leader, partitions, current)),
    );
    this.#current = current;
  }

  /** Fetch `partitions` from `leader` until each is at its high watermark (or the bound is reached). */
  async #readFrom(leader: number, partitions: number[], current: Set<number>): Promise<void> {
    let behind = partitions;
    for (let round = 0; round < MAX_FETCHES_PER_CATCH_UP && behind.length > 0; round++) {
      let response;
      try {
        const connection = await this.#cluster.connectionTo(leader);
        const version = connection.versionFor(ApiKey.Fetch);
        const request = {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: FETCH_MAX_BYTES,
          isolationLevel: 0,
          topics: [{
            topic: OFFSETS_TOPIC,
            partitions: behind.map((partition) => ({
              partition,
              fetchOffset: this.#next.get(partition) ?? 0,
              partitionMaxBytes: PARTITION_MAX_BYTES,
            })),
          }],
        };
        response = await connection.request(
          ApiKey.Fetch,
          version,
          (w) => writeFetchRequest(w, version, request),
          (r) => readFetchResponse(r, version),
        );
      } catch {
        // The leader is down or moving: its partitions stay "not current" (generation unknown)
        // until a later round reads them; the timeline shows what the brokers do about it.
        return;
      }
      const stillBehind: number[] = [];
      for (const p of response.responses.find((t) => t.topic === OFFSETS_TOPIC)?.partitions ?? []) {
        if (!behind.includes(p.partitionIndex)) continue;
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          // The log no longer holds our position (truncated by an unclean election, or recreated):
          // forget what this partition told and read it again from its start.
          this.#forgetPartition(p.partitionIndex);
          this.#next.set(p.partitionIndex, Math.max(0, p.logStartOffset ?? 0));
          stillBehind.push(p.partitionIndex);
          continue;
        }
        if (p.errorCode !== ErrorCode.NONE) continue; // not leader any more: next round, fresh metadata
        const from = this.#next.get(p.partitionIndex) ?? 0;
        const next = this.#apply(p.partitionIndex, p.records ?? new Uint8Array(0), from);
        this.#next.set(p.partitionIndex, next);
        if (next >= p.highWatermark) current.add(p.partitionIndex);
        else if (next > from) stillBehind.push(p.partitionIndex);
        // else: no whole batch fit (cannot happen with Kafka's first-batch rule); try next round.
      }
      behind = stillBehind;
    }
  }

  /** Keep the group metadata records of one partition's fetched bytes; returns the next offset. */
  #apply(partition: number, bytes: Uint8Array, from: number): number {
    let decoded;
    try {
      decoded = decodeRecords(OFFSETS_TOPIC, partition, bytes, from, { checkCrc: true });
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      // A damaged batch: stay where we are (the partition is not current), try again next round.
      this.skipped++;
      return from;
    }
    for (const record of decoded.records) {
      // Version 2 keys are group metadata; 0 and 1 are offset commits, which this reader skips.
      const key = record.key;
      if (key === null || key.length < 2 || ((key[0] << 8) | key[1]) !== 2) continue;
      try {
        const { groupId } = decodeOffsetsTopicKey(key);
        if (record.value === null) this.#generations.delete(groupId);
        else if (this.#generations.has(groupId) || this.#generations.size < MAX_REMEMBERED_GROUPS) {
          this.#generations.set(groupId, decodeGroupValue(record.value).generationId);
        }
      } catch (error) {
        if (!(error instanceof WireError)) throw error;
        this.skipped++; // one record that does not decode never stops the others
      }
    }
    return decoded.nextOffset;
  }

  #forgetPartition(partition: number): void {
    for (const groupId of [...this.#generations.keys()]) {
      if (groupPartition(groupId, this.#partitionCount) === partition) this.#generations.delete(groupId);
    }
  }
}
