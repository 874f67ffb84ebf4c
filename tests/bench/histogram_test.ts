/** The benchmarks' latency histogram: percentiles within its 1/16 bucket width of the exact ones. */
import assert from "node:assert/strict";
import { LatencyHistogram } from "../../bench/histogram.ts";
import { seededRandom } from "../helpers/random.ts";

Deno.test("LatencyHistogram percentiles are within 6.25% of a sorted sample's, max exact", () => {
  const random = seededRandom(14);
  const histogram = new LatencyHistogram();
  const values: number[] = [];
  for (let i = 0; i < 50_000; i++) {
    const ms = Math.exp(random() * 9) / 200; // 5 µs .. 40 ms, log-uniform
    values.push(ms);
    histogram.record(ms);
  }
  values.sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99, 0.999]) {
    const exact = values[Math.ceil(q * values.length) - 1];
    const got = histogram.percentile(q);
    assert.ok(got >= exact - 0.001 && got <= exact * 1.0625 + 0.001, `p${q * 100}: ${got} vs ${exact}`);
  }
  assert.equal(histogram.maxMs, values[values.length - 1]);
  assert.equal(histogram.count, values.length);
  assert.ok(Number.isNaN(new LatencyHistogram().percentile(0.5)));
});

Deno.test("a histogram rebuilt from its snapshot (another thread's) gives the same percentiles", () => {
  const random = seededRandom(7);
  const histogram = new LatencyHistogram();
  for (let i = 0; i < 10_000; i++) histogram.record(Math.exp(random() * 8) / 100);
  const snapshot = histogram.snapshot();
  const rebuilt = LatencyHistogram.fromSnapshot(structuredClone(snapshot));
  for (const q of [0.5, 0.99, 0.999]) assert.equal(rebuilt.percentile(q), histogram.percentile(q));
  assert.equal(rebuilt.count, histogram.count);
  assert.equal(rebuilt.maxMs, histogram.maxMs);
  histogram.record(10_000); // the snapshot is a copy: later records do not reach the rebuilt one
  assert.equal(rebuilt.count, 10_000);
});
