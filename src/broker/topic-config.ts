/**
 * Topic configs the broker accepts (Kafka names, string values as stored in
 * /config/topics/<name>), their defaults and validation. DescribeConfigs lists them; CreateTopics
 * refuses unknown names and bad values with INVALID_CONFIG.
 */
import { parseCleanupPolicy } from "../storage/log-config.ts";
import {
  FOLLOWER_THROTTLED_REPLICAS,
  LEADER_THROTTLED_REPLICAS,
  throttledReplicasProblem,
} from "./replication/replication-quota.ts";

interface ConfigSpec {
  defaultValue: string;
  /** Error message for a bad value, or null when valid. */
  check: (value: string) => string | null;
  documentation: string;
}

const integerFrom = (min: number) => (value: string) =>
  /^-?\d+$/.test(value) && Number(value) >= min && Number.isSafeInteger(Number(value))
    ? null
    : `expected an integer >= ${min}`;
const oneOf = (...allowed: string[]) => (value: string) =>
  allowed.includes(value) ? null : `expected one of ${allowed.join(", ")}`;

export const TOPIC_CONFIGS: Record<string, ConfigSpec> = {
  "cleanup.policy": {
    defaultValue: "delete",
    check: (value) =>
      parseCleanupPolicy(value) === null ? "expected delete, compact or compact,delete" : null,
    documentation: "delete: drop old segments by retention; compact: keep the latest record per key",
  },
  "compression.type": {
    defaultValue: "producer",
    check: oneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
    documentation: "Compression kept on disk (only producer is honoured: batches are stored as sent)",
  },
  "delete.retention.ms": {
    defaultValue: "86400000",
    check: integerFrom(0),
    documentation: "How long tombstones survive compaction",
  },
  [FOLLOWER_THROTTLED_REPLICAS]: {
    defaultValue: "",
    check: throttledReplicasProblem,
    documentation:
      "Replicas (partition:broker, or *) whose fetching follower.replication.throttled.rate limits",
  },
  [LEADER_THROTTLED_REPLICAS]: {
    defaultValue: "",
    check: throttledReplicasProblem,
    documentation: "Replicas (partition:broker, or *) served at most leader.replication.throttled.rate",
  },
  "max.message.bytes": {
    defaultValue: "1048588",
    check: integerFrom(61),
    documentation: "Largest record batch accepted",
  },
  "message.timestamp.type": {
    defaultValue: "CreateTime",
    check: oneOf("CreateTime", "LogAppendTime"),
    documentation: "Which timestamp records carry",
  },
  "min.cleanable.dirty.ratio": {
    defaultValue: "0.5",
    check: (value) =>
      /^\s*\d*\.?\d+\s*$/.test(value) && Number(value) >= 0 && Number(value) <= 1
        ? null
        : "expected a number from 0 to 1",
    documentation: "Share of uncleaned bytes that starts the log cleaner",
  },
  "min.compaction.lag.ms": {
    defaultValue: "0",
    check: integerFrom(0),
    documentation: "Records younger than this are not compacted",
  },
  "min.insync.replicas": {
    defaultValue: "1",
    check: integerFrom(1),
    documentation: "Replicas that must have an acks=all write",
  },
  "retention.bytes": { defaultValue: "-1", check: integerFrom(-1), documentation: "Largest log size kept" },
  "retention.ms": { defaultValue: "604800000", check: integerFrom(-1), documentation: "Oldest data kept" },
  "segment.bytes": {
    defaultValue: "134217728",
    check: integerFrom(1024),
    documentation: "Segment file size",
  },
  "segment.ms": { defaultValue: "604800000", check: integerFrom(1), documentation: "Segment roll time" },
  "unclean.leader.election.enable": {
    defaultValue: "false",
    check: oneOf("true", "false"),
    documentation: "Elect a replica outside the ISR when none is left",
  },
};

/** Error message for the first bad config, or null when all are valid. */
export function validateTopicConfigs(configs: Record<string, string>): string | null {
  for (const [name, value] of Object.entries(configs)) {
    const spec = TOPIC_CONFIGS[name];
    if (!spec) return `Unknown topic config ${name}`;
    const problem = spec.check(value);
    if (problem) return `Invalid value "${value}" for ${name}: ${problem}`;
  }
  return null;
}

/** The effective value of a config for a topic with these overrides. */
export function topicConfigValue(overrides: Record<string, string>, name: string): string | undefined {
  return overrides[name] ?? TOPIC_CONFIGS[name]?.defaultValue;
}
