/**
 * Producer-state snapshot files in a partition directory (Kafka's `.snapshot` files):
 * `<20-digit offset>.snapshot` holds the ProducerState of every batch below that offset. One is
 * written when a segment rolls (at the new segment's base offset) and one when a partition stops
 * being hosted (at the log end), so a reopen replays only the log after the newest snapshot
 * instead of the whole log. (A broker's shutdown keeps the state at the log end in the data
 * directory's clean-shutdown state instead: one file, not one per partition.) A snapshot above the log end (the log was cut in recovery or truncated) describes records
 * the log no longer holds and is deleted; a damaged one is skipped (the next older one serves).
 *
 * Writes are atomic (temp file, fsync, rename) and few: only the newest KEEP_SNAPSHOTS stay (a
 * follower's truncation reaches back at most into the last segments; anything older is found by
 * replaying from the log start).
 *
 * @example
 * ```ts
 * writeProducerSnapshot(dir, 1200, state.encode());
 * const loaded = loadProducerSnapshot(dir, log.logEndOffset); // { offset, state } or null
 * deleteProducerSnapshotsAbove(dir, truncatedTo);
 * ```
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  removeIfExists,
  replaceFileAtomically,
  replaceFileAtomicallyInBackground,
} from "../../storage/file-io.ts";
import { segmentFileName } from "../../storage/segment-names.ts";
import { ProducerState } from "./producer-state.ts";

export const SNAPSHOT_SUFFIX = ".snapshot";
const SNAPSHOT_NAME = /^(\d{20})\.snapshot$/;
/** Snapshots kept per partition. */
export const KEEP_SNAPSHOTS = 3;

/** The offsets of the snapshot files in dir, ascending. */
export function listProducerSnapshots(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return []; // no directory yet: no snapshot
  }
  return snapshotOffsets(names);
}

/** The offsets of the snapshot files among a directory's `names`, ascending. */
function snapshotOffsets(names: Iterable<string>): number[] {
  const offsets: number[] = [];
  for (const name of names) {
    const match = SNAPSHOT_NAME.exec(name);
    if (match) offsets.push(Number(match[1]));
  }
  return offsets.sort((a, b) => a - b);
}

function snapshotFile(dir: string, offset: number): string {
  return path.join(dir, segmentFileName(offset, SNAPSHOT_SUFFIX));
}

/** Write the state of everything below `offset` (encoded), then drop all but the newest KEEP_SNAPSHOTS. */
export function writeProducerSnapshot(dir: string, offset: number, encoded: Uint8Array): void {
  replaceFileAtomically(snapshotFile(dir, offset), encoded);
  keepNewest(dir);
}

/**
 * writeProducerSnapshot for a segment roll, with the file's creation and fsyncs off the event
 * loop (a roll comes every segment.bytes of appends: on a busy broker about once a second, and
 * its three fsyncs held every answer): `encoded` is the state at the roll, taken then; the file
 * appears only if `stillWanted()` once it is durable (a truncation meanwhile rebuilt the state,
 * and a snapshot of the log it cut must not appear after it). Resolves true when written.
 */
export async function writeProducerSnapshotInBackground(
  dir: string,
  offset: number,
  encoded: Uint8Array,
  stillWanted: () => boolean,
): Promise<boolean> {
  const written = await replaceFileAtomicallyInBackground(snapshotFile(dir, offset), encoded, stillWanted);
  // Pruned only while the writer still wants it: a closed partition's directory may be reopened.
  if (written && stillWanted()) await keepNewestInBackground(dir);
  return written;
}

/** Drop all but the newest KEEP_SNAPSHOTS snapshot files. */
function keepNewest(dir: string): void {
  for (const old of olderThanKept(listProducerSnapshots(dir))) removeIfExists(snapshotFile(dir, old));
}

/**
 * keepNewest with the listing and the deletes on the I/O thread pool: on a file system that
 * discards freed blocks at once (ext4 without a journal, mounted with `discard`, as this project's
 * machines are) each delete held the event loop 0.1-1.3 ms (perf sched), once per roll.
 * Two rolls' runs may overlap; they agree on which files go, and a file already gone is fine.
 */
async function keepNewestInBackground(dir: string): Promise<void> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  for (const old of olderThanKept(snapshotOffsets(names))) {
    await Deno.remove(snapshotFile(dir, old)).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

/** The ascending offsets that are not among the newest KEEP_SNAPSHOTS. */
function olderThanKept(offsets: number[]): number[] {
  return offsets.slice(0, Math.max(0, offsets.length - KEEP_SNAPSHOTS));
}

/** Delete the snapshots above `offset` (the log was cut there: they describe records gone). */
export function deleteProducerSnapshotsAbove(dir: string, offset: number): void {
  for (const old of listProducerSnapshots(dir)) {
    if (old > offset) removeIfExists(snapshotFile(dir, old));
  }
}

/**
 * The newest readable snapshot at or below `maxOffset` (the log end), or null. Snapshots above
 * it are deleted; a damaged one is reported through `log` and skipped.
 */
export function loadProducerSnapshot(
  dir: string,
  maxOffset: number,
  log: (message: string) => void,
): { offset: number; state: ProducerState } | null {
  deleteProducerSnapshotsAbove(dir, maxOffset);
  const offsets = listProducerSnapshots(dir);
  for (let i = offsets.length - 1; i >= 0; i--) {
    const file = snapshotFile(dir, offsets[i]);
    try {
      return { offset: offsets[i], state: ProducerState.decode(fs.readFileSync(file)) };
    } catch (error) {
      // Skipped, not fatal: an older snapshot (or the log from its start) rebuilds the same state.
      log(`${file}: unreadable producer snapshot, using an older one: ${(error as Error).message}`);
    }
  }
  return null;
}
