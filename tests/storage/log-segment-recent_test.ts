/**
 * A segment finds its latest appended batches without reading headers from the file
 * (LogSegment's recent locations), and answers translate() exactly as the header scan does.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { LogSegment } from "../../src/storage/log-segment.ts";
import { segmentFileName } from "../../src/storage/segment-names.ts";
import { buildBatch, tempLogDir } from "./batches.ts";

const INDEX_INTERVAL = 4096;

/** Batches of 1-5 records with offset gaps between some (as compaction leaves). */
function appendBatches(segment: LogSegment, count: number, firstOffset: number): number {
  let offset = firstOffset;
  for (let i = 0; i < count; i++) {
    const records = 1 + (i % 5);
    const batch = buildBatch({ baseOffset: offset, records, valueBytes: 200 + 37 * i });
    segment.append(batch, 0, batch.length);
    offset += records + (i % 3 === 0 ? 2 : 0);
  }
  return offset;
}

/** Every translate(offset, startPosition) of `segment`, for the offsets and start positions given. */
function answers(segment: LogSegment, offsets: number[], starts: number[]): string[] {
  const out: string[] = [];
  for (const offset of offsets) {
    for (const start of starts) {
      out.push(`${offset}@${start}: ${JSON.stringify(segment.translate(offset, start))}`);
    }
  }
  return out;
}

function batchPositions(segment: LogSegment): number[] {
  const positions: number[] = [];
  for (let at = 0; at < segment.sizeBytes;) {
    const batch = segment.translate(-1, at);
    if (batch === null) break;
    positions.push(batch.position);
    at = batch.position + batch.sizeBytes;
  }
  return positions;
}

Deno.test("translate from the recent appends answers as the header scan does, after a cut too", () => {
  using dir = tempLogDir();
  const segment = LogSegment.create(dir.path, 100, INDEX_INTERVAL);
  const end = appendBatches(segment, 40, 100);
  const offsets = Array.from({ length: end - 100 + 2 }, (_, i) => 99 + i);
  const check = () => {
    // A segment opened from the same file has no recent locations: it scans headers.
    const scanned = LogSegment.open(dir.path, 100, INDEX_INTERVAL);
    try {
      assert.equal(scanned.loadIndexes() || scanned.recover(1 << 20).truncatedBytes === 0, true);
      segment.flushSync();
      const starts = [0, ...batchPositions(scanned)];
      assert.deepEqual(answers(segment, offsets, starts), answers(scanned, offsets, starts));
    } finally {
      scanned.close();
    }
  };
  check();
  assert.ok(segment.truncateTo(end - 9) > 0);
  check(); // the cut forgot the locations past it
  appendBatches(segment, 3, segment.nextOffset);
  check(); // a few appends after the cut: kept locations cover only them
  segment.close();
});

Deno.test("the latest batches are found without reading their headers from the file", () => {
  using dir = tempLogDir();
  const segment = LogSegment.create(dir.path, 0, INDEX_INTERVAL);
  const end = appendBatches(segment, 30, 0);
  const last = segment.translate(end - 1)!;
  const before = segment.translate(last.baseOffset - 1)!;
  // Overwrite the last two batches' headers on disk: a header read would now fail.
  const file = `${dir.path}/${segmentFileName(0, ".log")}`;
  const fd = fs.openSync(file, "r+");
  try {
    fs.writeSync(fd, new Uint8Array(61).fill(0xff), 0, 61, before.position);
    fs.writeSync(fd, new Uint8Array(61).fill(0xff), 0, 61, last.position);
  } finally {
    fs.closeSync(fd);
  }
  assert.deepEqual(segment.translate(end - 1), last);
  assert.deepEqual(segment.translate(before.baseOffset), before);
  assert.deepEqual(segment.translate(before.baseOffset, before.position), before);
  segment.close();
  // The same file opened afresh scans those headers, and finds them broken.
  const reopened = LogSegment.open(dir.path, 0, INDEX_INTERVAL);
  try {
    reopened.loadIndexes();
    assert.equal(reopened.translate(end - 1, before.position), null);
  } finally {
    reopened.close();
  }
});
