/**
 * A log-linear latency histogram (HdrHistogram's idea, written small): values in µs fall in
 * buckets of 1/16 of their power of two, so any percentile is within 6.25% of the truth, memory
 * is fixed (no sorted sample of every record), and recording is a few integer operations.
 *
 * @example
 * ```ts
 * const h = new LatencyHistogram();
 * h.record(0.8); // ms
 * h.percentile(0.99); // ms
 * ```
 */
const SUB_BUCKETS = 16;
const MAX_POWER = 40; // 2^40 µs: about 12 days, far above any latency we measure

export class LatencyHistogram {
  readonly #counts = new Float64Array((MAX_POWER + 1) * SUB_BUCKETS);
  #count = 0;
  #maxMs = 0;

  /** Record one latency in milliseconds (negative values count as 0). */
  record(ms: number): void {
    const micros = Math.max(0, Math.round(ms * 1000));
    this.#counts[bucketOf(micros)]++;
    this.#count++;
    if (ms > this.#maxMs) this.#maxMs = ms;
  }

  get count(): number {
    return this.#count;
  }

  /** The counts, to rebuild this histogram elsewhere (another thread: fromSnapshot). */
  snapshot(): { counts: Float64Array; count: number; maxMs: number } {
    return { counts: this.#counts.slice(), count: this.#count, maxMs: this.#maxMs };
  }

  static fromSnapshot(snapshot: { counts: Float64Array; count: number; maxMs: number }): LatencyHistogram {
    const histogram = new LatencyHistogram();
    histogram.#counts.set(snapshot.counts);
    histogram.#count = snapshot.count;
    histogram.#maxMs = snapshot.maxMs;
    return histogram;
  }

  /** The largest value recorded, exactly (ms). */
  get maxMs(): number {
    return this.#maxMs;
  }

  /** The value at quantile q (0..1) in ms: the upper edge of the bucket holding it. */
  percentile(q: number): number {
    if (this.#count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let bucket = 0; bucket < this.#counts.length; bucket++) {
      seen += this.#counts[bucket];
      if (seen >= rank) return Math.min(upperEdgeMicros(bucket) / 1000, this.#maxMs);
    }
    return this.#maxMs;
  }
}

/** Bucket index: values below 16 µs are exact; above, 16 linear steps per power of two. */
function bucketOf(micros: number): number {
  if (micros < SUB_BUCKETS) return micros;
  if (micros < 2 ** 31) {
    // The common case in integer operations (Math.log2 per record showed in profiles at a
    // million records/s); the same buckets as below.
    const power = 31 - Math.clz32(micros);
    return (power - 3) * SUB_BUCKETS + ((micros - (1 << power)) >>> (power - 4));
  }
  const power = Math.min(MAX_POWER, Math.floor(Math.log2(micros)));
  const step = 2 ** (power - 4);
  return (power - 3) * SUB_BUCKETS + Math.min(SUB_BUCKETS - 1, Math.floor((micros - 2 ** power) / step));
}

function upperEdgeMicros(bucket: number): number {
  if (bucket < SUB_BUCKETS) return bucket;
  const power = Math.floor(bucket / SUB_BUCKETS) + 3;
  const sub = bucket % SUB_BUCKETS;
  return 2 ** power + (sub + 1) * 2 ** (power - 4) - 1;
}
