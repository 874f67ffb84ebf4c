/**
 * The consumer protocol: the bytes consumers put inside JoinGroup protocol metadata
 * (Subscription) and SyncGroup assignments (Assignment). The broker treats them as opaque;
 * the group leader's assignor and every member parse them. Never flexible, in every version.
 *
 * Subscription v0 => version INT16 topics [STRING] user_data NULLABLE_BYTES
 * Subscription v1 => v0 + owned_partitions [topic STRING partitions [INT32]]
 * Subscription v2 => v1 + generation_id INT32
 * Subscription v3 => v2 + rack_id NULLABLE_STRING
 *
 * Assignment v0+  => version INT16 assigned_partitions [topic STRING partitions [INT32]]
 *                    user_data NULLABLE_BYTES
 *
 * Which version: kafkajs sends v0, librdkafka and @platformatic/kafka v1. Like Kafka's own
 * ConsumerProtocol, a reader parses a version newer than it knows with the newest layout it
 * knows and ignores bytes that follow (new versions only append fields), so readers never
 * demand the end of input. Writers write exactly the version the caller names.
 */
import { Reader } from "../wire/reader.ts";
import { WireError } from "../wire/wire-error.ts";
import { Writer } from "../wire/writer.ts";
import { readArray, readInt32s, readString, readStrings } from "./apis/field-readers.ts";

/** The newest Subscription layout this module knows. */
export const SUBSCRIPTION_MAX_VERSION = 3;

/** The protocol_type consumers use in JoinGroup. */
export const CONSUMER_PROTOCOL_TYPE = "consumer";

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface Subscription {
  /** Version on the wire (0–3 written; any ≥ 0 read). */
  version: number;
  topics: string[];
  userData: Uint8Array | null;
  /** v1+; default []. */
  ownedPartitions?: TopicPartitions[];
  /** v2+; default -1. */
  generationId?: number;
  /** v3+; default null. */
  rackId?: string | null;
}

export interface Assignment {
  /** Version on the wire (any ≥ 0; all share one layout). */
  version: number;
  assignedPartitions: TopicPartitions[];
  userData: Uint8Array | null;
}

function writeTopicPartitions(writer: Writer, list: readonly TopicPartitions[]): void {
  writer.array(list, (w, tp) => w.string(tp.topic).array(tp.partitions, (pw, p) => pw.int32(p)));
}

function readTopicPartitions(reader: Reader, field: string): TopicPartitions[] {
  return readArray(reader, field, (r) => ({
    topic: readString(r, `${field}.topic`),
    partitions: readInt32s(r, `${field}.partitions`),
  }), 6);
}

function readVersion(reader: Reader, what: string): number {
  const version = reader.int16();
  if (version < 0) throw new WireError(`Unsupported ${what} version ${version}`);
  return version;
}

/** Append a Subscription in its own version's layout. */
export function writeSubscription(writer: Writer, subscription: Subscription): void {
  const { version } = subscription;
  if (!Number.isInteger(version) || version < 0 || version > SUBSCRIPTION_MAX_VERSION) {
    throw new RangeError(`Unsupported subscription version ${version}`);
  }
  writer.int16(version);
  writer.array(subscription.topics, (w, topic) => w.string(topic));
  writer.bytes(subscription.userData);
  if (version >= 1) writeTopicPartitions(writer, subscription.ownedPartitions ?? []);
  if (version >= 2) writer.int32(subscription.generationId ?? -1);
  if (version >= 3) writer.string(subscription.rackId ?? null);
}

/** Read a Subscription of any version; fields the version lacks get their defaults. */
export function readSubscription(reader: Reader): Subscription {
  const version = readVersion(reader, "subscription");
  const topics = readStrings(reader, "topics");
  const userData = reader.bytes();
  const ownedPartitions = version >= 1 ? readTopicPartitions(reader, "owned_partitions") : [];
  const generationId = version >= 2 ? reader.int32() : -1;
  const rackId = version >= 3 ? reader.string() : null;
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

/** Append an Assignment. */
export function writeAssignment(writer: Writer, assignment: Assignment): void {
  if (!Number.isInteger(assignment.version) || assignment.version < 0 || assignment.version > 0x7fff) {
    throw new RangeError(`Unsupported assignment version ${assignment.version}`);
  }
  writer.int16(assignment.version);
  writeTopicPartitions(writer, assignment.assignedPartitions);
  writer.bytes(assignment.userData);
}

/** Read an Assignment of any version. */
export function readAssignment(reader: Reader): Assignment {
  const version = readVersion(reader, "assignment");
  const assignedPartitions = readTopicPartitions(reader, "assigned_partitions");
  const userData = reader.bytes();
  return { version, assignedPartitions, userData };
}

/** Subscription → bytes for JoinGroup protocol metadata. */
export function encodeSubscription(subscription: Subscription): Uint8Array {
  const writer = new Writer(64);
  writeSubscription(writer, subscription);
  return writer.toBytes();
}

/** JoinGroup protocol metadata bytes → Subscription. Throws WireError on malformed bytes. */
export function decodeSubscription(bytes: Uint8Array): Subscription {
  return readSubscription(new Reader(bytes));
}

/** Assignment → bytes for a SyncGroup assignment. */
export function encodeAssignment(assignment: Assignment): Uint8Array {
  const writer = new Writer(64);
  writeAssignment(writer, assignment);
  return writer.toBytes();
}

/**
 * SyncGroup assignment bytes → Assignment. Zero bytes (what the coordinator returns to a
 * member the leader gave nothing, or with an error) read as an empty v0 assignment.
 */
export function decodeAssignment(bytes: Uint8Array): Assignment {
  if (bytes.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  return readAssignment(new Reader(bytes));
}
