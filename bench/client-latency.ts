/**
 * End-to-end latency with the project's own client: a producer (linger 0, the given acks)
 * sends 100-byte records at a fixed rate with its send time in the value; a consumer in the
 * same process (same clock) long-polls the partition and records arrival - send in a
 * log-linear histogram. Reports p50 / p99 / p99.9 / max, and how often the event loop of this
 * process was late by more than 5 ms (a wake-up late here adds to every record in flight, so
 * it separates client-side stalls from the broker's).
 *
 * Where the slowest records' time goes: the latency topics use message.timestamp.type
 * LogAppendTime, so each consumed record carries the wall-clock millisecond the leader appended
 * it. Send time and arrival are wall-clock here too (performance.timeOrigin + now, one machine,
 * one clock), which splits each record's latency in two: send → leader's append (client
 * batching, the producer's in-flight bound, the socket, the broker's request queue) and
 * append → arrival (acks=all: the followers' fetches and the high watermark; then the consumer's
 * long-poll wake-up, the response and the decode). Reported as means over the slowest 1% and
 * 0.1% of records (two Float64Arrays of the run's record count; nothing per record on the heap).
 */
import { Producer } from "../src/client/producer.ts";
import { Consumer } from "../src/client/consumer.ts";
import { LatencyHistogram } from "./histogram.ts";

export interface LatencyResult {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
  /** Timer ticks of the sending loop that fired more than 5 ms late. */
  lateTicks: number;
  /** Mean ms of the slowest records before and after the leader's append; absent without LogAppendTime. */
  stages?: { share: string; toAppendMs: number; afterAppendMs: number }[];
}

/** Topic configuration the latency runs need (the append time in every record). */
export const LATENCY_TOPIC_CONFIGS: Record<string, string> = { "message.timestamp.type": "LogAppendTime" };

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
  await using producer = new Producer({ bootstrap, acks: options.acks, lingerMs: 0 });
  await using consumer = new Consumer({ bootstrap, maxWaitMs: 100 });
  await producer.connect([topic]);
  await consumer.assign([{ topic, partition: 0, from: "latest" }]);
  await consumer.poll(200); // resolve the start position before the clock starts
  const total = Math.round(options.rate * options.seconds);
  const histogram = new LatencyHistogram();
  const wallNow = () => performance.timeOrigin + performance.now();
  const sentAt = new Float64Array(total);
  const latency = new Float64Array(total).fill(NaN);
  const appendedAt = new Float64Array(total).fill(NaN);
  const reading = (async () => {
    while (histogram.count < total) {
      const records = await consumer.poll(5_000);
      if (records.length === 0) break;
      const now = wallNow();
      for (const record of records) {
        const index = new DataView(record.value!.buffer, record.value!.byteOffset).getUint32(0);
        if (index >= total) continue;
        latency[index] = now - sentAt[index];
        appendedAt[index] = Number(record.timestamp);
        histogram.record(latency[index]);
      }
    }
  })();
  const payload = new Uint8Array(options.valueBytes).fill(97);
  const payloadView = new DataView(payload.buffer);
  const started = performance.now();
  const tickMs = 1;
  let sent = 0;
  let lateTicks = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * options.rate));
    for (; sent < due; sent++) {
      // One buffer for every record: produce() copies the value into its batch at once, so the
      // measuring process allocates no ArrayBuffer per record (its GC pauses land in the tail).
      payloadView.setUint32(0, sent);
      sentAt[sent] = wallNow();
      producer.produce({ topic, value: payload, partition: 0 });
    }
    const before = performance.now();
    await new Promise((resolve) => setTimeout(resolve, tickMs));
    if (performance.now() - before > tickMs + 5) lateTicks++;
  }
  await producer.flush();
  await reading;
  return {
    p50: histogram.percentile(0.5),
    p99: histogram.percentile(0.99),
    p999: histogram.percentile(0.999),
    max: histogram.maxMs,
    count: histogram.count,
    lateTicks,
    stages: options.logAppendTime ? stagesOfSlowest(sentAt, latency, appendedAt) : undefined,
  };
}

/**
 * Mean time before and after the leader's append of the slowest 1% and 0.1% of the records
 * received (their timestamps are the leader's LogAppendTime, whole milliseconds).
 */
function stagesOfSlowest(
  sentAt: Float64Array,
  latency: Float64Array,
  appendedAt: Float64Array,
): LatencyResult["stages"] {
  const received: number[] = [];
  for (let i = 0; i < latency.length; i++) if (!Number.isNaN(latency[i])) received.push(i);
  if (received.length === 0) return undefined;
  received.sort((a, b) => latency[b] - latency[a]);
  return [["1%", 0.01], ["0.1%", 0.001]].map(([share, fraction]) => {
    const slowest = received.slice(0, Math.max(1, Math.floor(received.length * (fraction as number))));
    const mean = (f: (i: number) => number) => slowest.reduce((sum, i) => sum + f(i), 0) / slowest.length;
    return {
      share: share as string,
      toAppendMs: mean((i) => appendedAt[i] - sentAt[i]),
      afterAppendMs: mean((i) => sentAt[i] + latency[i] - appendedAt[i]),
    };
  });
}

/** One line for a result. */
export function describeLatency(label: string, result: LatencyResult): string {
  return `${label}: p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, p99.9 ${
    result.p999.toFixed(2)
  } ms, max ${result.max.toFixed(1)} ms (${result.count.toLocaleString("en-US")} records; ` +
    `${result.lateTicks} sender ticks over 5 ms late)` +
    (result.stages ?? []).map((stage) =>
      `\n  slowest ${stage.share}: ${stage.toAppendMs.toFixed(2)} ms from send to the leader's append, ` +
      `${stage.afterAppendMs.toFixed(2)} ms from the append to the consumer (commit, fetch wake-up, decode)`
    ).join("");
}
