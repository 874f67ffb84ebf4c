/**
 * ResyncGate: does a periodic full read of the coordinator tree (the controller's resync, a
 * broker's reconcile) have anything to find? Those reads are the net under what a lost watch or a
 * lost request could have missed, and whatever was missed, the coordinator's zxid has moved past
 * it. So while the zxid stands where the last full read began, the tree is exactly as read, and
 * reading every partition state again would cost an idle cluster of 10,000 partitions about a
 * second of CPU per broker and per interval (and the coordinator as much), to find nothing.
 *
 * The zxid costs one small read: every reply carries the server's latest (ZooKeeper's reply header
 * holds its last processed zxid; Vltava's coordinator does the same). A full read still happens at
 * least every MAX_QUIET_INTERVALS intervals, for what no tree change announces (a partition that
 * could not be hosted when its news came, say).
 *
 * @example
 * ```ts
 * const gate = new ResyncGate(() => reader.latestZxid(), 30_000); // asked every 30 s
 * if (await gate.due()) {
 *   const mark = await gate.mark(); // before the read: a change during it is seen next time
 *   await readEverything();
 *   gate.completed(mark);
 * }
 * ```
 */

/** A full read happens at least every this many intervals, whether the tree changed or not. */
export const MAX_QUIET_INTERVALS = 10;

/** Where a full read began: the coordinator's zxid and the time then. */
export interface ResyncMark {
  zxid: number;
  atMs: number;
}

export class ResyncGate {
  readonly #latestZxid: () => Promise<number>;
  readonly #maxQuietMs: number;
  readonly #now: () => number;
  /** The last full read that completed, or null before the first. */
  #last: ResyncMark | null = null;

  /** `intervalMs`: how often the caller asks due() (its resync or reconcile interval). */
  constructor(latestZxid: () => Promise<number>, intervalMs: number, now: () => number = Date.now) {
    this.#latestZxid = latestZxid;
    this.#maxQuietMs = MAX_QUIET_INTERVALS * intervalMs;
    this.#now = now;
  }

  /** Is a full read due: none yet, the last one too old, or the tree changed since it began? */
  async due(): Promise<boolean> {
    const last = this.#last;
    if (last === null || this.#now() - last.atMs >= this.#maxQuietMs) return true;
    return (await this.#latestZxid()) !== last.zxid;
  }

  /** Where a full read begins (take it before reading). */
  async mark(): Promise<ResyncMark> {
    const atMs = this.#now();
    return { zxid: await this.#latestZxid(), atMs };
  }

  /** The read begun at `mark` completed: the tree as of mark.zxid is known. */
  completed(mark: ResyncMark): void {
    this.#last = mark;
  }
}
