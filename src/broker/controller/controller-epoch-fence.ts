/**
 * The broker side of controller fencing: the highest controller epoch this broker has heard
 * from. UpdateMetadata requests carrying an older epoch come from a deposed controller and are
 * refused with STALE_CONTROLLER_EPOCH (LeaderAndIsr and StopReplica: the replication manager).
 */

export class ControllerEpochFence {
  #highest = -1;

  /** Highest epoch accepted so far (-1 before the first request). */
  get highest(): number {
    return this.#highest;
  }

  /** Accept a request of `epoch` (raising the bar) or refuse it as stale. */
  admit(epoch: number): boolean {
    if (epoch < this.#highest) return false;
    this.#highest = epoch;
    return true;
  }
}
