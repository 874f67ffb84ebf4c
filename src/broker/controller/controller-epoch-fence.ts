/**
 * The broker side of controller fencing: the highest controller epoch this broker has heard
 * from. Controller requests (LeaderAndIsr, UpdateMetadata, StopReplica) carrying an older epoch
 * come from a deposed controller and are refused with STALE_CONTROLLER_EPOCH.
 */

/** Kafka error code 11: the request came from a controller that has been replaced. */
export const STALE_CONTROLLER_EPOCH = 11;

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
