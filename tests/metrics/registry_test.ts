import assert from "node:assert/strict";
import { MetricsRegistry } from "../../src/metrics/registry.ts";

Deno.test("the registry renders counters, gauges and histograms in the text format", () => {
  const registry = new MetricsRegistry();
  const bytes = registry.counter("t_bytes_total", "Bytes.", ["topic"]);
  bytes.labels("a").inc(3);
  bytes.labels("a").inc(2);
  bytes.labels('we"ird\\\n').inc();
  registry.gauge("t_size", "Size.").set(7);
  const latency = registry.histogram("t_seconds", "Latency.", ["api"], [0.1, 1]);
  latency.labels("Fetch").observe(0.05);
  latency.labels("Fetch").observe(0.5);
  latency.labels("Fetch").observe(5);
  registry.collect((out) => {
    const a = out.gauge("t_live", "Live.");
    const b = out.gauge("t_dead", "Dead.");
    a.sample({ role: "leader" }, 2);
    b.sample({}, 0);
    a.sample({ role: "follower" }, 1);
  });
  assert.equal(
    registry.render(),
    [
      "# HELP t_bytes_total Bytes.",
      "# TYPE t_bytes_total counter",
      't_bytes_total{topic="a"} 5',
      't_bytes_total{topic="we\\"ird\\\\\\n"} 1',
      "# HELP t_size Size.",
      "# TYPE t_size gauge",
      "t_size 7",
      "# HELP t_seconds Latency.",
      "# TYPE t_seconds histogram",
      't_seconds_bucket{api="Fetch",le="0.1"} 1',
      't_seconds_bucket{api="Fetch",le="1"} 2',
      't_seconds_bucket{api="Fetch",le="+Inf"} 3',
      't_seconds_sum{api="Fetch"} 5.55',
      't_seconds_count{api="Fetch"} 3',
      "# HELP t_live Live.",
      "# TYPE t_live gauge",
      't_live{role="leader"} 2',
      't_live{role="follower"} 1',
      "# HELP t_dead Dead.",
      "# TYPE t_dead gauge",
      "t_dead 0",
      "",
    ].join("\n"),
  );
});

Deno.test("label sets are bounded: past maxSeries new values fold into 'other'", () => {
  const registry = new MetricsRegistry(2);
  const counter = registry.counter("t_total", "T.", ["topic"]);
  for (const topic of ["a", "b", "c", "d"]) counter.labels(topic).inc();
  const text = registry.render();
  assert.match(text, /t_total\{topic="a"\} 1/);
  assert.match(text, /t_total\{topic="other"\} 2/);
  assert.doesNotMatch(text, /topic="c"/);
});

Deno.test("bad names, duplicate families, and a counter without _total are refused; a failing collector costs only itself", () => {
  const registry = new MetricsRegistry();
  assert.throws(() => registry.gauge("bad-name", "x"), TypeError);
  assert.throws(() => registry.counter("t_things", "x"), /must end in _total/);
  registry.gauge("t_g", "x");
  assert.throws(() => registry.gauge("t_g", "x"), /twice/);
  registry.collect(() => {
    throw new Error("boom");
  });
  registry.collect((out) => out.gauge("t_after", "x").sample({}, 1));
  const text = registry.render();
  assert.match(text, /# collector failed: boom/);
  assert.match(text, /t_after 1/);
});
