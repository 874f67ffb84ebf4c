/**
 * End-to-end latency with the project's own client: a producer (linger 0, the given acks)
 * sends 100-byte records at a fixed rate, each carrying its index (its send time is kept in
 * shared memory); a consumer in a Worker of the same process (its own thread and heap, the same
 * clock: bench/latency-consumer.ts) long-polls the partition and records arrival - send in a
 * log-linear histogram. Reports p50 / p99 / p99.9 / max, and how often the sending loop woke
 * more than 5 ms late (a late wake-up adds to every record in flight, so it separates the
 * sender's stalls from the broker's). WARMUP_SECONDS of sending at the same rate
 * come first and are not measured, and the measured records start once the consumer has read
 * every warm-up record (it starts cold in a new Worker for every run, and at a million records/s
 * and more it was at times still behind when measuring began).
 *
 * Where the slowest records' time goes: the latency topics use message.timestamp.type
 * LogAppendTime, so each consumed record carries the wall-clock millisecond the leader appended
 * it. Send time and arrival are wall-clock here too (performance.timeOrigin + now, one machine,
 * one clock), and the producer reports each acknowledged batch's client-side stage times
 * (`onBatchStages`: per batch, nothing per record); each record is matched to its batch by
 * offset, which splits its latency into the stages of SlowestStages. Reported as means over the
 * slowest 1% and 0.1% of records (typed arrays of the run's record count; nothing per record
 * on the heap).
 */
import { Producer } from "../src/client/producer.ts";
import type { LatencyConsumerMessage, LatencyConsumerStart } from "./latency-consumer.ts";
import { LatencyHistogram } from "./histogram.ts";

export interface LatencyResult {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
  /** Timer ticks of the sending loop that fired more than 5 ms late. */
  lateTicks: number;
  /** Mean ms of the slowest records in each stage; absent without LogAppendTime. */
  stages?: SlowestStages[];
  /** Batches acknowledged, and how many of them were retried; absent without LogAppendTime. */
  batches?: { count: number; retried: number };
}

/**
 * Where the slowest records' time went, mean ms per stage: in the open batch (send() until the
 * batch closed: linger, or kept filling while its partition's in-flight window was full), closed
 * until its produce request was handed to a connection (the idempotent producer's window of five
 * batches per partition, a producer id), until the connection wrote it to the socket (an
 * in-flight slot, this process's event loop), socket until the leader appended it (the kernel,
 * the broker's event loop and request queue), the
 * append until the producer handled the answer (acks=all: replication and the high watermark),
 * and the append until the consumer had it (commit, the fetch's wake-up, decode). Also when the
 * slowest records were sent (seconds into the run): a few moments mean a few stalls.
 */
export interface SlowestStages {
  share: string;
  inBatchMs: number;
  toRequestMs: number;
  toWrittenMs: number;
  toAppendMs: number;
  toAnswerMs: number;
  toConsumerMs: number;
  sentAtSeconds: number[];
}

/** Topic configuration the latency runs need (the append time in every record). */
export const LATENCY_TOPIC_CONFIGS: Record<string, string> = { "message.timestamp.type": "LogAppendTime" };

/**
 * Per-record and per-batch times of one run (typed arrays: nothing per record on the heap). Only
 * the send times without `stages` (8 bytes a record: a run at a million records/s for 10 s takes
 * 80 MB, not 320).
 */
export class StageLog {
  readonly sentAt: Float64Array;
  readonly latency: Float64Array;
  readonly appendedAt: Float64Array;
  readonly offset: Float64Array;
  /** Acknowledged batches: base offset, then five stage times, wall-clock ms. */
  batches = new BatchStageLog();
  /** Batches that needed more than one produce request. */
  retriedBatches = 0;

  /** Shared with the consuming worker (bench/latency-consumer.ts). */
  constructor(total: number, stages: boolean) {
    const perRecord = stages ? total : 0;
    const shared = (length: number) => new Float64Array(new SharedArrayBuffer(length * 8));
    this.sentAt = shared(total);
    this.latency = shared(perRecord).fill(NaN);
    this.appendedAt = shared(perRecord).fill(NaN);
    this.offset = shared(perRecord).fill(NaN);
  }
}

/**
 * The acknowledged batches of a run, six numbers each (base offset, then the five stage times),
 * in fixed-size typed chunks outside the JS heap. A plain array grown by a push per batch lived in
 * V8's large-object space and was copied as it grew (1.6 MB at the end of a 20 s run at 5,000
 * records/s, about 4 MB allocated on the way): this process then ran six mark-compacts in three
 * 30 s runs, each 4-10 ms of its sending thread's time (pause and marking steps) inside the
 * measured tail. With the chunks: one, between runs.
 */
export class BatchStageLog {
  static readonly FIELDS = 6;
  readonly #chunkBatches: number;
  #chunks: Float64Array[] = [];
  #count = 0;

  /** `chunkBatches`: batches per chunk (small in tests, to cross chunk boundaries). */
  constructor(chunkBatches = 8192) {
    this.#chunkBatches = chunkBatches;
  }

  /** Batches logged. */
  get count(): number {
    return this.#count;
  }

  push(baseOffset: number, created: number, closed: number, sent: number, written: number, answered: number) {
    const within = this.#count % this.#chunkBatches;
    if (within === 0) this.#chunks.push(new Float64Array(this.#chunkBatches * BatchStageLog.FIELDS));
    const chunk = this.#chunks[this.#chunks.length - 1];
    const at = within * BatchStageLog.FIELDS;
    chunk[at] = baseOffset;
    chunk[at + 1] = created;
    chunk[at + 2] = closed;
    chunk[at + 3] = sent;
    chunk[at + 4] = written;
    chunk[at + 5] = answered;
    this.#count++;
  }

  /** Field `field` of batch `batch` (0 = base offset, 1..5 = the stage times in push order). */
  at(batch: number, field: number): number {
    const chunk = this.#chunks[Math.floor(batch / this.#chunkBatches)];
    return chunk[(batch % this.#chunkBatches) * BatchStageLog.FIELDS + field];
  }

  clear(): void {
    this.#chunks = [];
    this.#count = 0;
  }
}

/** Seconds of unmeasured sending before the measured records. */
const WARMUP_SECONDS = 2;
/** How long the consumer may take to read the warm-up's records before the run fails. */
const WARMUP_CATCH_UP_MS = 30_000;
/** The index an unmeasured (warm-up) record carries: at or above any run's record count. */
const UNMEASURED = 0xffff_ffff;

export async function clientLatency(
  bootstrap: string,
  topic: string,
  options: {
    acks: 1 | -1;
    rate: number;
    seconds: number;
    valueBytes: number;
    /** The topic uses LATENCY_TOPIC_CONFIGS: report where the slowest records' time went. */
    logAppendTime?: boolean;
  },
): Promise<LatencyResult> {
  const total = Math.round(options.rate * options.seconds);
  const stages = options.logAppendTime === true;
  const log = new StageLog(total, stages);
  const origin = performance.timeOrigin;
  await using producer = new Producer({
    bootstrap,
    acks: options.acks,
    lingerMs: 0,
    onBatchStages: options.logAppendTime
      ? ({ baseOffset, attempts, stages }) => {
        if (attempts > 1) log.retriedBatches++;
        log.batches.push(
          baseOffset,
          origin + stages.createdMs,
          origin + stages.closedMs,
          origin + stages.sentMs,
          origin + stages.writtenMs,
          origin + stages.answeredMs,
        );
      }
      : undefined,
  });
  await producer.connect([topic]);
  const wallNow = () => origin + performance.now();
  const { sentAt } = log;
  const warmupRead = new Int32Array(new SharedArrayBuffer(4));
  const reading = startConsumer({
    bootstrap,
    topic,
    total,
    sentAt: log.sentAt.buffer as SharedArrayBuffer,
    warmupRead: warmupRead.buffer as SharedArrayBuffer,
    stages: stages
      ? {
        latency: log.latency.buffer as SharedArrayBuffer,
        appendedAt: log.appendedAt.buffer as SharedArrayBuffer,
        offset: log.offset.buffer as SharedArrayBuffer,
      }
      : undefined,
  });
  await reading.ready;
  const payload = new Uint8Array(options.valueBytes).fill(97);
  const payloadView = new DataView(payload.buffer);
  /** Send `count` records at the rate; measured ones carry their index and get a send time. */
  const sendAtRate = async (count: number, measured: boolean) => {
    const started = performance.now();
    const tickMs = 1;
    let sent = 0;
    let lateTicks = 0;
    while (sent < count) {
      const due = Math.min(count, Math.floor(((performance.now() - started) / 1000) * options.rate));
      // One clock read per tick, taken before its records are handed over: a later record of the
      // tick is stamped a little early, so its latency errs long, never short (at a million
      // records/s a clock read per record was a tenth of this process's CPU).
      const tickAt = wallNow();
      for (; sent < due; sent++) {
        // One buffer for every record: produce() copies the value into its batch at once, so the
        // measuring process allocates no ArrayBuffer per record (its GC pauses land in the tail).
        payloadView.setUint32(0, measured ? sent : UNMEASURED);
        if (measured) sentAt[sent] = tickAt;
        producer.produce({ topic, value: payload, partition: 0 });
      }
      const before = performance.now();
      await new Promise((resolve) => setTimeout(resolve, tickMs));
      if (performance.now() - before > tickMs + 5) lateTicks++;
    }
    return { started, lateTicks };
  };
  // Warm-up at the same rate, not measured: the first moments of a run (JIT, buffers, the
  // consumer's first fetches) were otherwise among its slowest, and at a million records/s the
  // first 0.2 s alone made the slowest 1%.
  const warmupRecords = Math.round(options.rate * WARMUP_SECONDS);
  await sendAtRate(warmupRecords, false);
  await producer.flush(); // the warm-up's batches are answered: the batch counts below are the run's
  await consumerCaughtUp(warmupRead, warmupRecords, reading.done);
  log.batches.clear();
  log.retriedBatches = 0;
  const { started, lateTicks } = await sendAtRate(total, true);
  await producer.flush();
  const histogram = await reading.done;
  return {
    p50: histogram.percentile(0.5),
    p99: histogram.percentile(0.99),
    p999: histogram.percentile(0.999),
    max: histogram.maxMs,
    count: histogram.count,
    lateTicks,
    stages: options.logAppendTime ? stagesOfSlowest(log, origin + started) : undefined,
    batches: options.logAppendTime ? { count: log.batches.count, retried: log.retriedBatches } : undefined,
  };
}

/**
 * Resolves once the consuming worker has counted `records` warm-up records in `read` (it stores
 * its count after each poll); fails after WARMUP_CATCH_UP_MS, or when the consumer fails first.
 */
async function consumerCaughtUp(read: Int32Array, records: number, consumerDone: Promise<unknown>) {
  let failed: unknown;
  consumerDone.catch((error) => (failed = error));
  const deadline = performance.now() + WARMUP_CATCH_UP_MS;
  while (Atomics.load(read, 0) < records) {
    if (failed !== undefined) throw failed;
    if (performance.now() > deadline) {
      throw new Error(
        `the latency consumer read ${Atomics.load(read, 0)} of the ${records} warm-up records in ` +
          `${WARMUP_CATCH_UP_MS / 1000} s: it cannot keep up with this rate`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Mean stage times of the slowest 1% and 0.1% of the records received (the append times are
 * the leader's LogAppendTime, whole milliseconds), each record matched to its batch by offset.
 * Exported for its test.
 */
export function stagesOfSlowest(log: StageLog, startedAt: number): SlowestStages[] | undefined {
  const { sentAt, latency, appendedAt, offset } = log;
  // The slowest 1% by a cutoff from a sorted typed copy (native sort, off the JS heap; NaN, a
  // record never received, sorts last): a run at half the maximum has tens of millions of
  // records, and an index array of them sorted by a comparator left hundreds of MB on this
  // process's heap for the next run's collector to work through.
  const sorted = Float64Array.from(latency).sort();
  let receivedCount = sorted.findIndex(Number.isNaN);
  if (receivedCount < 0) receivedCount = sorted.length;
  if (receivedCount === 0) return undefined;
  const cutoff = sorted[receivedCount - Math.max(1, Math.floor(receivedCount * 0.01))];
  /** Indexes of the slowest 1% (and any ties at the cutoff), slowest first. */
  const slowestFirst: number[] = [];
  for (let i = 0; i < latency.length; i++) if (latency[i] >= cutoff) slowestFirst.push(i);
  slowestFirst.sort((a, b) => latency[b] - latency[a]);
  const { batches } = log;
  /** Batch numbers by base offset. */
  const order = new Int32Array(batches.count).map((_, b) => b).sort((a, b) =>
    batches.at(a, 0) - batches.at(b, 0)
  );
  /** The batch holding an offset: the last one whose base offset is not above it. */
  const batchOf = (recordOffset: number): number => {
    let low = 0;
    let high = order.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (batches.at(order[middle], 0) <= recordOffset) {
        found = order[middle];
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  };
  return [["1%", 0.01], ["0.1%", 0.001]].map(([share, fraction]) => {
    const slowest = slowestFirst.slice(0, Math.max(1, Math.floor(receivedCount * (fraction as number))));
    const withBatch = slowest.map((i) => ({ i, b: batchOf(offset[i]) })).filter(({ b }) => b >= 0);
    const mean = (f: (i: number, b: number) => number) =>
      withBatch.length === 0 ? NaN : withBatch.reduce((sum, { i, b }) => sum + f(i, b), 0) / withBatch.length;
    const at = (b: number, stage: number) => batches.at(b, stage);
    const moments = [...new Set(slowest.map((i) => Math.round((sentAt[i] - startedAt) / 100) / 10))]
      .sort((a, b) => a - b);
    return {
      share: share as string,
      inBatchMs: mean((i, b) => at(b, 2) - sentAt[i]),
      toRequestMs: mean((_, b) => at(b, 3) - at(b, 2)),
      toWrittenMs: mean((_, b) => at(b, 4) - at(b, 3)),
      toAppendMs: mean((i, b) => appendedAt[i] - at(b, 4)),
      toAnswerMs: mean((i, b) => at(b, 5) - appendedAt[i]),
      toConsumerMs: mean((i) => sentAt[i] + latency[i] - appendedAt[i]),
      sentAtSeconds: moments,
    };
  });
}

/**
 * The consuming half in its own Worker: `ready` once it is positioned at the log end, `done`
 * with its histogram once it has every measured record or waited 5 s for one.
 */
function startConsumer(
  start: LatencyConsumerStart,
): { ready: Promise<void>; done: Promise<LatencyHistogram> } {
  const worker = new Worker(new URL("./latency-consumer.ts", import.meta.url).href, { type: "module" });
  let markReady: () => void;
  let fail: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    fail = reject;
  });
  const done = new Promise<LatencyHistogram>((resolve, reject) => {
    const failWith = (error: Error) => {
      worker.terminate();
      fail(error);
      reject(error);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      failWith(new Error(`latency consumer: ${event.message}`));
    };
    worker.onmessage = (event: MessageEvent<LatencyConsumerMessage>) => {
      const message = event.data;
      if (message.kind === "loaded") worker.postMessage(start);
      else if (message.kind === "ready") markReady();
      else if (message.kind === "failed") failWith(new Error(`latency consumer: ${message.message}`));
      else {
        worker.terminate();
        resolve(LatencyHistogram.fromSnapshot(message.histogram));
      }
    };
  });
  // Whoever awaits only `ready` must not leave `done`'s rejection unobserved.
  done.catch(() => {});
  return { ready, done };
}

/** One line for a result. */
export function describeLatency(label: string, result: LatencyResult): string {
  return `${label}: p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, p99.9 ${
    result.p999.toFixed(2)
  } ms, max ${result.max.toFixed(1)} ms (${result.count.toLocaleString("en-US")} records; ` +
    `${result.lateTicks} sender ticks over 5 ms late` +
    (result.batches === undefined
      ? ""
      : `; ${result.batches.count.toLocaleString("en-US")} batches, ${result.batches.retried} retried`) +
    ")" +
    (result.stages ?? []).map((stage) =>
      `\n  slowest ${stage.share}, mean ms: ${stage.inBatchMs.toFixed(1)} in the open batch, ` +
      `${stage.toRequestMs.toFixed(1)} closed to request, ${stage.toWrittenMs.toFixed(1)} request to ` +
      `socket, ${stage.toAppendMs.toFixed(1)} socket to the leader's append, then ${
        stage.toAnswerMs.toFixed(1)
      } to the producer's answer and ` +
      `${stage.toConsumerMs.toFixed(1)} to the consumer; sent at ${describeMoments(stage.sentAtSeconds)} s`
    ).join("");
}

/**
 * `runs` runs of one latency setup, each on a topic of its own that `create` makes and `drop`
 * deletes once measured. A run at a million and more records/s writes about 2 GB, about what
 * the kernel's page cache holds dirty before its background writeback starts (a tenth of this
 * machine's memory); left behind, a run's bytes would be written back during the next one.
 */
export async function repeatLatency(
  runs: number,
  create: (run: number) => Promise<string>,
  measure: (topic: string) => Promise<LatencyResult>,
  drop: (topic: string) => Promise<void>,
): Promise<LatencyResult[]> {
  const results: LatencyResult[] = [];
  for (let run = 0; run < runs; run++) {
    const topic = await create(run);
    results.push(await measure(topic));
    await drop(topic);
  }
  return results;
}

/** Best and median of each figure over the runs, then each run as describeLatency says it. */
export function describeLatencyRuns(label: string, results: LatencyResult[]): string {
  const figure = (pick: (result: LatencyResult) => number, digits: number) => {
    const values = results.map(pick).sort((a, b) => a - b);
    return `${values[0].toFixed(digits)} / ${values[Math.floor(values.length / 2)].toFixed(digits)}`;
  };
  return `${label}, best / median of ${results.length} runs: p50 ${figure((r) => r.p50, 2)} ms, p99 ${
    figure((r) => r.p99, 2)
  } ms, p99.9 ${figure((r) => r.p999, 2)} ms, max ${figure((r) => r.max, 1)} ms` +
    results.map((result, run) => `
${describeLatency(`  run ${run + 1}`, result)}`).join("");
}

/** "1.2, 1.3, 7.9" for a few moments, the first and last few with a count between for many. */
function describeMoments(seconds: number[]): string {
  if (seconds.length <= 8) return seconds.join(", ");
  return `${seconds.slice(0, 4).join(", ")} … (${seconds.length - 8} more) … ${seconds.slice(-4).join(", ")}`;
}
