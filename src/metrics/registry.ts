/**
 * A small Prometheus metrics registry: counters, gauges and histograms with labels, rendered in
 * the text exposition format (version 0.0.4) that `promtool check metrics` accepts. Made for hot
 * paths: a labelled child is looked up once per call in a Map keyed by the label value(s) (no
 * allocation for single-label metrics), and incrementing is a number addition. Label sets are
 * bounded per metric (`maxSeries`): past it, new label values are folded into one series whose
 * labels all read "other", so a flood of topics cannot grow memory without end.
 *
 * Values that already live somewhere (a partition's high watermark, a queue's size) are not copied
 * on every change: a collector registered with `collect` reads them at scrape time.
 *
 * @example
 * ```ts
 * const registry = new MetricsRegistry();
 * const bytesIn = registry.counter("vltava_bytes_in_total", "Bytes appended by producers", ["topic"]);
 * bytesIn.labels("orders").inc(512);
 * registry.collect((out) => out.gauge("vltava_up", "Always 1").sample({}, 1));
 * console.log(registry.render());
 * ```
 */

/** Default histogram buckets for durations in seconds (0.5 ms .. 10 s). */
export const DURATION_BUCKETS_SECONDS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
] as const;

/** Series per metric before new label values fold into "other". */
export const DEFAULT_MAX_SERIES = 10_000;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value escaped for the text format. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** `{a="x",b="y"}` ("" for no labels). */
function labelText(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((name, i) => `${name}="${escapeLabelValue(values[i])}"`);
  if (extra) parts.push(extra);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** A number as the text format writes it. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

abstract class Family<Child> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly #maxSeries: number;
  protected readonly children = new Map<string, { values: string[]; child: Child }>();

  constructor(name: string, help: string, labelNames: readonly string[], maxSeries: number) {
    if (!NAME.test(name)) throw new TypeError(`Invalid metric name "${name}"`);
    for (const label of labelNames) {
      if (!LABEL.test(label) || label.startsWith("__")) throw new TypeError(`Invalid label name "${label}"`);
    }
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    this.#maxSeries = maxSeries;
  }

  protected abstract create(): Child;

  /** The child for these label values (as many as labelNames). */
  labels(...values: string[]): Child {
    const key = values.length === 1 ? values[0] : values.join("\u0000");
    const found = this.children.get(key);
    if (found) return found.child;
    if (values.length !== this.labelNames.length) {
      throw new TypeError(
        `${this.name} takes ${this.labelNames.length} label value(s), got ${values.length}`,
      );
    }
    if (this.children.size >= this.#maxSeries) {
      // The one series past the bound that every further label set shares.
      const other = values.map(() => "other");
      const otherKey = other.join("\u0000");
      let overflow = this.children.get(otherKey);
      if (!overflow) this.children.set(otherKey, overflow = { values: other, child: this.create() });
      return overflow.child;
    }
    const child = this.create();
    this.children.set(key, { values: [...values], child });
    return child;
  }

  abstract renderInto(lines: string[]): void;

  protected header(lines: string[], type: string): void {
    lines.push(`# HELP ${this.name} ${this.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    lines.push(`# TYPE ${this.name} ${type}`);
  }
}

/** A value that only goes up. */
export class CounterChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class Counter extends Family<CounterChild> {
  protected create(): CounterChild {
    return new CounterChild();
  }
  /** The unlabelled series (for metrics without labels). */
  inc(by = 1): void {
    this.labels().inc(by);
  }
  renderInto(lines: string[]): void {
    this.header(lines, "counter");
    if (this.labelNames.length === 0 && this.children.size === 0) lines.push(`${this.name} 0`);
    for (const { values, child } of this.children.values()) {
      lines.push(`${this.name}${labelText(this.labelNames, values)} ${formatValue(child.value)}`);
    }
  }
}

/** A value that goes up and down. */
export class GaugeChild {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
}

export class Gauge extends Family<GaugeChild> {
  protected create(): GaugeChild {
    return new GaugeChild();
  }
  set(value: number): void {
    this.labels().set(value);
  }
  renderInto(lines: string[]): void {
    this.header(lines, "gauge");
    for (const { values, child } of this.children.values()) {
      lines.push(`${this.name}${labelText(this.labelNames, values)} ${formatValue(child.value)}`);
    }
  }
}

/** Observations counted into buckets (upper bounds, ascending), with their sum and count. */
export class HistogramChild {
  readonly bounds: readonly number[];
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        this.counts[i]++;
        return;
      }
    }
  }
}

export class Histogram extends Family<HistogramChild> {
  readonly buckets: readonly number[];
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    maxSeries: number,
    buckets: readonly number[],
  ) {
    super(name, help, labelNames, maxSeries);
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i] > buckets[i - 1])) throw new RangeError(`${name}: buckets must ascend`);
    }
    this.buckets = buckets;
  }
  protected create(): HistogramChild {
    return new HistogramChild(this.buckets);
  }
  renderInto(lines: string[]): void {
    this.header(lines, "histogram");
    for (const { values, child } of this.children.values()) {
      let cumulative = 0;
      child.bounds.forEach((bound, i) => {
        cumulative += child.counts[i];
        lines.push(`${this.name}_bucket${labelText(this.labelNames, values, `le="${bound}"`)} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${child.count}`);
      lines.push(`${this.name}_sum${labelText(this.labelNames, values)} ${formatValue(child.sum)}`);
      lines.push(`${this.name}_count${labelText(this.labelNames, values)} ${child.count}`);
    }
  }
}

/** What a scrape-time collector writes: whole families, each with its samples kept together. */
export class Exposition {
  readonly #families: string[][] = [];
  readonly #seen: Set<string>;

  constructor(seen: Set<string>) {
    this.#seen = seen;
  }

  /** Every family's header and samples, family after family. */
  get lines(): string[] {
    return this.#families.flat();
  }

  #family(name: string, type: string, help: string) {
    if (!NAME.test(name)) throw new TypeError(`Invalid metric name "${name}"`);
    if (this.#seen.has(name)) throw new TypeError(`Metric ${name} is exposed twice`);
    this.#seen.add(name);
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
    this.#families.push(lines);
    return {
      /** One sample; label values are escaped here. */
      sample(labels: Record<string, string | number>, value: number, suffix = "") {
        const names = Object.keys(labels);
        const text = labelText(names, names.map((n) => String(labels[n])));
        lines.push(`${name}${suffix}${text} ${formatValue(value)}`);
        return this;
      },
    };
  }

  gauge(name: string, help: string) {
    return this.#family(name, "gauge", help);
  }
  counter(name: string, help: string) {
    return this.#family(name, "counter", help);
  }
  summary(name: string, help: string) {
    return this.#family(name, "summary", help);
  }
}

/** Counters, gauges and histograms by name, plus scrape-time collectors. */
export class MetricsRegistry {
  readonly #families = new Map<string, Family<unknown>>();
  readonly #collectors: ((out: Exposition) => void)[] = [];
  readonly maxSeries: number;

  constructor(maxSeries = DEFAULT_MAX_SERIES) {
    this.maxSeries = maxSeries;
  }

  #add<F extends Family<unknown>>(family: F): F {
    if (this.#families.has(family.name)) throw new TypeError(`Metric ${family.name} is registered twice`);
    this.#families.set(family.name, family);
    return family;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    if (!name.endsWith("_total")) throw new TypeError(`Counter ${name} must end in _total`);
    return this.#add(new Counter(name, help, labelNames, this.maxSeries));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames, this.maxSeries));
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = DURATION_BUCKETS_SECONDS,
  ): Histogram {
    return this.#add(new Histogram(name, help, labelNames, this.maxSeries, buckets));
  }

  /** Run `collector` at every scrape (it must be quick and must not throw). */
  collect(collector: (out: Exposition) => void): void {
    this.#collectors.push(collector);
  }

  /** The whole exposition, text format 0.0.4. */
  render(): string {
    const lines: string[] = [];
    const seen = new Set<string>(this.#families.keys());
    for (const family of this.#families.values()) family.renderInto(lines);
    for (const collector of this.#collectors) {
      const out = new Exposition(seen);
      try {
        collector(out);
        lines.push(...out.lines);
      } catch (error) {
        // A collector's bug costs its own metrics, not the scrape: say so in the output itself.
        lines.push(`# collector failed: ${String((error as Error).message).replace(/\n/g, " ")}`);
      }
    }
    return lines.join("\n") + "\n";
  }
}
