/**
 * Model check: a seeded random run of appends, truncations, rolls, retention, torn writes,
 * crashes (abandon without close) and clean restarts, comparing the log after every step with a
 * plain list of the batches that must be in it.
 */
import assert from "node:assert/strict";
import { PartitionLog } from "../../src/storage/mod.ts";
import { buildBatch, concat, tempLogDir } from "./batches.ts";
import { seededRandom } from "../helpers/random.ts";

interface ModelBatch {
  baseOffset: number;
  records: number;
  epoch: number;
  bytes: Uint8Array;
}

function readAll(log: PartitionLog, next: () => number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let offset = log.logStartOffset;
  for (let guard = 0; offset < log.logEndOffset && guard < 10_000; guard++) {
    const { records, outOfRange } = log.read(offset, 1 + Math.floor(next() * 3000));
    assert.equal(outOfRange, false);
    const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
    for (let at = 0; at < records.length; at += 12 + view.getInt32(at + 8)) {
      offset = view.getUint32(at + 4) + view.getInt32(at + 23) + 1;
    }
    chunks.push(records);
  }
  return concat(...chunks);
}

for (const seed of [1, 2, 3]) {
  Deno.test(`model check, seed ${seed}: appends, truncations, retention, torn writes, crashes and restarts`, () => {
    using dir = tempLogDir();
    const next = seededRandom(seed);
    const config = { segmentBytes: 2048, indexIntervalBytes: 300, retentionMs: -1 };
    let log = PartitionLog.open({ dir: dir.path, config, logger: () => {} });
    let model: ModelBatch[] = [];
    let epoch = 0;
    const modelEnd = () =>
      model.at(-1) ? model.at(-1)!.baseOffset + model.at(-1)!.records : log.logStartOffset;
    for (let step = 0; step < 250; step++) {
      const choice = next();
      if (choice < 0.55) {
        const records = 1 + Math.floor(next() * 4);
        const bytes = buildBatch({ records, valueBytes: 10 + Math.floor(next() * 150), fill: step & 0xff });
        if (next() < 0.1) epoch++;
        const info = log.appendAsLeader(bytes, epoch);
        assert.equal(info.firstOffset, modelEnd());
        model.push({ baseOffset: info.firstOffset, records, epoch, bytes });
      } else if (choice < 0.65 && model.length > 0) {
        const cut = model[Math.floor(next() * model.length)].baseOffset;
        log.truncateTo(cut);
        model = model.filter((batch) => batch.baseOffset < cut);
        epoch++;
      } else if (choice < 0.72) {
        log = PartitionLog.open({ dir: dir.path, config, logger: () => {} }); // crash: the old one is abandoned
      } else if (choice < 0.78) {
        log.close();
        log = PartitionLog.open({ dir: dir.path, config, logger: () => {} });
      } else if (choice < 0.84 && model.length > 0) {
        // A torn write of the last batch, then a crash.
        const files = [...Deno.readDirSync(dir.path)].map((e) => e.name).filter((n) => n.endsWith(".log"))
          .sort();
        const file = `${dir.path}/${files.at(-1)}`;
        const size = Deno.statSync(file).size;
        const last = model.at(-1)!;
        if (size >= last.bytes.length) {
          Deno.truncateSync(file, size - 1 - Math.floor(next() * (last.bytes.length - 1)));
          model.pop();
        }
        log = PartitionLog.open({ dir: dir.path, config, logger: () => {} });
      } else if (choice < 0.9) {
        log.setHighWatermark(log.logEndOffset);
        log.updateConfig({ retentionBytes: 4000 });
        log.enforceRetention();
        log.updateConfig({ retentionBytes: -1 });
        model = model.filter((batch) => batch.baseOffset + batch.records > log.logStartOffset);
      } else {
        log.roll();
      }
      assert.equal(log.logEndOffset, modelEnd(), `step ${step}`);
      const expected = concat(
        ...model.filter((b) => b.baseOffset >= log.segmentBaseOffsets[0]).map((b) => b.bytes),
      );
      assert.deepEqual(readAll(log, next), expected, `bytes after step ${step}`);
      const epochs = log.epochEntries;
      for (const batch of model.filter((b) => b.baseOffset >= log.logStartOffset)) {
        const found = epochs.findLast((entry) => entry.startOffset <= batch.baseOffset);
        assert.equal(found?.epoch, batch.epoch, `epoch of batch ${batch.baseOffset} at step ${step}`);
      }
    }
    log.close();
  });
}
