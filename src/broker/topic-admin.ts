/**
 * Topic administration in the coordinator: create (config, then assignment in one multi), add
 * partitions, delete. Used by CreateTopics, CreatePartitions, DeleteTopics, Metadata
 * auto-creation and the group coordinator's offsets topic. As in Kafka, the admin writes only
 * the assignment; the controller, watching the topic list and each topic's assignment, writes
 * every new partition's first state (leader = first live replica, leader epoch 0, ISR = the live
 * replicas) in bounded batches and announces it, so a request never turns into one coordinator
 * write the size of the topic. Deleting removes the znodes; the controller then stops the
 * replicas.
 *
 * Limits are checked before anything is written, so a refused request leaves nothing behind:
 * --max-partitions-per-topic (INVALID_PARTITIONS) and the size of the assignment znode against
 * the coordinator's largest write (POLICY_VIOLATION).
 */
import { ErrorCode } from "../kafka/errors.ts";
import type { ClusterSnapshot, MetadataCache } from "./metadata-cache.ts";
import { BadVersionError, type Coordination, NodeExistsError } from "./coordination.ts";
import { validateTopicConfigs } from "./topic-config.ts";
import { MissingRackError, placeReplicas, type RackAwareMode } from "./replica-placement.ts";
import {
  decodeReassignments,
  decodeTopicAssignment,
  encodeTopicAssignment,
  encodeTopicConfig,
  partitionsPath,
  type ReplicaAssignment,
  topicConfigPath,
  topicPath,
  validTopicName,
} from "./zk-layout.ts";

/** An error code and message, or code 0. */
export interface AdminOutcome {
  errorCode: number;
  errorMessage: string | null;
}

const ok: AdminOutcome = { errorCode: 0, errorMessage: null };
const fail = (errorCode: number, errorMessage: string): AdminOutcome => ({ errorCode, errorMessage });

/** Default largest partition count of one topic (--max-partitions-per-topic). */
export const MAX_PARTITIONS = 10_000;

/**
 * Largest assignment znode we write: ZooKeeper's default jute.maxbuffer (and the coordinator's
 * --max-frame-bytes default) is 1 MiB - 1 for a whole request; the rest is left for the path and
 * the request's framing.
 */
export const MAX_ASSIGNMENT_BYTES = 1_048_575 - 16 * 1024;

/** The assignment's znode bytes, or an error when they are over what one coordinator write takes. */
function encodeWithinLimit(name: string, assignment: ReplicaAssignment): Uint8Array | AdminOutcome {
  const bytes = encodeTopicAssignment(assignment);
  if (bytes.length <= MAX_ASSIGNMENT_BYTES) return bytes;
  return fail(
    ErrorCode.POLICY_VIOLATION,
    `Topic ${name}: its assignment of ${assignment.length} partitions is ${bytes.length} bytes, over the ` +
      `coordinator's limit of ${MAX_ASSIGNMENT_BYTES} bytes for one write; use fewer partitions or replicas`,
  );
}

const tooMany = (name: string, partitions: number, limit: number) =>
  fail(
    ErrorCode.INVALID_PARTITIONS,
    `Topic ${name}: ${partitions} partitions is over the limit of ${limit} per topic ` +
      `(broker setting --max-partitions-per-topic)`,
  );

/** Broker id -> rack of the live brokers, what replica placement works from. */
export function rackMap(snapshot: ClusterSnapshot): Map<number, string | null> {
  return new Map([...snapshot.brokers].map(([id, broker]) => [id, broker.rack]));
}

/** Place new partitions' replicas, or the error Kafka gives when racks are mixed. */
function place(
  snapshot: ClusterSnapshot,
  partitionCount: number,
  factor: number,
  firstPartition: number,
  mode: RackAwareMode,
  partitionZeroLeader: number | null = null,
): ReplicaAssignment | AdminOutcome {
  try {
    return placeReplicas(
      rackMap(snapshot),
      partitionCount,
      factor,
      firstPartition,
      mode,
      Math.random,
      partitionZeroLeader,
    );
  } catch (error) {
    if (error instanceof MissingRackError) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, error.message);
    throw error;
  }
}

export interface CreateTopicSpec {
  name: string;
  /** -1 = broker default. */
  numPartitions: number;
  /** -1 = broker default. */
  replicationFactor: number;
  /** Explicit assignment (partition -> brokers), or empty. */
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: Record<string, string>;
  /** Mixed racked and unracked brokers: refuse ("enforced", the default) or ignore racks ("safe"). */
  rackAwareMode?: RackAwareMode;
}

export interface TopicDefaults {
  numPartitions: number;
  defaultReplicationFactor: number;
  /** Default MAX_PARTITIONS. */
  maxPartitionsPerTopic?: number;
}

/** Check a create request against the live cluster; returns the assignment or an error. */
export function planTopic(
  snapshot: ClusterSnapshot,
  spec: CreateTopicSpec,
  defaults: TopicDefaults,
): { assignment: ReplicaAssignment } | AdminOutcome {
  if (!validTopicName(spec.name)) {
    return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Invalid topic name "${spec.name}"`);
  }
  if (snapshot.topics.has(spec.name)) {
    return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic ${spec.name} exists`);
  }
  const configProblem = validateTopicConfigs(spec.configs);
  if (configProblem) return fail(ErrorCode.INVALID_CONFIG, configProblem);
  const live = [...snapshot.brokers.keys()];
  const limit = defaults.maxPartitionsPerTopic ?? MAX_PARTITIONS;
  if (spec.assignments.length > 0) {
    if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
      return fail(
        ErrorCode.INVALID_REQUEST,
        "Give either an assignment or partitions and replication factor",
      );
    }
    const assignment: ReplicaAssignment = [];
    for (const { partitionIndex, brokerIds } of spec.assignments) {
      if (partitionIndex < 0 || partitionIndex >= spec.assignments.length || assignment[partitionIndex]) {
        return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Bad partition index ${partitionIndex}`);
      }
      if (brokerIds.length === 0 || new Set(brokerIds).size !== brokerIds.length) {
        return fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Partition ${partitionIndex}: empty or repeated replicas`,
        );
      }
      if (brokerIds.some((id) => !snapshot.brokers.has(id))) {
        return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${partitionIndex}: unknown broker`);
      }
      assignment[partitionIndex] = brokerIds;
    }
    if (assignment.length > limit) return tooMany(spec.name, assignment.length, limit);
    return { assignment };
  }
  const partitions = spec.numPartitions === -1 ? defaults.numPartitions : spec.numPartitions;
  const factor = spec.replicationFactor === -1 ? defaults.defaultReplicationFactor : spec.replicationFactor;
  if (partitions > limit) return tooMany(spec.name, partitions, limit);
  if (partitions < 1) {
    return fail(
      ErrorCode.INVALID_PARTITIONS,
      `Topic ${spec.name}: partitions must be at least 1, got ${partitions}`,
    );
  }
  if (factor < 1 || factor > live.length) {
    return fail(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Replication factor ${factor} needs that many live brokers: ${live.length} live`,
    );
  }
  const assignment = place(snapshot, partitions, factor, 0, spec.rackAwareMode ?? "enforced");
  return Array.isArray(assignment) ? { assignment } : assignment;
}

/**
 * Write a planned topic: its config, then its assignment (one multi with its partitions node);
 * the controller writes the partitions' first states. TOPIC_ALREADY_EXISTS if someone else
 * created it meanwhile; POLICY_VIOLATION, with nothing written, when the assignment is too big
 * for one coordinator write.
 */
export async function writeTopic(
  coordination: Coordination,
  _snapshot: ClusterSnapshot,
  name: string,
  assignment: ReplicaAssignment,
  configs: Record<string, string>,
): Promise<AdminOutcome> {
  const data = encodeWithinLimit(name, assignment);
  if (!(data instanceof Uint8Array)) return data;
  // The config goes first (a put, not part of the multi) so a broker that sees the topic finds it.
  await coordination.put(topicConfigPath(name), encodeTopicConfig(configs));
  try {
    await coordination.multi([
      { op: "create", path: topicPath(name), data },
      { op: "create", path: partitionsPath(name), data: new Uint8Array() },
    ]);
  } catch (error) {
    if (error instanceof NodeExistsError) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic ${name} exists`);
    throw error;
  }
  return ok;
}

/** An internal topic a coordinator keeps its state in (`__consumer_offsets`, `__transaction_state`). */
export interface InternalTopicSpec {
  name: string;
  numPartitions: number;
  /** Wanted replication factor; fewer live brokers give fewer replicas (at least one). */
  replicationFactor: number;
  /** segment.bytes (offsets.topic.segment.bytes serves both topics here). */
  segmentBytes: number;
}

/** segment.ms of an internal topic: a quiet partition still closes its segment for the cleaner. */
const INTERNAL_SEGMENT_MS = 60 * 60 * 1000;
/** How long FindCoordinator waits for a just-created internal topic to be announced. */
const INTERNAL_TOPIC_WAIT_MS = 10_000;

/**
 * Create an internal topic unless it exists, then wait until this broker's metadata has its
 * partitions. Another broker creating it at the same moment is not an error: either creation
 * serves.
 */
export async function createInternalTopic(
  coordination: Coordination,
  metadata: MetadataCache,
  defaults: TopicDefaults,
  topic: InternalTopicSpec,
): Promise<void> {
  if (metadata.topics.has(topic.name)) return;
  // Compacted by key: the latest value of each key (a group's commit and metadata, a
  // transactional id's state) stays whatever its age.
  const configs: Record<string, string> = {
    "cleanup.policy": "compact",
    "segment.bytes": String(topic.segmentBytes),
    "segment.ms": String(INTERNAL_SEGMENT_MS),
  };
  const plan = planTopic(metadata, {
    name: topic.name,
    numPartitions: topic.numPartitions,
    replicationFactor: Math.max(1, Math.min(topic.replicationFactor, metadata.brokers.size)),
    assignments: [],
    configs,
    rackAwareMode: "safe",
  }, defaults);
  if ("assignment" in plan) {
    const outcome = await writeTopic(coordination, metadata, topic.name, plan.assignment, configs);
    if (outcome.errorCode !== 0 && outcome.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      throw new Error(outcome.errorMessage ?? `error ${outcome.errorCode}`);
    }
  } else if (plan.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
    throw new Error(plan.errorMessage ?? `error ${plan.errorCode}`);
  }
  await metadata.waitUntil(
    (cache) => cache.hasPartitions(topic.name, topic.numPartitions),
    INTERNAL_TOPIC_WAIT_MS,
  );
}

/** Add partitions to a topic (versioned write of its assignment). */
export async function addPartitions(
  coordination: Coordination,
  snapshot: ClusterSnapshot,
  name: string,
  count: number,
  explicit: number[][] | null,
  validateOnly: boolean,
  maxPartitions: number = MAX_PARTITIONS,
): Promise<AdminOutcome> {
  const node = await coordination.getData(topicPath(name));
  if (node === null) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`);
  const current = decodeTopicAssignment(name, node.data);
  // As Kafka: the assignment node carries the reassignments in progress, and growing the topic
  // while they run would have to rewrite them under the controller's feet.
  const moving = [...decodeReassignments(name, node.data).keys()].sort((a, b) => a - b);
  if (moving.length > 0) {
    return fail(
      ErrorCode.REASSIGNMENT_IN_PROGRESS,
      `Topic ${name} has a reassignment in progress (partition${moving.length > 1 ? "s" : ""} ` +
        `${moving.join(", ")}); add partitions once it is done or cancelled (vltava topic reassign --list)`,
    );
  }
  if (count <= current.length) {
    return fail(
      ErrorCode.INVALID_PARTITIONS,
      `Topic ${name} has ${current.length} partitions; asked for ${count}`,
    );
  }
  if (count > maxPartitions) return tooMany(name, count, maxPartitions);
  const adding = count - current.length;
  let added: number[][];
  if (explicit !== null) {
    if (explicit.length !== adding) {
      return fail(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Expected ${adding} assignments, got ${explicit.length}`,
      );
    }
    if (explicit.some((ids) => ids.length === 0 || ids.some((id) => !snapshot.brokers.has(id)))) {
      return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "Assignment names an unknown broker");
    }
    added = explicit;
  } else {
    const factor = current[0].length;
    if (factor > snapshot.brokers.size) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor ${factor} over live brokers`);
    }
    // The rotation goes on from partition 0's preferred leader (its first replica), as Kafka's.
    const placed = place(snapshot, adding, factor, current.length, "enforced", current[0][0]);
    if (!Array.isArray(placed)) return placed;
    added = placed;
  }
  const assignment = [...current, ...added];
  const data = encodeWithinLimit(name, assignment);
  if (!(data instanceof Uint8Array)) return data;
  if (validateOnly) return ok;
  try {
    // The controller, watching the assignment, writes the new partitions' first states.
    await coordination.multi([{ op: "setData", path: topicPath(name), data, version: node.version }]);
  } catch (error) {
    if (error instanceof BadVersionError || error instanceof NodeExistsError) {
      return fail(ErrorCode.INVALID_PARTITIONS, `Topic ${name} changed concurrently; retry`);
    }
    throw error;
  }
  return ok;
}

/**
 * Delete a topic's znodes: assignment first (the controller, watching the topic list, tells its
 * replicas to stop and delete their logs), then its config.
 */
export async function deleteTopic(coordination: Coordination, name: string): Promise<AdminOutcome> {
  const node = await coordination.getData(topicPath(name));
  if (node === null) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`);
  await coordination.deleteRecursive(topicPath(name));
  await coordination.deleteRecursive(topicConfigPath(name));
  return ok;
}
