/**
 * The consuming half of bench/client-latency.ts, in a Worker: its own thread and its own V8
 * heap, as a consumer is its own client in practice. In one thread the producer's and the
 * consumer's garbage collections stalled each other, and at 1.4 M records/s one thread could not
 * produce, consume and time every record (issue 14's runs at half the maximum throughput).
 *
 * The send times come in a SharedArrayBuffer that the sending thread writes before it hands each
 * record to its producer. A record read here went out through a socket after that write and came
 * back through another, so the write is visible by the time the record arrives (those system calls
 * order it; no Atomics on the hot path). Per-record stage arrays, when asked for, are written here
 * and read by the sender only after this worker said it was done.
 */
import { Consumer } from "../src/client/consumer.ts";
import { LatencyHistogram } from "./histogram.ts";

/** What the sender posts to start the worker. */
export interface LatencyConsumerStart {
  bootstrap: string;
  topic: string;
  total: number;
  /** Float64Array of `total` send times (performance.timeOrigin + now, ms). */
  sentAt: SharedArrayBuffer;
  /** Int32Array of one: the warm-up records read so far, stored here after each poll. */
  warmupRead: SharedArrayBuffer;
  /** Float64Arrays of `total`, written here: latency, the leader's append time, the offset. */
  stages?: { latency: SharedArrayBuffer; appendedAt: SharedArrayBuffer; offset: SharedArrayBuffer };
}

/**
 * What the worker posts back: "loaded" when it can take the start message (one posted earlier,
 * while its imports were still loading, was lost), "ready" once positioned, then its histogram.
 */
export type LatencyConsumerMessage =
  | { kind: "loaded" }
  | { kind: "ready" }
  | { kind: "done"; histogram: ReturnType<LatencyHistogram["snapshot"]> }
  | { kind: "failed"; message: string };

const worker = self as unknown as {
  onmessage: ((event: MessageEvent<LatencyConsumerStart>) => void) | null;
  postMessage(message: LatencyConsumerMessage): void;
};

worker.onmessage = (event) => {
  worker.onmessage = null;
  consume(event.data).catch((error) =>
    worker.postMessage({ kind: "failed", message: (error as Error).message ?? String(error) })
  );
};
worker.postMessage({ kind: "loaded" });

async function consume(start: LatencyConsumerStart): Promise<void> {
  const { total } = start;
  const sentAt = new Float64Array(start.sentAt);
  const stages = start.stages;
  const latency = stages ? new Float64Array(stages.latency) : null;
  const appendedAt = stages ? new Float64Array(stages.appendedAt) : null;
  const offset = stages ? new Float64Array(stages.offset) : null;
  const origin = performance.timeOrigin;
  const histogram = new LatencyHistogram();
  const warmupRead = new Int32Array(start.warmupRead);
  let warmupRecords = 0;
  {
    await using consumer = new Consumer({ bootstrap: start.bootstrap, maxWaitMs: 100 });
    await consumer.assign([{ topic: start.topic, partition: 0, from: "latest" }]);
    await consumer.poll(200); // resolve the start position before the sender starts
    worker.postMessage({ kind: "ready" });
    while (histogram.count < total) {
      const records = await consumer.poll(5_000);
      if (records.length === 0) break;
      const now = origin + performance.now();
      for (const record of records) {
        const value = record.value!;
        // The record's index, big-endian in its first 4 bytes (no DataView per record).
        const index = ((value[0] << 24) | (value[1] << 16) | (value[2] << 8) | value[3]) >>> 0;
        if (index >= total) { // a warm-up record
          warmupRecords++;
          continue;
        }
        const ms = now - sentAt[index];
        histogram.record(ms);
        if (latency === null) continue;
        latency[index] = ms;
        appendedAt![index] = Number(record.timestamp);
        offset![index] = record.offset;
      }
      Atomics.store(warmupRead, 0, warmupRecords);
    }
  }
  worker.postMessage({ kind: "done", histogram: histogram.snapshot() });
}
