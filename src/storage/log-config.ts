/**
 * LogConfig: the per-partition storage knobs, named after Kafka's topic configs (segment.bytes →
 * segmentBytes). Defaults are Kafka's, except that fsyncAlways (the broker's `--fsync always`) has
 * no Kafka counterpart. `logConfigFromTopicConfigs` reads the Kafka names from a topic's configs.
 *
 * @example
 * ```ts
 * const config = resolveLogConfig({ segmentBytes: 1024 * 1024 });
 * const fromTopic = logConfigFromTopicConfigs({ "retention.ms": "60000" });
 * ```
 */

/** Kafka's "forever" for time and size limits. */
export const UNLIMITED = -1;

export interface LogConfig {
  /** segment.bytes: roll to a new segment when the active one would grow past this. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this. */
  segmentMs: number;
  /** index.interval.bytes: one sparse offset-index entry per this many log bytes. */
  indexIntervalBytes: number;
  /** retention.ms: delete whole segments whose newest timestamp is older; -1 keeps forever. */
  retentionMs: number;
  /** retention.bytes: delete the oldest segments while the log is larger; -1 keeps all. */
  retentionBytes: number;
  /** flush.messages: fsync after this many unflushed records; Infinity leaves it to the OS. */
  flushMessages: number;
  /** flush.ms: fsync when the oldest unflushed write is this old; Infinity leaves it to the OS. */
  flushMs: number;
  /** The broker's `--fsync always`: the caller awaits flush() before acknowledging each append. */
  fsyncAlways: boolean;
  /** max.message.bytes: the largest batch accepted from a producer or a leader. */
  maxBatchBytes: number;
  /** message.timestamp.type=LogAppendTime: the leader stamps each batch's maxTimestamp (new CRC). */
  logAppendTime: boolean;
  /** Largest read() answer in bytes, whatever maxBytes a client asks for (one batch may exceed it). */
  maxReadBytes: number;
  /** How often maintain() rewrites the offsets checkpoint (recovery point, HWM, log start). */
  checkpointIntervalMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Kafka's defaults (segment.bytes 1 GiB in Kafka; 128 MiB here as the issue asks). */
export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 128 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  indexIntervalBytes: 4096,
  retentionMs: 7 * DAY_MS,
  retentionBytes: UNLIMITED,
  flushMessages: Infinity,
  flushMs: Infinity,
  fsyncAlways: false,
  maxBatchBytes: 1_048_588,
  logAppendTime: false,
  maxReadBytes: 64 * 1024 * 1024,
  checkpointIntervalMs: 5_000,
});

/** Segment positions are int32 in the offset index, so a segment stays below 2 GiB. */
const MAX_SEGMENT_BYTES = 0x7fff_ffff;
/** The smallest segment that still holds a record batch header and then some. */
const MIN_SEGMENT_BYTES = 1024;

/** Fill in defaults and check ranges; throws RangeError naming the bad knob. */
export function resolveLogConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG, ...overrides };
  requireRange("segmentBytes", config.segmentBytes, MIN_SEGMENT_BYTES, MAX_SEGMENT_BYTES);
  requireRange("segmentMs", config.segmentMs, 1, Infinity);
  requireRange("indexIntervalBytes", config.indexIntervalBytes, 0, MAX_SEGMENT_BYTES);
  requireRange("retentionMs", config.retentionMs, UNLIMITED, Infinity);
  requireRange("retentionBytes", config.retentionBytes, UNLIMITED, Infinity);
  requireRange("flushMessages", config.flushMessages, 1, Infinity);
  requireRange("flushMs", config.flushMs, 0, Infinity);
  requireRange("maxBatchBytes", config.maxBatchBytes, 61, MAX_SEGMENT_BYTES);
  requireRange("maxReadBytes", config.maxReadBytes, 1, MAX_SEGMENT_BYTES);
  requireRange("checkpointIntervalMs", config.checkpointIntervalMs, 0, Infinity);
  return config;
}

function requireRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== "number" || Number.isNaN(value) || value < min || value > max) {
    throw new RangeError(`Invalid log config ${name}: ${value} (expected ${min}..${max})`);
  }
}

/** Kafka topic config names → LogConfig fields, for the ones storage understands. */
const TOPIC_CONFIG_NAMES: Record<string, keyof LogConfig> = {
  "segment.bytes": "segmentBytes",
  "segment.ms": "segmentMs",
  "index.interval.bytes": "indexIntervalBytes",
  "retention.ms": "retentionMs",
  "retention.bytes": "retentionBytes",
  "flush.messages": "flushMessages",
  "flush.ms": "flushMs",
  "max.message.bytes": "maxBatchBytes",
};

/**
 * Read the storage-related Kafka topic configs (strings, as stored in the coordinator); other
 * names are ignored. Throws RangeError for a value that is not an integer. Kafka's
 * Long.MAX_VALUE for flush.* means "never", which becomes Infinity here.
 */
export function logConfigFromTopicConfigs(configs: Record<string, string>): Partial<LogConfig> {
  const result: Partial<LogConfig> = {};
  for (const [name, text] of Object.entries(configs)) {
    if (name === "message.timestamp.type") {
      if (text !== "CreateTime" && text !== "LogAppendTime") {
        throw new RangeError(
          `Invalid topic config ${name}: "${text}" (expected CreateTime or LogAppendTime)`,
        );
      }
      result.logAppendTime = text === "LogAppendTime";
      continue;
    }
    const field = TOPIC_CONFIG_NAMES[name];
    if (field === undefined) continue;
    if (!/^-?\d{1,19}$/.test(text.trim())) {
      throw new RangeError(`Invalid topic config ${name}: "${text}" (expected an integer)`);
    }
    const value = Number(text.trim());
    (result as Record<string, number>)[field] = value >= Number.MAX_SAFE_INTEGER ? Infinity : value;
  }
  return result;
}
