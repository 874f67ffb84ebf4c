/**
 * Checkpoint files: small text files of (key, integer) entries, replaced atomically (temp file,
 * fsync, rename, fsync dir). A leftover `.tmp` from a crash mid-write is never read.
 *
 * Format (Kafka's checkpoint style):
 *   <version>\n
 *   <entry count>\n
 *   <key> <value>\n      (count times; key has no spaces, value a decimal integer)
 *
 * Files are untrusted: size capped, count checked against the lines present, every number
 * checked; a bad file is reported as a StorageError so the caller can log it and recover.
 *
 * @example
 * ```ts
 * writeCheckpoint(file, [["highWatermark", 42]]);
 * const entries = readCheckpoint(file); // [["highWatermark", 42]] or null when missing
 * ```
 */
import * as fs from "node:fs";
import { replaceFileAtomically, replaceFileAtomicallyInBackground } from "./file-io.ts";
import { unknownServerError } from "./storage-error.ts";

export const CHECKPOINT_VERSION = 0;
/** Checkpoints are tiny; anything bigger is not one of ours. */
const MAX_CHECKPOINT_BYTES = 1024 * 1024;

export type CheckpointEntry = readonly [key: string, value: number];

/** Replace `file` atomically with the given entries. */
export function writeCheckpoint(file: string, entries: readonly CheckpointEntry[], sync = true): void {
  replaceFileAtomically(file, checkpointText(entries), sync);
}

/**
 * writeCheckpoint with its fsyncs off the event loop; the file is replaced only if `stillWanted()`
 * once the new content is durable (see replaceFileAtomicallyInBackground). Resolves true when it was.
 */
export function writeCheckpointInBackground(
  file: string,
  entries: readonly CheckpointEntry[],
  stillWanted: () => boolean,
): Promise<boolean> {
  return replaceFileAtomicallyInBackground(file, checkpointText(entries), stillWanted);
}

function checkpointText(entries: readonly CheckpointEntry[]): string {
  const lines = [String(CHECKPOINT_VERSION), String(entries.length)];
  for (const [key, value] of entries) {
    if (!/^\S+$/.test(key) || !Number.isSafeInteger(value)) {
      throw new RangeError(`Invalid checkpoint entry: ${key} ${value}`);
    }
    lines.push(`${key} ${value}`);
  }
  return lines.join("\n") + "\n";
}

/** Read a checkpoint; null when the file does not exist; StorageError when it is malformed. */
export function readCheckpoint(file: string): CheckpointEntry[] | null {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_CHECKPOINT_BYTES) {
      throw unknownServerError(`Checkpoint ${file} is ${size} bytes, over ${MAX_CHECKPOINT_BYTES}`);
    }
    text = new TextDecoder("utf-8", { fatal: true }).decode(fs.readFileSync(file));
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return null;
    if (error instanceof TypeError) throw unknownServerError(`Checkpoint ${file} is not UTF-8`);
    throw error;
  }
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length < 2 || lines[0] !== String(CHECKPOINT_VERSION)) {
    throw unknownServerError(`Checkpoint ${file}: unknown version line "${(lines[0] ?? "").slice(0, 20)}"`);
  }
  const count = parseInteger(lines[1], file);
  if (count < 0 || count !== lines.length - 2) {
    throw unknownServerError(`Checkpoint ${file}: says ${count} entries, has ${lines.length - 2}`);
  }
  const entries: CheckpointEntry[] = [];
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i].split(" ");
    if (parts.length !== 2 || parts[0] === "") {
      throw unknownServerError(`Checkpoint ${file}: malformed line ${i + 1}`);
    }
    entries.push([parts[0], parseInteger(parts[1], file)]);
  }
  return entries;
}

function parseInteger(text: string, file: string): number {
  if (!/^-?\d{1,16}$/.test(text)) {
    throw unknownServerError(`Checkpoint ${file}: "${text.slice(0, 20)}" is not an integer`);
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw unknownServerError(`Checkpoint ${file}: ${text} out of range`);
  return value;
}
