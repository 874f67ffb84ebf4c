/**
 * The partition checker on small hand-made histories: each anomaly it must find, a clean history
 * it must pass, and the unavailability arithmetic.
 */
import assert from "node:assert/strict";
import {
  check,
  formatReport,
  type History,
  type LogRecord,
  type ProduceEntry,
  type ReadEntry,
} from "./checker.ts";

function ack(partition: number, offset: number, value: string, end = 0): ProduceEntry {
  return { type: "ok", writer: "w", partition, offset, value, start: end - 1, end };
}

function read(consumer: string, partition: number, offset: number, value: string): ReadEntry {
  return { consumer, partition, offset, value, t: 0 };
}

function log(...values: string[]): LogRecord[] {
  return values.map((value, offset) => ({ offset, value }));
}

function history(parts: Partial<History>): History {
  return { produced: [], reads: [], final: new Map(), replicas: [], faults: [], endTime: 0, ...parts };
}

const options = { idempotent: false };

Deno.test("a clean history passes and counts what it saw", () => {
  const report = check(
    history({
      produced: [ack(0, 0, "a"), ack(0, 1, "b"), {
        type: "fail",
        writer: "w",
        partition: 0,
        value: "c",
        start: 0,
        end: 1,
        error: "REQUEST_TIMED_OUT",
      }],
      reads: [read("c1", 0, 0, "a"), read("c1", 0, 1, "b"), read("c2", 0, 0, "a")],
      // An unacknowledged write may land: that is no anomaly.
      final: new Map([[0, log("a", "b", "c")]]),
      replicas: [
        { partition: 0, broker: 1, bytes: 10, digest: "x" },
        { partition: 0, broker: 2, bytes: 10, digest: "x" },
      ],
    }),
    options,
  );
  assert.equal(report.valid, true, report.problems.join("\n"));
  assert.deepEqual(report.counts, { acknowledged: 2, failed: 1, reads: 3, finalRecords: 3 });
});

Deno.test("an acknowledged record missing from the final read is lost", () => {
  const report = check(
    history({ produced: [ack(0, 0, "a"), ack(0, 1, "b")], final: new Map([[0, log("a")]]) }),
    options,
  );
  assert.deepEqual(report.anomalies.lost, [{ partition: 0, offset: 1, value: "b" }]);
  assert.equal(report.valid, false);
  assert.match(report.problems[0], /^lost acknowledged records: 1 \(p0@1 b\)/);
});

Deno.test("a record acknowledged at one offset and found at another is moved, and the offset is inconsistent", () => {
  const report = check(
    history({ produced: [ack(0, 0, "a"), ack(0, 1, "b")], final: new Map([[0, log("a", "x", "b")]]) }),
    options,
  );
  assert.deepEqual(report.anomalies.moved, [{ partition: 0, value: "b", ackedOffset: 1, finalOffsets: [2] }]);
  assert.deepEqual(report.anomalies.inconsistentOffsets, [{ partition: 0, offset: 1, values: ["b", "x"] }]);
  assert.deepEqual(report.anomalies.lost, []);
});

Deno.test("two consumers seeing different values at one offset is an inconsistent offset", () => {
  const report = check(
    history({
      reads: [read("c1", 1, 0, "a"), read("c2", 1, 0, "z")],
      final: new Map([[1, log("a")]]),
    }),
    options,
  );
  assert.deepEqual(report.anomalies.inconsistentOffsets, [{ partition: 1, offset: 0, values: ["a", "z"] }]);
  assert.deepEqual(report.anomalies.dirtyReads, [{ consumer: "c2", partition: 1, offset: 0, value: "z" }]);
});

Deno.test("a read of a value the final log lacks is a dirty read", () => {
  const report = check(
    history({ reads: [read("c1", 0, 0, "a"), read("c1", 0, 1, "gone")], final: new Map([[0, log("a")]]) }),
    options,
  );
  assert.deepEqual(report.anomalies.dirtyReads, [{ consumer: "c1", partition: 0, offset: 1, value: "gone" }]);
});

Deno.test("a consumer going back or repeating an offset reads non-monotonically; jumping over records skips", () => {
  const report = check(
    history({
      reads: [read("c1", 0, 0, "a"), read("c1", 0, 3, "d"), read("c1", 0, 2, "c"), read("c1", 0, 2, "c")],
      final: new Map([[0, log("a", "b", "c", "d")]]),
    }),
    options,
  );
  assert.deepEqual(report.anomalies.nonMonotonic, [
    { consumer: "c1", partition: 0, previous: 3, offset: 2 },
    { consumer: "c1", partition: 0, previous: 2, offset: 2 },
  ]);
  assert.deepEqual(report.anomalies.skipped, [{ consumer: "c1", partition: 0, from: 0, to: 3, missing: 2 }]);
  // Two consumers are tracked apart: c2 starting over at 0 is not a step back for c1.
  const apart = check(
    history({ reads: [read("c1", 0, 1, "b"), read("c2", 0, 0, "a")], final: new Map([[0, log("a", "b")]]) }),
    options,
  );
  assert.deepEqual(apart.anomalies.nonMonotonic, []);
});

Deno.test("duplicates are reported always and fail only an idempotent producer", () => {
  const h = history({ produced: [ack(0, 1, "a")], final: new Map([[0, log("a", "a")]]) });
  const plain = check(h, { idempotent: false });
  assert.deepEqual(plain.anomalies.duplicates, [{ partition: 0, value: "a", offsets: [0, 1] }]);
  assert.equal(plain.valid, true);
  const idempotent = check(h, { idempotent: true });
  assert.equal(idempotent.valid, false);
  assert.match(idempotent.problems.join("\n"), /duplicates from an idempotent producer: 1/);
});

Deno.test("replicas with different bytes or lengths differ", () => {
  const report = check(
    history({
      replicas: [
        { partition: 0, broker: 1, bytes: 10, digest: "x" },
        { partition: 0, broker: 2, bytes: 10, digest: "y" },
        { partition: 1, broker: 1, bytes: 10, digest: "x" },
        { partition: 1, broker: 2, bytes: 10, digest: "x" },
      ],
    }),
    options,
  );
  assert.deepEqual(report.anomalies.replicasDiffer.map((d) => d.partition), [0]);
  assert.match(
    report.problems.join("\n"),
    /replicas not byte-identical: 1 \(p0: broker 1 10 B x, broker 2 10 B y\)/,
  );
});

Deno.test("unavailability: the longest span without an ack from each fault to the next, and heal to first ack", () => {
  const acks = [
    // partition 0: writable until 1000, nothing until 5000, then steady
    ...[900, 1000, 5000, 5100, 7000, 9000, 9100, 12000].map((t, i) => ack(0, i, `p0-${i}`, t)),
    // partition 1: never interrupted by the first fault, silent after 9000 until the end
    ...[1100, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000].map((t, i) => ack(1, i, `p1-${i}`, t)),
  ];
  const report = check(
    history({
      produced: acks,
      faults: [{ name: "isolated-leader", start: 1000, heal: 6000 }, {
        name: "paused",
        start: 8000,
        heal: 8500,
      }],
      endTime: 12_500,
    }),
    options,
  );
  const row = (faultIndex: number, partition: number) =>
    report.unavailability.find((u) => u.faultIndex === faultIndex && u.partition === partition);
  assert.deepEqual(row(0, 0), {
    fault: "isolated-leader",
    faultIndex: 0,
    partition: 0,
    windowMs: 4000,
    afterHealMs: 1000,
  });
  assert.equal(row(0, 1)?.windowMs, 1000);
  assert.equal(row(0, 1)?.afterHealMs, 0, "acknowledged right at the heal");
  assert.equal(row(1, 0)?.windowMs, 2900, "8000 → first ack 9000 is 1000; 9100 → 12000 is 2900");
  assert.equal(row(1, 1)?.windowMs, 3500, "from the last ack at 9000 to the end at 12500");
  assert.equal(row(1, 1)?.afterHealMs, 500);
  assert.match(formatReport(report), /1:paused\s+1\s+3500\s+500/);
});

Deno.test("a partition that never acknowledges after a fault is unwritable to the end, with no ack after the heal", () => {
  const report = check(
    history({
      produced: [ack(0, 0, "a", 500)],
      faults: [{ name: "coordinator-outage", start: 1000, heal: 2000 }],
      endTime: 4000,
    }),
    options,
  );
  assert.deepEqual(report.unavailability, [{
    fault: "coordinator-outage",
    faultIndex: 0,
    partition: 0,
    windowMs: 3000,
    afterHealMs: null,
  }]);
});
