import assert from "node:assert/strict";
import { OffsetIndex, TimeIndex } from "../../src/storage/index-file.ts";
import { tempLogDir } from "./batches.ts";

Deno.test("offset index: floor lookup, truncation by position, persist and reload", () => {
  using dir = tempLogDir();
  const index = new OffsetIndex(`${dir.path}/a.index`, 1000);
  assert.deepEqual(index.lookup(1500), { offset: 1000, position: 0 }, "empty: segment start");
  for (let i = 0; i < 500; i++) index.append(1000 + i * 10, i * 4096);
  assert.deepEqual(index.lookup(1000), { offset: 1000, position: 0 });
  assert.deepEqual(index.lookup(1019), { offset: 1010, position: 4096 });
  assert.deepEqual(index.lookup(999_999), { offset: 5990, position: 499 * 4096 });
  index.persist(true);
  assert.equal(Deno.statSync(`${dir.path}/a.index`).size, 500 * 8);
  index.truncateToPosition(4096 * 3);
  assert.deepEqual(index.last(), { offset: 1020, position: 8192 });
  index.persist(false);
  assert.equal(Deno.statSync(`${dir.path}/a.index`).size, 3 * 8, "the file is cut too");
  const loaded = new OffsetIndex(`${dir.path}/a.index`, 1000);
  assert.equal(loaded.load(1 << 20), true);
  assert.deepEqual(loaded.last(), { offset: 1020, position: 8192 });
});

Deno.test("offset index load refuses oversized, ragged or unordered files", () => {
  using dir = tempLogDir();
  const file = `${dir.path}/b.index`;
  const index = new OffsetIndex(file, 0);
  // Missing: an index without entries (persist writes no file for those).
  assert.equal(index.load(1024), true, "missing");
  assert.equal(index.count, 0);
  Deno.writeFileSync(file, new Uint8Array(12));
  assert.equal(index.load(1024), false, "not a multiple of 8");
  Deno.writeFileSync(file, new Uint8Array(2048));
  assert.equal(index.load(1024), false, "over the bound");
  const unordered = new Uint8Array(16);
  new DataView(unordered.buffer).setInt32(0, 5);
  Deno.writeFileSync(file, unordered);
  assert.equal(index.load(1024), false, "offsets go backwards");
  assert.equal(index.count, 0);
});

Deno.test("time index: keeps a rising running max; lookupStart gives the last entry below the target", () => {
  using dir = tempLogDir();
  const index = new TimeIndex(`${dir.path}/a.timeindex`, 100);
  assert.equal(index.lookupStart(5), 100);
  index.maybeAppend(1000, 100);
  index.maybeAppend(900, 110); // not above the max: ignored
  index.maybeAppend(2 ** 41, 120);
  assert.equal(index.count, 2);
  assert.equal(index.lastTimestampMs, 2 ** 41);
  assert.equal(index.lookupStart(1000), 100, "nothing strictly below 1000: from the start");
  assert.equal(index.lookupStart(1001), 100);
  assert.equal(index.lookupStart(2 ** 41 + 1), 120);
  index.persist(false);
  const loaded = new TimeIndex(`${dir.path}/a.timeindex`, 100);
  assert.equal(loaded.load(1024), true);
  assert.equal(loaded.lastTimestampMs, 2 ** 41);
  loaded.truncateToOffset(120);
  assert.equal(loaded.lastTimestampMs, 1000);
});
