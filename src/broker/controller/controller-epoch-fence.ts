/**
 * The broker side of controller fencing: the highest controller epoch this broker has heard
 * from. One fence per broker (owned by the ReplicaManager) serves LeaderAndIsr,
 * StopReplica and UpdateMetadata alike: a request carrying an older epoch than any of them
 * comes from a deposed controller and is refused with STALE_CONTROLLER_EPOCH.
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
