/** Where the latency bench says the slowest records' time went (bench/client-latency.ts). */
import assert from "node:assert/strict";
import { StageLog, stagesOfSlowest } from "../../bench/client-latency.ts";

Deno.test("stagesOfSlowest averages the slowest 1% and 0.1% of the records received, not the lost ones", () => {
  const total = 1_000;
  const received = 995; // the last five never arrived: their latency stays NaN
  const log = new StageLog(total, true);
  for (let i = 0; i < total; i++) {
    log.sentAt[i] = 1_000 + i;
    log.offset[i] = i;
    if (i >= received) continue;
    log.latency[i] = i + 1;
    log.appendedAt[i] = log.sentAt[i] + 2;
    // One batch per record: base offset, created, closed, sent, written, answered.
    const sent = log.sentAt[i];
    log.batches.push(i, sent, sent + 0.5, sent + 0.75, sent + 1, sent + 5);
  }
  const stages = stagesOfSlowest(log, 1_000)!;
  // 1% of 995 received is 9 records: latencies 987..995 ms, sent 0.986..0.994 s into the run.
  assert.deepEqual(stages[0], {
    share: "1%",
    inBatchMs: 0.5,
    toRequestMs: 0.25,
    toWrittenMs: 0.25,
    toAppendMs: 1,
    toAnswerMs: 3,
    toConsumerMs: 991 - 2,
    sentAtSeconds: [1],
  });
  // 0.1% rounds down to none, so the one slowest record: 995 ms.
  assert.equal(stages[1].share, "0.1%");
  assert.equal(stages[1].toConsumerMs, 995 - 2);
});

Deno.test("stagesOfSlowest reports nothing when no record arrived", () => {
  const log = new StageLog(10, true);
  assert.equal(stagesOfSlowest(log, 0), undefined);
});
