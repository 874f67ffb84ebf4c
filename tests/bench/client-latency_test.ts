/** Where the latency bench says the slowest records' time went (bench/client-latency.ts). */
import assert from "node:assert/strict";
import { BatchStageLog, StageLog, stagesOfSlowest } from "../../bench/client-latency.ts";

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

Deno.test("the batch log keeps every batch's fields across its chunks, and stagesOfSlowest finds them", () => {
  const total = 96;
  const logOf = (chunkBatches: number) => {
    const log = new StageLog(total, true);
    log.batches = new BatchStageLog(chunkBatches);
    // Batches of four records, acknowledged out of offset order (pairs swapped), the later ones
    // slower in every stage.
    for (let i = 0; i < total; i++) {
      log.sentAt[i] = 1_000 + i;
      log.offset[i] = i;
      log.latency[i] = 1 + i / 10;
      log.appendedAt[i] = log.sentAt[i] + 0.5;
    }
    for (let pair = 0; pair < total / 8; pair++) {
      for (const batch of [2 * pair + 1, 2 * pair]) {
        const sent = 1_000 + batch * 4;
        log.batches.push(batch * 4, sent, sent + batch, sent + 2 * batch, sent + 3 * batch, sent + 4 * batch);
      }
    }
    return log;
  };
  const chunked = logOf(3);
  assert.equal(chunked.batches.count, total / 4);
  assert.equal(chunked.batches.at(7, 0), 24); // batch 7 of the log (acknowledged eighth) is offsets 24..27
  assert.equal(chunked.batches.at(7, 5), 1_000 + 24 + 4 * 6);
  const stages = stagesOfSlowest(chunked, 1_000)!;
  assert.deepEqual(stages, stagesOfSlowest(logOf(1_000), 1_000));
  // The slowest 1% is one record, 95, in batch 23 (offsets 92..95, logged 23rd, in the eighth
  // chunk): the batch closed 23 ms after 1,092 ms, 20 ms after the record's send time, and its
  // request was made 23 ms after that.
  assert.equal(stages[0].inBatchMs, 1_092 + 23 - 1_095);
  assert.equal(stages[0].toRequestMs, 23);
  chunked.batches.clear();
  assert.equal(chunked.batches.count, 0);
});

Deno.test("stagesOfSlowest reports nothing when no record arrived", () => {
  const log = new StageLog(10, true);
  assert.equal(stagesOfSlowest(log, 0), undefined);
});
