/**
 * The log under disk faults, without a broker: the start-up CRC check of a log trusted after a
 * clean shutdown finds a flipped bit or a zeroed run in the middle and truncation removes exactly
 * the damage and what follows; and a full disk (a small tmpfs: needs root) takes the log offline
 * with KAFKA_STORAGE_ERROR, keeps every appended byte, and a reopen recovers it.
 */
import assert from "node:assert/strict";
import { PartitionLog, type PartitionLogOptions, StorageError } from "../../src/storage/mod.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { parseSegmentBaseOffset } from "../../src/storage/segment-names.ts";
import { batchBaseOffsets, buildBatch, tempLogDir } from "./batches.ts";
import { NETNS_PEERS } from "../helpers/netns.ts";
import { peerTest } from "../helpers/peers.ts";
import { fillTmpfs, mountTmpfs } from "../helpers/tmpfs.ts";

const quiet = () => {};

function openLog(dir: string, options: Partial<PartitionLogOptions> = {}): PartitionLog {
  return PartitionLog.open({ dir, logger: quiet, config: { segmentBytes: 4096 }, ...options });
}

/** A log of `batches` batches of 10 records, cleanly closed; returns its segment files, oldest first. */
function writeLog(dir: string, batches: number): string[] {
  const log = openLog(dir);
  for (let i = 0; i < batches; i++) log.appendAsLeader(buildBatch({ records: 10, fill: i % 250 }), 0);
  log.close();
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => parseSegmentBaseOffset(n) !== null)
    .sort()
    .map((name) => `${dir}/${name}`);
}

Deno.test("the start-up check finds a flipped bit in the middle of a cleanly closed log; truncation removes it and what follows", () => {
  using dir = tempLogDir();
  const files = writeLog(dir.path, 60);
  assert.ok(files.length >= 4, `several segments (${files.length})`);
  const damagedBase = parseSegmentBaseOffset(files[1].slice(files[1].lastIndexOf("/") + 1))!;
  const bytes = Deno.readFileSync(files[1]);
  bytes[Math.floor(bytes.length / 2)] ^= 0x10;
  Deno.writeFileSync(files[1], bytes);

  // Without the check the open trusts everything (the clean-shutdown marker), as before.
  const trusting = openLog(dir.path);
  assert.equal(trusting.verified, true);
  trusting.close();

  const lines: string[] = [];
  const log = openLog(dir.path, { verifyTrusted: true, logger: (line) => lines.push(line) });
  assert.equal(log.verified, false);
  const end = log.logEndOffset;
  let read = 0;
  while (log.damage === null && !log.verified) read += log.verifySome(1024);
  const damage = log.damage!;
  assert.ok(damage !== null, "damage found");
  assert.equal(damage.segmentBaseOffset, damagedBase);
  assert.ok(damage.offset > damagedBase && damage.offset < end, `damage at ${damage.offset}, inside the log`);
  assert.equal(damage.offset % 10, 0, "on a batch boundary");
  assert.ok(read > 0);
  assert.match(lines.join("\n"), /CRC check found a bad batch/);
  assert.equal(log.verified, false, "not verified while the damage is there");

  log.truncateAtDamage();
  assert.equal(log.verified, true);
  assert.equal(log.logEndOffset, damage.offset);
  // What is left reads back whole, batch after batch, up to the damage.
  let offset = 0;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, 1 << 20);
    const bases = batchBaseOffsets(records);
    assert.ok(bases.length > 0);
    offset = bases.at(-1)! + 10;
  }
  assert.equal(offset, damage.offset);
  log.close();
});

Deno.test("a zeroed run inside a batch is found; an intact log is checked to its end with nothing removed", () => {
  using dir = tempLogDir();
  const files = writeLog(dir.path, 40);
  const clean = openLog(dir.path, { verifyTrusted: true });
  while (!clean.verified) clean.verifySome(512);
  assert.equal(clean.damage, null);
  assert.equal(clean.logEndOffset, 400);
  clean.close();

  // Zeroes in the records of the second batch of the third segment: its header stays readable,
  // so the open (which reads headers only) trusts it and the CRC check must find it.
  const bytes = Deno.readFileSync(files[2]);
  const batchBytes = 12 + new DataView(bytes.buffer).getInt32(8);
  bytes.fill(0, batchBytes + 70, batchBytes + 90);
  Deno.writeFileSync(files[2], bytes);
  const segmentBase = parseSegmentBaseOffset(files[2].slice(files[2].lastIndexOf("/") + 1))!;
  const log = openLog(dir.path, { verifyTrusted: true });
  assert.equal(log.logEndOffset, 400, "the open trusted the damaged segment");
  while (log.damage === null && !log.verified) log.verifySome(1 << 20);
  assert.equal(log.damage?.offset, segmentBase + 10);
  assert.match(log.damage?.reason ?? "", /CRC/);
  log.truncateAtDamage();
  assert.equal(log.logEndOffset, segmentBase + 10);
  log.close();
  // The truncated log opens again as it was left, and checks clean.
  const again = openLog(dir.path, { verifyTrusted: true });
  while (!again.verified) again.verifySome(1 << 20);
  assert.equal(again.damage, null);
  assert.equal(again.logEndOffset, segmentBase + 10);
  again.close();
});

peerTest(
  "a full disk takes the log offline with KAFKA_STORAGE_ERROR; everything appended before survives a reopen",
  NETNS_PEERS,
  async () => {
    await using disk = await mountTmpfs(1024 * 1024);
    const dir = `${disk.path}/t-0`;
    const filler = await fillTmpfs(disk.path, 128 * 1024);
    const reasons: string[] = [];
    const log = openLog(dir, { onOffline: (reason) => reasons.push(reason) });
    let appended = 0;
    let failure: unknown;
    for (let i = 0; i < 10_000 && failure === undefined; i++) {
      try {
        log.appendAsLeader(buildBatch({ records: 10, fill: i % 250 }), 0);
        appended += 10;
      } catch (error) {
        failure = error;
      }
    }
    assert.ok(
      failure instanceof StorageError && failure.errorCode === ErrorCode.KAFKA_STORAGE_ERROR,
      `the append that found the disk full fails with KAFKA_STORAGE_ERROR: ${failure}`,
    );
    assert.equal(log.logEndOffset, appended, "the failed append did not move the log end");
    assert.equal(reasons.length, 1, "reported offline once");
    assert.match(log.offline ?? "", /space/i);
    for (const attempt of [() => log.read(0, 100), () => log.appendAsLeader(buildBatch(), 0)]) {
      assert.throws(
        attempt,
        (e) => e instanceof StorageError && e.errorCode === ErrorCode.KAFKA_STORAGE_ERROR,
      );
    }
    log.close(); // no clean-shutdown marker: the next open walks the tail
    // Still full: the open itself fails with the disk's error (the broker keeps the replica offline).
    assert.throws(() => openLog(dir), (e) => (e as { code?: string }).code === "ENOSPC");
    await Deno.remove(filler);
    const reopened = openLog(dir);
    assert.equal(reopened.logEndOffset, appended, "every acknowledged record is still there, nothing more");
    let offset = 0;
    while (offset < appended) {
      const bases = batchBaseOffsets(reopened.read(offset, 1 << 20).records);
      assert.equal(bases[0], offset);
      offset = bases.at(-1)! + 10;
    }
    reopened.close();
  },
);
