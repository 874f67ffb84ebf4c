/**
 * Session expiry in tick buckets, as the real server does it: a session touched at time t with
 * timeout T expires at the first tick boundary after t + T; one timer per tick expires whole
 * buckets, so expiry is up to one tick late and touching costs a move only across buckets.
 */
export class SessionTracker {
  readonly tickMs: number;
  readonly #buckets = new Map<number, Set<bigint>>();
  readonly #expiresAt = new Map<bigint, number>();
  #nextCheckMs: number;

  constructor(tickMs: number, nowMs = Date.now()) {
    this.tickMs = tickMs;
    this.#nextCheckMs = this.#roundUp(nowMs);
  }

  #roundUp(timeMs: number): number {
    return (Math.floor(timeMs / this.tickMs) + 1) * this.tickMs;
  }

  get size(): number {
    return this.#expiresAt.size;
  }

  has(sessionId: bigint): boolean {
    return this.#expiresAt.has(sessionId);
  }

  /** The session is alive now: push its expiry to the bucket after now + timeout. */
  touch(sessionId: bigint, timeoutMs: number, nowMs = Date.now()): void {
    const bucket = this.#roundUp(nowMs + timeoutMs);
    const previous = this.#expiresAt.get(sessionId);
    if (previous === bucket) return;
    if (previous !== undefined) this.#buckets.get(previous)?.delete(sessionId);
    this.#expiresAt.set(sessionId, bucket);
    let sessions = this.#buckets.get(bucket);
    if (sessions === undefined) this.#buckets.set(bucket, sessions = new Set());
    sessions.add(sessionId);
  }

  remove(sessionId: bigint): void {
    const bucket = this.#expiresAt.get(sessionId);
    if (bucket === undefined) return;
    this.#expiresAt.delete(sessionId);
    const sessions = this.#buckets.get(bucket);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.#buckets.delete(bucket);
  }

  /** Sessions whose bucket has passed; they are forgotten by the tracker. */
  expire(nowMs = Date.now()): bigint[] {
    const expired: bigint[] = [];
    // Bounded: one step per tick since the last check (a stalled process catches up once).
    while (this.#nextCheckMs <= nowMs) {
      const sessions = this.#buckets.get(this.#nextCheckMs);
      if (sessions !== undefined) {
        this.#buckets.delete(this.#nextCheckMs);
        for (const id of sessions) {
          this.#expiresAt.delete(id);
          expired.push(id);
        }
      }
      this.#nextCheckMs += this.tickMs;
    }
    return expired;
  }
}
