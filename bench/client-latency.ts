/**
 * End-to-end latency with the project's own client: a producer (linger 0, the given acks)
 * sends 100-byte records at a fixed rate with its send time in the value; a consumer in the
 * same process (same clock) long-polls the partition and records arrival - send in a
 * log-linear histogram. Reports p50 / p99 / p99.9 / max, and how often the event loop of this
 * process was late by more than 5 ms (a wake-up late here adds to every record in flight, so
 * it separates client-side stalls from the broker's).
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
}

export async function clientLatency(
  bootstrap: string,
  topic: string,
  options: { acks: 1 | -1; rate: number; seconds: number; valueBytes: number },
): Promise<LatencyResult> {
  await using producer = new Producer({ bootstrap, acks: options.acks, lingerMs: 0 });
  await using consumer = new Consumer({ bootstrap, maxWaitMs: 100 });
  await producer.connect([topic]);
  await consumer.assign([{ topic, partition: 0, from: "latest" }]);
  await consumer.poll(200); // resolve the start position before the clock starts
  const total = Math.round(options.rate * options.seconds);
  const histogram = new LatencyHistogram();
  const reading = (async () => {
    while (histogram.count < total) {
      const records = await consumer.poll(5_000);
      if (records.length === 0) break;
      const now = performance.now();
      for (const record of records) {
        histogram.record(now - new DataView(record.value!.buffer, record.value!.byteOffset).getFloat64(0));
      }
    }
  })();
  const payload = new Uint8Array(options.valueBytes).fill(97);
  const started = performance.now();
  const tickMs = 1;
  let sent = 0;
  let lateTicks = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * options.rate));
    for (; sent < due; sent++) {
      const bytes = payload.slice();
      new DataView(bytes.buffer).setFloat64(0, performance.now());
      producer.produce({ topic, value: bytes, partition: 0 });
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
  };
}

/** One line for a result. */
export function describeLatency(label: string, result: LatencyResult): string {
  return `${label}: p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, p99.9 ${
    result.p999.toFixed(2)
  } ms, max ${result.max.toFixed(1)} ms (${result.count.toLocaleString("en-US")} records; ` +
    `${result.lateTicks} sender ticks over 5 ms late)`;
}
