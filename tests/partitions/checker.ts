/**
 * The checker of the partition tests, in the spirit of jepsen.tests.kafka: it takes what the
 * workload saw (every produce attempt with its outcome and timestamps, every record each consumer
 * read, in order), a final full read of every partition made after the faults healed, and the
 * bytes of each replica after a clean stop, and says what went wrong:
 *
 * - lost: acknowledged, absent from the final read;
 * - moved: acknowledged at one offset, found at another;
 * - inconsistent offsets: one offset seen holding two values (acks, reads and the final read);
 * - dirty reads: a consumer read a value the final log does not hold;
 * - non-monotonic reads: one consumer got an offset not above its previous one in a partition;
 * - skipped: one consumer jumped over offsets the final log holds;
 * - duplicates: one value at several offsets (a non-idempotent producer's retries do that, so
 *   they count only when `idempotent` is set);
 * - replicas differ: the replicas of a partition are not byte-identical;
 * - per fault and partition, how long the partition was unwritable: the longest span without an
 *   acknowledgement from the fault's start until the next fault (or the end of the workload), and
 *   the time from the heal to the first acknowledgement after it.
 *
 * Pure: no I/O, so its own tests feed it small histories. One topic per history.
 */

/** One produce attempt, as the workload producer logged it (times in ms since the epoch). */
export type ProduceEntry =
  | {
    type: "ok";
    writer: string;
    partition: number;
    value: string;
    offset: number;
    start: number;
    end: number;
  }
  | {
    type: "fail";
    writer: string;
    partition: number;
    value: string;
    start: number;
    end: number;
    error: string;
  };

/** One record a consumer read; a consumer's entries are in the order it read them. */
export interface ReadEntry {
  consumer: string;
  partition: number;
  offset: number;
  value: string;
  t: number;
}

/** One record of the final full read. */
export interface LogRecord {
  offset: number;
  value: string;
}

/** A replica's log bytes after a clean stop, summarised. */
export interface ReplicaImage {
  partition: number;
  broker: number;
  bytes: number;
  digest: string;
}

/** A fault the nemesis applied: when it started and when it was healed. */
export interface FaultPeriod {
  name: string;
  start: number;
  heal: number;
}

export interface History {
  produced: readonly ProduceEntry[];
  reads: readonly ReadEntry[];
  /** Partition → its records, read from the beginning to the high watermark at the end. */
  final: ReadonlyMap<number, readonly LogRecord[]>;
  replicas: readonly ReplicaImage[];
  /** In the order they were applied. */
  faults: readonly FaultPeriod[];
  /** When the producers stopped: the end of the last fault's measuring span. */
  endTime: number;
}

export interface CheckOptions {
  /** The producer de-duplicates its retries, so a duplicate is a failure. */
  idempotent: boolean;
}

export interface Unavailability {
  fault: string;
  faultIndex: number;
  partition: number;
  /** Longest span without an acknowledgement from the fault's start to the next fault or the end. */
  windowMs: number;
  /** From the heal to the first acknowledgement after it; null when none came. */
  afterHealMs: number | null;
}

export interface Anomalies {
  lost: { partition: number; offset: number; value: string }[];
  moved: { partition: number; value: string; ackedOffset: number; finalOffsets: number[] }[];
  inconsistentOffsets: { partition: number; offset: number; values: string[] }[];
  dirtyReads: { consumer: string; partition: number; offset: number; value: string }[];
  nonMonotonic: { consumer: string; partition: number; previous: number; offset: number }[];
  skipped: { consumer: string; partition: number; from: number; to: number; missing: number }[];
  duplicates: { partition: number; value: string; offsets: number[] }[];
  replicasDiffer: { partition: number; images: ReplicaImage[] }[];
}

export interface Report {
  anomalies: Anomalies;
  unavailability: Unavailability[];
  counts: { acknowledged: number; failed: number; reads: number; finalRecords: number };
  /** One line per kind of anomaly that fails the check; empty when valid. */
  problems: string[];
  valid: boolean;
}

/** Check a history. */
export function check(history: History, options: CheckOptions): Report {
  const finalAt = new Map<number, Map<number, string>>(); // partition → offset → value
  const finalOffsetsOf = new Map<number, Map<string, number[]>>(); // partition → value → offsets
  let finalRecords = 0;
  for (const [partition, records] of history.final) {
    const byOffset = new Map<number, string>();
    const byValue = new Map<string, number[]>();
    for (const { offset, value } of records) {
      byOffset.set(offset, value);
      appendTo(byValue, value, offset);
      finalRecords++;
    }
    finalAt.set(partition, byOffset);
    finalOffsetsOf.set(partition, byValue);
  }
  const acks = history.produced.filter((entry) => entry.type === "ok");
  const anomalies: Anomalies = {
    lost: [],
    moved: [],
    inconsistentOffsets: inconsistentOffsets(history, acks),
    dirtyReads: [],
    nonMonotonic: [],
    skipped: [],
    duplicates: [],
    replicasDiffer: replicasDiffer(history.replicas),
  };

  for (const ack of acks) {
    const offsets = finalOffsetsOf.get(ack.partition)?.get(ack.value) ?? [];
    if (offsets.length === 0) {
      anomalies.lost.push({ partition: ack.partition, offset: ack.offset, value: ack.value });
    } else if (!offsets.includes(ack.offset)) {
      anomalies.moved.push({
        partition: ack.partition,
        value: ack.value,
        ackedOffset: ack.offset,
        finalOffsets: offsets,
      });
    }
  }

  const previous = new Map<string, number>(); // consumer + partition → last offset read
  for (const read of history.reads) {
    if (!finalOffsetsOf.get(read.partition)?.has(read.value)) {
      anomalies.dirtyReads.push({ ...pick(read), consumer: read.consumer });
    }
    const key = `${read.consumer}\0${read.partition}`;
    const last = previous.get(key);
    previous.set(key, read.offset);
    if (last === undefined) continue;
    if (read.offset <= last) {
      anomalies.nonMonotonic.push({
        consumer: read.consumer,
        partition: read.partition,
        previous: last,
        offset: read.offset,
      });
    } else if (read.offset > last + 1) {
      const log = finalAt.get(read.partition);
      let missing = 0;
      for (let offset = last + 1; offset < read.offset; offset++) if (log?.has(offset)) missing++;
      if (missing > 0) {
        anomalies.skipped.push({
          consumer: read.consumer,
          partition: read.partition,
          from: last,
          to: read.offset,
          missing,
        });
      }
    }
  }

  for (const [partition, byValue] of finalOffsetsOf) {
    for (const [value, offsets] of byValue) {
      if (offsets.length > 1) anomalies.duplicates.push({ partition, value, offsets });
    }
  }

  const problems = describeProblems(anomalies, options);
  return {
    anomalies,
    unavailability: unavailability(history, acks),
    counts: {
      acknowledged: acks.length,
      failed: history.produced.length - acks.length,
      reads: history.reads.length,
      finalRecords,
    },
    problems,
    valid: problems.length === 0,
  };
}

function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function pick(read: ReadEntry) {
  return { partition: read.partition, offset: read.offset, value: read.value };
}

/** Every (partition, offset) anyone saw, with the values seen there; more than one is an anomaly. */
function inconsistentOffsets(
  history: History,
  acks: readonly Extract<ProduceEntry, { type: "ok" }>[],
): Anomalies["inconsistentOffsets"] {
  const seen = new Map<string, { partition: number; offset: number; values: Set<string> }>();
  const note = (partition: number, offset: number, value: string) => {
    const key = `${partition}\0${offset}`;
    let entry = seen.get(key);
    if (!entry) seen.set(key, entry = { partition, offset, values: new Set() });
    entry.values.add(value);
  };
  for (const ack of acks) note(ack.partition, ack.offset, ack.value);
  for (const read of history.reads) note(read.partition, read.offset, read.value);
  for (const [partition, records] of history.final) {
    for (const record of records) note(partition, record.offset, record.value);
  }
  return [...seen.values()].filter((entry) => entry.values.size > 1).map((entry) => ({
    partition: entry.partition,
    offset: entry.offset,
    values: [...entry.values].sort(),
  }));
}

function replicasDiffer(images: readonly ReplicaImage[]): Anomalies["replicasDiffer"] {
  const byPartition = new Map<number, ReplicaImage[]>();
  for (const image of images) appendTo(byPartition, image.partition, image);
  return [...byPartition].filter(([, list]) => new Set(list.map((i) => `${i.bytes}:${i.digest}`)).size > 1)
    .map(([partition, list]) => ({ partition, images: list }));
}

function unavailability(
  history: History,
  acks: readonly Extract<ProduceEntry, { type: "ok" }>[],
): Unavailability[] {
  const ackTimes = new Map<number, number[]>();
  for (const ack of acks) appendTo(ackTimes, ack.partition, ack.end);
  for (const times of ackTimes.values()) times.sort((a, b) => a - b);
  const partitions = [...new Set([...ackTimes.keys(), ...history.final.keys()])].sort((a, b) => a - b);
  const result: Unavailability[] = [];
  history.faults.forEach((fault, faultIndex) => {
    const until = history.faults[faultIndex + 1]?.start ?? history.endTime;
    for (const partition of partitions) {
      const times = (ackTimes.get(partition) ?? []).filter((t) => t > fault.start && t <= until);
      let windowMs = 0;
      let from = fault.start;
      for (const t of [...times, until]) {
        windowMs = Math.max(windowMs, t - from);
        from = t;
      }
      const afterHeal = times.find((t) => t >= fault.heal);
      result.push({
        fault: fault.name,
        faultIndex,
        partition,
        windowMs,
        afterHealMs: afterHeal === undefined ? null : afterHeal - fault.heal,
      });
    }
  });
  return result;
}

function sample<T>(list: readonly T[], show: (item: T) => string): string {
  const shown = list.slice(0, 5).map(show).join("; ");
  return list.length > 5 ? `${shown}; … (${list.length} in all)` : shown;
}

function describeProblems(a: Anomalies, options: CheckOptions): string[] {
  const problems: string[] = [];
  const add = <T>(list: readonly T[], what: string, show: (item: T) => string) => {
    if (list.length > 0) problems.push(`${what}: ${list.length} (${sample(list, show)})`);
  };
  add(a.lost, "lost acknowledged records", (x) => `p${x.partition}@${x.offset} ${x.value}`);
  add(
    a.moved,
    "acknowledged records at another offset",
    (x) => `p${x.partition} ${x.value} acked @${x.ackedOffset}, found @${x.finalOffsets}`,
  );
  add(a.inconsistentOffsets, "offsets with two values", (x) => `p${x.partition}@${x.offset} ${x.values}`);
  add(a.dirtyReads, "dirty reads", (x) => `${x.consumer} p${x.partition}@${x.offset} ${x.value}`);
  add(
    a.nonMonotonic,
    "non-monotonic reads",
    (x) => `${x.consumer} p${x.partition} ${x.previous}→${x.offset}`,
  );
  add(a.skipped, "skipped offsets", (x) => `${x.consumer} p${x.partition} ${x.from}→${x.to} (${x.missing})`);
  if (options.idempotent) {
    add(
      a.duplicates,
      "duplicates from an idempotent producer",
      (x) => `p${x.partition} ${x.value} @${x.offsets}`,
    );
  }
  add(
    a.replicasDiffer,
    "replicas not byte-identical",
    (x) =>
      `p${x.partition}: ${
        x.images.map((i) => `broker ${i.broker} ${i.bytes} B ${i.digest.slice(0, 12)}`).join(", ")
      }`,
  );
  return problems;
}

/** The report as text: counts, problems, and the unavailability per fault and partition. */
export function formatReport(report: Report): string {
  const { counts } = report;
  const lines = [
    `acknowledged ${counts.acknowledged}, failed attempts ${counts.failed}, consumer reads ${counts.reads}, ` +
    `final records ${counts.finalRecords}, duplicates ${report.anomalies.duplicates.length}`,
    ...(report.valid ? ["no safety anomalies"] : report.problems.map((problem) => `FAIL ${problem}`)),
  ];
  if (report.unavailability.length > 0) {
    lines.push("fault                         partition  unwritable ms  heal→first ack ms");
    for (const u of report.unavailability) {
      lines.push(
        `${`${u.faultIndex}:${u.fault}`.padEnd(30)}${String(u.partition).padStart(9)}` +
          `${String(u.windowMs).padStart(15)}${String(u.afterHealMs ?? "none").padStart(19)}`,
      );
    }
  }
  return lines.join("\n");
}
