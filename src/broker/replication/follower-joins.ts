/**
 * FollowerJoins: brings a follower's first fetch of a partition forward when this broker starts
 * leading it. A follower fetches all its partitions of one leader in one request that parks here
 * for up to replica.fetch.wait.max.ms (500 ms) when nothing is new. A partition the follower is
 * told to follow meanwhile joins only its next request, so without this the new partition's first
 * acks=all write waited out that park (measured: the first acks=all send to a new topic 470-480 ms,
 * the next ones 2-6 ms; at a leader change the same for every partition a follower newly fetches
 * from a leader it already fetched from).
 *
 * When this broker becomes leader (a new partition, a leader change, a reassignment's new
 * replicas), `expect` wakes each follower's parked fetch (the key its fetches also wait on) and,
 * for JOIN_WINDOW_MS, caps that follower's waits here at JOIN_POLL_MS: its LeaderAndIsr may arrive
 * after its woken fetch was answered, and its next fetch, still without the partition, must not
 * park for 500 ms either. A follower costs at most JOIN_WINDOW_MS / JOIN_POLL_MS extra rounds per
 * leadership change; the map holds at most one entry per broker.
 *
 * @example
 * ```ts
 * const joins = new FollowerJoins(purgatory);
 * joins.expect([2, 3]);                 // on becoming leader with followers 2 and 3
 * joins.waitCapMs(2);                  // 20 while broker 2 is expected to join, else Infinity
 * purgatory.wait([...keys, FollowerJoins.key(2)], wait);
 * ```
 */
import type { Purgatory } from "../purgatory.ts";

/** How long after a leadership change its followers' fetches are held short. */
export const JOIN_WINDOW_MS = 1_000;
/** The longest a follower's fetch parks while it is expected to add a partition. */
export const JOIN_POLL_MS = 20;

export class FollowerJoins {
  readonly #purgatory: Purgatory;
  readonly #now: () => number;
  /** Follower id → until when its fetches are held short. */
  readonly #expected = new Map<number, number>();

  constructor(purgatory: Purgatory, now: () => number = Date.now) {
    this.#purgatory = purgatory;
    this.#now = now;
  }

  /** The purgatory key a follower's fetches wait on besides their partitions'. */
  static key(followerId: number): string {
    return `follower-fetch:${followerId}`;
  }

  /** This broker now leads a partition these followers must start (or restart) fetching. */
  expect(followers: Iterable<number>): void {
    const until = this.#now() + JOIN_WINDOW_MS;
    for (const id of followers) {
      this.#expected.set(id, until);
      this.#purgatory.wake(FollowerJoins.key(id));
    }
  }

  /** The longest a fetch of `followerId` may park from now: JOIN_POLL_MS while it is expected, else Infinity. */
  waitCapMs(followerId: number): number {
    const until = this.#expected.get(followerId);
    if (until === undefined) return Infinity;
    if (this.#now() >= until) {
      this.#expected.delete(followerId);
      return Infinity;
    }
    return JOIN_POLL_MS;
  }
}
