/**
 * Segment file names: the base offset as 20 zero-padded decimal digits plus a suffix, so a
 * directory listing sorts by offset (00000000000000012345.log / .index / .timeindex).
 *
 * @example
 * ```ts
 * segmentFileName(42, LOG_SUFFIX); // "00000000000000000042.log"
 * parseSegmentBaseOffset("00000000000000000042.log"); // 42
 * ```
 */
export const LOG_SUFFIX = ".log";
export const INDEX_SUFFIX = ".index";
export const TIME_INDEX_SUFFIX = ".timeindex";

const SEGMENT_NAME = /^(\d{20})\.log$/;

/** `<20-digit base offset><suffix>`. */
export function segmentFileName(baseOffset: number, suffix: string): string {
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) {
    throw new RangeError(`Invalid base offset: ${baseOffset}`);
  }
  return String(baseOffset).padStart(20, "0") + suffix;
}

/** The base offset of a `.log` file name, or null for any other name. */
export function parseSegmentBaseOffset(name: string): number | null {
  const match = SEGMENT_NAME.exec(name);
  if (match === null) return null;
  const value = Number(match[1]);
  return Number.isSafeInteger(value) ? value : null;
}

/** The topic and partition of a partition directory name, or null (topics may contain "-"). */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const match = /^(.+)-(\d{1,9})$/.exec(name);
  if (match === null) return null;
  return { topic: match[1], partition: Number(match[2]) };
}

/** The directory name of a partition: `<topic>-<partition>`. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
