/**
 * FollowerProgress: what the leader of one partition knows about its followers — each replica's
 * log end offset (the offset of its latest fetch) and when it was last caught up — and the
 * decisions that follow from it: the high watermark (smallest LEO in the ISR), which ISR
 * members fell more than replica.lag.time.max.ms behind, and whether an out-of-sync follower
 * may rejoin. Pure bookkeeping: no I/O, the clock is passed in.
 *
 * "Caught up" follows Kafka: a follower fetching at the leader's current LEO is caught up now;
 * one fetching at the LEO the leader had at its previous fetch was caught up back then. Under
 * steady load a follower is never exactly at the LEO, yet it keeps fetching what was there a
 * moment ago, so it stays in sync. Its fetch session leaves an unchanged partition out of its
 * requests (../fetch-sessions.ts), so an idle partition's fetches are not each recorded: the
 * session says when its follower was last seen still at its recorded log end (stillAt) when the
 * partition changes, and when the lag check asks, before it counts the follower as lagging.
 */

/** The leader's view of one follower. */
export interface FollowerState {
  /** -1 until the follower's first fetch in this leadership. */
  logEndOffset: number;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  /** The leader's LEO when this follower last fetched. */
  leaderEndAtLastFetch: number;
}

const NOBODY: readonly number[] = [];

export class FollowerProgress {
  readonly leaderId: number;
  readonly #followers = new Map<number, FollowerState>();

  /** Followers start caught up "now": a new leader gives each a full lag period to fetch. */
  constructor(leaderId: number, replicas: readonly number[], nowMs: number) {
    this.leaderId = leaderId;
    for (const id of replicas) this.#track(id, nowMs);
  }

  /** The follower's state (created on first sight of a replica not listed at start). */
  follower(id: number, nowMs: number): FollowerState {
    return this.#followers.get(id) ?? this.#track(id, nowMs);
  }

  #track(id: number, nowMs: number): FollowerState {
    const state = { logEndOffset: -1, lastCaughtUpMs: nowMs, lastFetchMs: nowMs, leaderEndAtLastFetch: -1 };
    if (id !== this.leaderId) this.#followers.set(id, state);
    return state;
  }

  /** The follower's log end as last recorded in this leadership; -1 before its first fetch. */
  logEndOf(id: number): number {
    return this.#followers.get(id)?.logEndOffset ?? -1;
  }

  /** A follower fetched at `fetchOffset` while the leader's LEO was `leaderEnd`. */
  recordFetch(id: number, fetchOffset: number, leaderEnd: number, nowMs: number): FollowerState {
    const state = this.follower(id, nowMs);
    if (fetchOffset >= leaderEnd) state.lastCaughtUpMs = nowMs;
    else if (fetchOffset >= state.leaderEndAtLastFetch && state.leaderEndAtLastFetch >= 0) {
      state.lastCaughtUpMs = Math.max(state.lastCaughtUpMs, state.lastFetchMs);
    }
    state.logEndOffset = fetchOffset;
    state.leaderEndAtLastFetch = leaderEnd;
    state.lastFetchMs = nowMs;
    return state;
  }

  /**
   * The follower's fetch session says it was still fetching at its recorded log end at `atMs`,
   * a fetch the leader did not record (the session left the unchanged partition out). Counted
   * as that fetch: caught up then if it was at the leader's LEO of its last recorded fetch (the
   * session is told of every append, so the LEO had not moved since).
   */
  stillAt(id: number, atMs: number): void {
    const state = this.#followers.get(id);
    if (state === undefined || state.logEndOffset < 0 || atMs <= state.lastFetchMs) return;
    if (state.logEndOffset >= state.leaderEndAtLastFetch) {
      state.lastCaughtUpMs = Math.max(state.lastCaughtUpMs, atMs);
    }
    state.lastFetchMs = atMs;
  }

  /**
   * Smallest LEO over the ISR (the leader's own included), or -1 while an ISR member has not
   * fetched yet (its LEO is unknown, so nothing new may count as committed).
   */
  highWatermark(isr: readonly number[], leaderEnd: number): number {
    let low = leaderEnd;
    for (const id of isr) {
      if (id === this.leaderId) continue;
      const state = this.#followers.get(id);
      if (!state || state.logEndOffset < 0) return -1;
      low = Math.min(low, state.logEndOffset);
    }
    return low;
  }

  /**
   * ISR members (never the leader) not caught up for longer than lagMs. `sessions` says when a
   * follower's fetch session last showed it still at its recorded log end (stillAt), asked only
   * for a member that looks lagging (so an idle partition asks once per lag period). Runs for
   * every led partition at every ISR tick: allocates only when someone lags.
   */
  laggingMembers(
    isr: readonly number[],
    nowMs: number,
    lagMs: number,
    sessions?: { followerSeenAt(id: number): number | undefined },
  ): readonly number[] {
    let lagging: number[] | null = null;
    for (const id of isr) {
      if (id === this.leaderId) continue;
      const state = this.#followers.get(id);
      if (state === undefined || nowMs - state.lastCaughtUpMs <= lagMs) continue;
      const seen = sessions?.followerSeenAt(id);
      if (seen !== undefined) this.stillAt(id, seen);
      if (nowMs - state.lastCaughtUpMs > lagMs) (lagging ??= []).push(id);
    }
    return lagging ?? NOBODY;
  }

  /**
   * May this out-of-ISR follower rejoin? It must have every committed record (LEO ≥ HWM) and
   * everything written in the current epoch's first offset, so it cannot lack a record the
   * leader's predecessor committed.
   */
  mayRejoin(id: number, highWatermark: number, epochStartOffset: number): boolean {
    const state = this.#followers.get(id);
    return state !== undefined && state.logEndOffset >= highWatermark &&
      state.logEndOffset >= epochStartOffset;
  }
}
