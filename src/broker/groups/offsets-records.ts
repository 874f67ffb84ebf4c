/**
 * Records of the internal `__consumer_offsets` topic (compacted by key): committed offsets and
 * group metadata, in Kafka's own layout (core/src/main/resources/common/message/
 * OffsetCommitKey/Value, GroupMetadataKey/Value .json) so a log written by one coordinator can be
 * replayed by the next. A null value is a tombstone: compaction and replay delete the key.
 *
 * Key (the int16 version tells the kind of record):
 *   OffsetCommitKey v0/v1 => version int16, group string, topic string, partition int32
 *   GroupMetadataKey v2   => version int16 (2), group string
 *
 * Transactional offset commits (TxnOffsetCommit) are the same records in a transactional batch
 * carrying the producer's id and epoch: they count only once a COMMIT marker (a control batch of
 * that producer id) follows them in the partition, and an ABORT marker drops them, as Kafka's
 * loader does. Replay therefore sees record entries with the producer id of a transactional batch
 * and marker entries (see ReplayEntry).
 *
 * Values (we write the newest version, read every version):
 *   OffsetCommitValue v0-3 => version int16, offset int64, [v3+] leader_epoch int32,
 *                             metadata string, commit_timestamp int64, [v1 only] expire_timestamp int64
 *   GroupMetadataValue v0-3 => version int16, protocol_type string, generation int32,
 *                              protocol nullable string, leader nullable string,
 *                              [v2+] current_state_timestamp int64,
 *                              members [member_id string, [v3+] group_instance_id nullable string,
 *                                       client_id string, client_host string,
 *                                       [v1+] rebalance_timeout int32, session_timeout int32,
 *                                       subscription bytes, assignment bytes]
 */
import { Reader, WireError, Writer } from "../../wire/mod.ts";

/** One record of `__consumer_offsets`: the key and value bytes (null value = tombstone). */
export interface OffsetsTopicRecord {
  key: Uint8Array;
  value: Uint8Array | null;
}

/** A decoded key: which offset or which group a record is about. */
export type OffsetsTopicKey =
  | { kind: "offset"; groupId: string; topic: string; partition: number }
  | { kind: "group"; groupId: string };

/** A committed offset as stored. */
export interface OffsetCommitValue {
  offset: number;
  /** -1 when the committer did not know it. */
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /**
   * In memory only (never encoded): where the record sits in `__consumer_offsets`. A transaction's
   * offsets, materialised by its COMMIT marker, replace a committed offset only if they were
   * appended after it (a plain commit made while the transaction was open wins, as in Kafka).
   */
  appendOffset?: number;
}

/**
 * One step of a replay in log order: a record (with the producer id when its batch was
 * transactional) or a transaction marker. `offset` is the record's log offset (default: its
 * position in the replay, which orders records the same way).
 */
export type ReplayEntry =
  | OffsetsTopicRecord & { offset?: number; producerId?: bigint }
  | { marker: "commit" | "abort"; producerId: bigint; offset?: number };

/** An offset committed by a still-open transaction, as held by the coordinator. */
export interface PendingTxnOffset {
  topic: string;
  partition: number;
  value: OffsetCommitValue;
}

/** One member of a stored group. */
export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  /** The member's metadata for the group's selected protocol (a consumer Subscription). */
  subscription: Uint8Array;
  /** The member's assignment from the leader (a consumer Assignment); empty when none. */
  assignment: Uint8Array;
}

/** A group's metadata as stored after each completed rebalance. */
export interface GroupMetadataValue {
  protocolType: string;
  generationId: number;
  protocolName: string | null;
  leaderId: string | null;
  currentStateTimestampMs: number;
  members: StoredMember[];
}

const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
const OFFSET_VALUE_VERSION = 3;
const GROUP_VALUE_VERSION = 3;

/** Key of a committed offset. */
export function encodeOffsetKey(groupId: string, topic: string, partition: number): Uint8Array {
  return new Writer(32 + groupId.length + topic.length).int16(OFFSET_KEY_VERSION).string(groupId)
    .string(topic).int32(partition).toBytes();
}

/** Key of a group's metadata. */
export function encodeGroupKey(groupId: string): Uint8Array {
  return new Writer(8 + groupId.length).int16(GROUP_KEY_VERSION).string(groupId).toBytes();
}

/** Decode a key; throws WireError on bytes that are not one of the two key kinds. */
export function decodeOffsetsTopicKey(bytes: Uint8Array): OffsetsTopicKey {
  const reader = new Reader(bytes);
  const version = reader.int16();
  const groupId = requireString(reader, "group id");
  if (version === 0 || version === 1) {
    const topic = requireString(reader, "topic");
    const partition = reader.int32();
    reader.expectEnd("Offset commit key");
    return { kind: "offset", groupId, topic, partition };
  }
  if (version === GROUP_KEY_VERSION) {
    reader.expectEnd("Group metadata key");
    return { kind: "group", groupId };
  }
  throw new WireError(`Unknown __consumer_offsets key version: ${version}`);
}

/** Value of a committed offset (written as v3). */
export function encodeOffsetValue(value: OffsetCommitValue): Uint8Array {
  return new Writer(32 + value.metadata.length * 3).int16(OFFSET_VALUE_VERSION).int64n(value.offset)
    .int32(value.leaderEpoch).string(value.metadata).int64n(value.commitTimestampMs).toBytes();
}

/** Decode an offset value of any version 0-3. */
export function decodeOffsetValue(bytes: Uint8Array): OffsetCommitValue {
  const reader = new Reader(bytes);
  const version = reader.int16();
  if (version < 0 || version > 3) throw new WireError(`Unknown offset commit value version: ${version}`);
  const offset = reader.int64n();
  const leaderEpoch = version >= 3 ? reader.int32() : -1;
  const metadata = reader.string() ?? "";
  const commitTimestampMs = reader.int64n();
  if (version === 1) reader.int64n(); // expire timestamp: retention is the broker's business now
  return { offset, leaderEpoch, metadata, commitTimestampMs };
}

/** Value of a group's metadata (written as v3). */
export function encodeGroupValue(value: GroupMetadataValue): Uint8Array {
  const writer = new Writer(128);
  writer.int16(GROUP_VALUE_VERSION).string(value.protocolType).int32(value.generationId)
    .string(value.protocolName).string(value.leaderId).int64n(value.currentStateTimestampMs);
  writer.array(value.members, (w, member) => {
    w.string(member.memberId).string(member.groupInstanceId).string(member.clientId)
      .string(member.clientHost).int32(member.rebalanceTimeoutMs).int32(member.sessionTimeoutMs)
      .bytes(member.subscription).bytes(member.assignment);
  });
  return writer.toBytes();
}

/** Decode a group metadata value of any version 0-3. */
export function decodeGroupValue(bytes: Uint8Array): GroupMetadataValue {
  const reader = new Reader(bytes);
  const version = reader.int16();
  if (version < 0 || version > 3) throw new WireError(`Unknown group metadata value version: ${version}`);
  const protocolType = requireString(reader, "protocol type");
  const generationId = reader.int32();
  const protocolName = reader.string();
  const leaderId = reader.string();
  const currentStateTimestampMs = version >= 2 ? reader.int64n() : -1;
  // Smallest member: 2+2+2 strings, 4 session timeout, 4+4 bytes lengths.
  const members = reader.array((r) => readMember(r, version), 18) ?? [];
  reader.expectEnd("Group metadata value");
  return { protocolType, generationId, protocolName, leaderId, currentStateTimestampMs, members };
}

function readMember(reader: Reader, version: number): StoredMember {
  const memberId = requireString(reader, "member id");
  const groupInstanceId = version >= 3 ? reader.string() : null;
  const clientId = requireString(reader, "client id");
  const clientHost = requireString(reader, "client host");
  const rebalanceTimeoutMs = version >= 1 ? reader.int32() : -1;
  const sessionTimeoutMs = reader.int32();
  const subscription = copy(reader.bytes());
  const assignment = copy(reader.bytes());
  return {
    memberId,
    groupInstanceId,
    clientId,
    clientHost,
    rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs,
    sessionTimeoutMs,
    subscription,
    assignment,
  };
}

/** The record for a committed offset. */
export function offsetCommitRecord(
  groupId: string,
  topic: string,
  partition: number,
  value: OffsetCommitValue,
): OffsetsTopicRecord {
  return { key: encodeOffsetKey(groupId, topic, partition), value: encodeOffsetValue(value) };
}

/** The tombstone that deletes a committed offset. */
export function offsetTombstone(groupId: string, topic: string, partition: number): OffsetsTopicRecord {
  return { key: encodeOffsetKey(groupId, topic, partition), value: null };
}

/** The record for a group's metadata. */
export function groupMetadataRecord(groupId: string, value: GroupMetadataValue): OffsetsTopicRecord {
  return { key: encodeGroupKey(groupId), value: encodeGroupValue(value) };
}

/** The tombstone that deletes a group's metadata. */
export function groupTombstone(groupId: string): OffsetsTopicRecord {
  return { key: encodeGroupKey(groupId), value: null };
}

/** A group as rebuilt from the log: its latest metadata (if any) and its committed offsets. */
export interface LoadedGroup {
  groupId: string;
  metadata: GroupMetadataValue | null;
  /** topic -> partition -> committed offset. */
  offsets: Map<string, Map<number, OffsetCommitValue>>;
  /** Open transactions' offsets: producer id -> offsetKey(topic, partition) -> offset. */
  pendingTxnOffsets: Map<bigint, Map<string, PendingTxnOffset>>;
}

/** The key a (topic, partition) has in a group's pending transactional offsets. */
export function offsetKey(topic: string, partition: number): string {
  return `${partition}\u0000${topic}`;
}

/**
 * Materialise a committed transaction's offsets into `offsets`: each replaces the committed offset
 * unless that one was appended later.
 */
export function applyCommittedTxn(
  offsets: Map<string, Map<number, OffsetCommitValue>>,
  pending: Iterable<PendingTxnOffset>,
): void {
  for (const { topic, partition, value } of pending) {
    let partitions = offsets.get(topic);
    if (partitions === undefined) offsets.set(topic, partitions = new Map());
    const current = partitions.get(partition);
    if (current === undefined || (current.appendOffset ?? -1) < (value.appendOffset ?? -1)) {
      partitions.set(partition, value);
    }
  }
}

/**
 * Rebuild groups from a replay of `__consumer_offsets` in log order: the latest value per key
 * wins and a tombstone deletes the key; a transactional record waits for its producer's marker
 * (COMMIT applies it, ABORT drops it; still open at the end = pending in the group). Groups left
 * with neither metadata nor offsets are omitted. Records whose key or value does not decode are
 * skipped and counted in `skipped`, so one damaged record never keeps a coordinator from loading.
 *
 * @example
 * ```ts
 * const { groups } = loadGroups(recordsOfPartition);
 * const offsets = groups.get("my-group")?.offsets.get("orders");
 * ```
 */
export function loadGroups(
  entries: Iterable<ReplayEntry>,
): { groups: Map<string, LoadedGroup>; skipped: number } {
  const groups = new Map<string, LoadedGroup>();
  let skipped = 0;
  const groupOf = (groupId: string): LoadedGroup => {
    let group = groups.get(groupId);
    if (group === undefined) {
      group = { groupId, metadata: null, offsets: new Map(), pendingTxnOffsets: new Map() };
      groups.set(groupId, group);
    }
    return group;
  };
  let position = 0;
  for (const entry of entries) {
    const appendOffset = entry.offset ?? position;
    position++;
    if ("marker" in entry) {
      for (const group of groups.values()) {
        const pending = group.pendingTxnOffsets.get(entry.producerId);
        if (pending === undefined) continue;
        group.pendingTxnOffsets.delete(entry.producerId);
        if (entry.marker === "commit") applyCommittedTxn(group.offsets, pending.values());
      }
      continue;
    }
    try {
      const key = decodeOffsetsTopicKey(entry.key);
      const group = groupOf(key.groupId);
      if (key.kind === "group") {
        group.metadata = entry.value === null ? null : decodeGroupValue(entry.value);
      } else if (entry.producerId !== undefined) {
        let pending = group.pendingTxnOffsets.get(entry.producerId);
        if (pending === undefined) group.pendingTxnOffsets.set(entry.producerId, pending = new Map());
        const slot = offsetKey(key.topic, key.partition);
        if (entry.value === null) pending.delete(slot);
        else {
          const value = { ...decodeOffsetValue(entry.value), appendOffset };
          pending.set(slot, { topic: key.topic, partition: key.partition, value });
        }
      } else if (entry.value === null) {
        group.offsets.get(key.topic)?.delete(key.partition);
      } else {
        let partitions = group.offsets.get(key.topic);
        if (partitions === undefined) group.offsets.set(key.topic, partitions = new Map());
        partitions.set(key.partition, { ...decodeOffsetValue(entry.value), appendOffset });
      }
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      skipped++;
    }
  }
  for (const [groupId, group] of groups) {
    for (const [topic, partitions] of group.offsets) if (partitions.size === 0) group.offsets.delete(topic);
    for (const [producerId, pending] of group.pendingTxnOffsets) {
      if (pending.size === 0) group.pendingTxnOffsets.delete(producerId);
    }
    if (group.metadata === null && group.offsets.size === 0 && group.pendingTxnOffsets.size === 0) {
      groups.delete(groupId);
    }
  }
  return { groups, skipped };
}

function requireString(reader: Reader, what: string): string {
  const value = reader.string();
  if (value === null) throw new WireError(`Null ${what} in a __consumer_offsets record`);
  return value;
}

function copy(bytes: Uint8Array | null): Uint8Array {
  return bytes === null ? new Uint8Array(0) : bytes.slice();
}
