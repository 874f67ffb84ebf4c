/**
 * ProducerState, the idempotence rules on their own: duplicates answered with their first offset,
 * gaps, stale and new epochs, unknown producers, sequence wrap, expiry, and the snapshot codec.
 */
import assert from "node:assert/strict";
import {
  BATCHES_PER_PRODUCER,
  ControlType,
  type ProducerBatchHeader,
  ProducerState,
} from "../../../src/broker/partition/producer-state.ts";
import { Attributes } from "../../../src/kafka/record-batch.ts";
import { ErrorCode } from "../../../src/kafka/errors.ts";

const PID = 4242n;

function batch(
  baseSequence: number,
  records: number,
  baseOffset: number,
  options: { producerId?: bigint; epoch?: number; attributes?: number } = {},
): ProducerBatchHeader {
  return {
    baseOffset,
    attributes: options.attributes ?? 0,
    lastOffsetDelta: records - 1,
    producerId: options.producerId ?? PID,
    producerEpoch: options.epoch ?? 0,
    baseSequence,
  };
}

/** check, then apply when accepted (what the leader does) at time nowMs. */
function append(state: ProducerState, header: ProducerBatchHeader, nowMs = 1_000) {
  const verdict = state.check([header]);
  if (verdict.kind === "append") state.apply(header, nowMs);
  return verdict;
}

Deno.test("a new producer starts at sequence 0 and continues without gaps", () => {
  const state = new ProducerState();
  assert.deepEqual(append(state, batch(0, 3, 10)), { kind: "append" });
  assert.deepEqual(append(state, batch(3, 2, 13)), { kind: "append" });
  assert.equal(state.entry(PID)?.batches.length, 2);
  const gap = append(state, batch(6, 1, 15));
  assert.equal(gap.kind === "error" && gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(state.entry(PID)?.batches.length, 2, "a refused batch changes nothing");
});

Deno.test("a repeated batch among the last five is a duplicate with its first offsets; older ones are out of order", () => {
  const state = new ProducerState();
  for (let i = 0; i < 7; i++) append(state, batch(i * 2, 2, 100 + i * 2));
  assert.equal(state.entry(PID)?.batches.length, BATCHES_PER_PRODUCER);
  // Batches 2..6 are remembered: sequence 4..5 went to offsets 104..105.
  assert.deepEqual(state.check([batch(4, 2, 0)]), { kind: "duplicate", firstOffset: 104, lastOffset: 105 });
  assert.deepEqual(state.check([batch(12, 2, 0)]), { kind: "duplicate", firstOffset: 112, lastOffset: 113 });
  const forgotten = state.check([batch(0, 2, 0)]);
  assert.equal(forgotten.kind === "error" && forgotten.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  // Same first sequence but another length is not the same batch.
  const reshaped = state.check([batch(4, 3, 0)]);
  assert.equal(reshaped.kind, "error");
});

Deno.test("an unknown producer id with a non-zero sequence is UNKNOWN_PRODUCER_ID", () => {
  const state = new ProducerState();
  const verdict = state.check([batch(5, 1, 0)]);
  assert.equal(verdict.kind === "error" && verdict.errorCode, ErrorCode.UNKNOWN_PRODUCER_ID);
  assert.equal(state.size, 0);
});

Deno.test("epochs: an older one is INVALID_PRODUCER_EPOCH, a newer one restarts the sequence at 0", () => {
  const state = new ProducerState();
  append(state, batch(0, 5, 0, { epoch: 3 }));
  const stale = state.check([batch(5, 1, 5, { epoch: 2 })]);
  assert.equal(stale.kind === "error" && stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  const badStart = state.check([batch(5, 1, 5, { epoch: 4 })]);
  assert.equal(badStart.kind === "error" && badStart.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.deepEqual(append(state, batch(0, 1, 5, { epoch: 4 })), { kind: "append" });
  assert.equal(state.entry(PID)?.epoch, 4);
  assert.deepEqual(state.entry(PID)?.batches.map((b) => b.firstSeq), [0], "the old epoch's batches are gone");
});

Deno.test("sequences wrap to 0 after 2^31-1", () => {
  const state = new ProducerState();
  append(state, batch(0, 1, 0, { epoch: 1 }));
  // A producer far along: rebuild it from a batch ending at the largest sequence.
  const far = new ProducerState();
  far.apply(batch(0x7fff_fffe, 2, 50), 1_000);
  assert.equal(far.entry(PID)?.batches[0].lastSeq, 0x7fff_ffff);
  assert.deepEqual(far.check([batch(0, 1, 52)]), { kind: "append" });
  const wrong = far.check([batch(1, 1, 52)]);
  assert.equal(wrong.kind, "error");
});

Deno.test("batches of one request are checked against what the earlier ones leave", () => {
  const state = new ProducerState();
  assert.deepEqual(state.check([batch(0, 2, 0), batch(2, 2, 2)]), { kind: "append" });
  const gap = state.check([batch(0, 2, 0), batch(3, 2, 2)]);
  assert.equal(gap.kind === "error" && gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.deepEqual(state.check([batch(0, 1, 0, { producerId: -1n }), batch(0, 1, 1)]), { kind: "append" });
});

Deno.test("control batches move the epoch without a sequence; plain batches are ignored", () => {
  const state = new ProducerState();
  state.apply(batch(-1, 1, 0, { producerId: -1n }), 1_000);
  assert.equal(state.size, 0);
  append(state, batch(0, 1, 0, { epoch: 1 }));
  state.apply(
    batch(-1, 1, 1, { epoch: 2, attributes: Attributes.control | Attributes.transactional }),
    1_000,
  );
  assert.equal(state.entry(PID)?.epoch, 2);
  assert.deepEqual(state.entry(PID)?.batches, []);
});

Deno.test("expiry forgets producers idle for the expiration time (on the broker's clock)", () => {
  const state = new ProducerState();
  append(state, batch(0, 1, 0, { producerId: 1n }), 1_000);
  append(state, batch(0, 1, 1, { producerId: 2n }), 5_000);
  assert.equal(state.expire(6_000, 5_000), 1);
  assert.equal(state.entry(1n), undefined);
  assert.ok(state.entry(2n));
  // Forgotten: its next sequence is now from an unknown producer.
  const verdict = state.check([batch(1, 1, 2, { producerId: 1n })]);
  assert.equal(verdict.kind === "error" && verdict.errorCode, ErrorCode.UNKNOWN_PRODUCER_ID);
});

Deno.test("a snapshot round-trips and a damaged one is refused", () => {
  const state = new ProducerState();
  for (let i = 0; i < 7; i++) append(state, batch(i, 1, i, { producerId: 7n, epoch: 2 }), 900 + i);
  append(state, batch(0, 3, 7, { producerId: 8n }));
  const bytes = state.encode();
  const copy = ProducerState.decode(bytes);
  assert.equal(copy.size, 2);
  assert.deepEqual(copy.entry(7n), state.entry(7n));
  assert.deepEqual(copy.entry(8n), state.entry(8n));
  assert.deepEqual(copy.check([batch(6, 1, 0, { producerId: 7n, epoch: 2 })]), {
    kind: "duplicate",
    firstOffset: 6,
    lastOffset: 6,
  });
  const damaged = bytes.slice();
  damaged[10] ^= 0xff;
  assert.throws(() => ProducerState.decode(damaged), /CRC/);
  assert.throws(() => ProducerState.decode(bytes.subarray(0, 5)), /truncated/);
});

const TXN = Attributes.transactional;
const MARKER = Attributes.transactional | Attributes.control;

Deno.test("transactions: the first transactional batch opens, a marker closes; aborts are remembered", () => {
  const state = new ProducerState();
  assert.equal(state.firstUnstableOffset, Infinity);
  append(state, batch(0, 2, 10, { attributes: TXN }));
  append(state, batch(2, 2, 12, { attributes: TXN }));
  append(state, batch(0, 1, 11, { producerId: 5n, attributes: TXN }));
  assert.equal(state.firstUnstableOffset, 10, "the oldest open transaction's first offset");
  state.apply(batch(-1, 1, 14, { attributes: MARKER }), 1_000, ControlType.commit);
  assert.equal(state.firstUnstableOffset, 11);
  state.apply(batch(-1, 1, 15, { producerId: 5n, attributes: MARKER }), 1_000, ControlType.abort);
  assert.equal(state.firstUnstableOffset, Infinity);
  assert.deepEqual(state.abortedTransactions(0, 100), [{ producerId: 5n, firstOffset: 11, lastOffset: 15 }]);
  assert.deepEqual(state.abortedTransactions(16, 100), [], "ended before the fetch offset");
  assert.deepEqual(state.abortedTransactions(0, 11), [], "began at or after the read's end");
  // Sequences continue across transactions in the same epoch.
  assert.deepEqual(append(state, batch(4, 1, 16, { attributes: TXN })), { kind: "append" });
  state.trimAborted(16);
  assert.deepEqual(state.abortedTransactions(0, 100), []);
});

Deno.test("transactions: a stale marker is refused, an open transaction keeps its producer from expiring", () => {
  const state = new ProducerState();
  append(state, batch(0, 1, 0, { epoch: 3, attributes: TXN }));
  const stale = state.check([batch(-1, 1, 1, { epoch: 2, attributes: MARKER })]);
  assert.equal(stale.kind === "error" && stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.deepEqual(state.check([batch(-1, 1, 1, { epoch: 3, attributes: MARKER })]), { kind: "append" });
  assert.equal(state.expire(10_000_000, 1_000), 0);
  const copy = ProducerState.decode(state.encode());
  assert.equal(copy.firstUnstableOffset, 0, "the snapshot carries open transactions");
  copy.apply(batch(-1, 1, 1, { epoch: 3, attributes: MARKER }), 1_000, ControlType.abort);
  const again = ProducerState.decode(copy.encode());
  assert.deepEqual(again.abortedTransactions(0, 10), [{ producerId: PID, firstOffset: 0, lastOffset: 1 }]);
  assert.equal(again.expire(10_000_000, 1_000), 1);
});
