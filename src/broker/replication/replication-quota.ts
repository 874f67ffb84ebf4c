/**
 * Replication throttles, as Kafka's (KIP-73): a reassignment copies a partition's whole log to
 * its new replicas, and without a limit that copy takes the disks and the network from producers.
 * Two dynamic broker configs set byte rates — leader.replication.throttled.rate (what a leader
 * sends to throttled followers) and follower.replication.throttled.rate (what a follower fetches
 * for throttled partitions) — and two topic configs say which replicas they apply to:
 * leader.replication.throttled.replicas and follower.replication.throttled.replicas, each "*"
 * (every replica of the topic) or a list of partition:broker pairs ("0:101,1:102").
 *
 * The rate is a token bucket holding at most one second of bytes: a throttled read takes at most
 * the tokens left (but always one whole batch, so a slow rate still moves), which may take the
 * count below zero; while it is below zero throttled replicas get nothing, so over any long run
 * the throttled bytes average the rate. Unthrottled replicas are
 * never held back, nor counted.
 *
 * @example
 * ```ts
 * const quota = new ByteRateQuota();
 * quota.setRate(10_000_000);            // 10 MB/s
 * if (quota.delayMs() === 0) quota.record(read.length);
 * throttledReplicas("0:2,1:3")(1, 3);   // true
 * ```
 */

/** The dynamic broker configs of replication throttles (bytes per second; absent: no limit). */
export const LEADER_THROTTLED_RATE = "leader.replication.throttled.rate";
export const FOLLOWER_THROTTLED_RATE = "follower.replication.throttled.rate";
/** The topic configs naming the throttled replicas. */
export const LEADER_THROTTLED_REPLICAS = "leader.replication.throttled.replicas";
export const FOLLOWER_THROTTLED_REPLICAS = "follower.replication.throttled.replicas";

export class ByteRateQuota {
  #rate = Infinity;
  #tokens = 0;
  #at = 0;

  /** Bytes per second, or null for no limit. */
  setRate(bytesPerSecond: number | null, now = Date.now()): void {
    this.#rate = bytesPerSecond === null ? Infinity : Math.max(1, bytesPerSecond);
    // A new rate starts with a full second's worth: the limit applies from here on.
    this.#tokens = this.#rate;
    this.#at = now;
  }

  get rate(): number | null {
    return this.#rate === Infinity ? null : this.#rate;
  }

  #refill(now: number): void {
    if (this.#rate === Infinity) return;
    this.#tokens = Math.min(this.#rate, this.#tokens + (this.#rate * Math.max(0, now - this.#at)) / 1000);
    this.#at = now;
  }

  /** How long throttled bytes must wait (0: they may flow now). */
  delayMs(now = Date.now()): number {
    if (this.#rate === Infinity) return 0;
    this.#refill(now);
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.#rate);
  }

  /** Throttled bytes that may flow now without going over (Infinity without a limit). */
  available(now = Date.now()): number {
    if (this.#rate === Infinity) return Infinity;
    this.#refill(now);
    return Math.max(0, Math.floor(this.#tokens));
  }

  /** Throttled bytes were sent (or fetched). */
  record(bytes: number, now = Date.now()): void {
    if (this.#rate === Infinity) return;
    this.#refill(now);
    this.#tokens -= bytes;
  }
}

/** Why a throttled-replicas value is refused, or null when it is valid. */
export function throttledReplicasProblem(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed === "" || trimmed === "*") return null;
  for (const item of trimmed.split(",")) {
    if (!/^\s*\d+\s*:\s*\d+\s*$/.test(item)) {
      return `expected * or partition:broker pairs like 0:1,1:2, got "${item.trim()}"`;
    }
  }
  return null;
}

/** Whether (partition, broker) is named by a throttled-replicas value (absent or invalid: none). */
export function throttledReplicas(
  value: string | undefined,
): (partition: number, brokerId: number) => boolean {
  const trimmed = value?.trim() ?? "";
  if (trimmed === "" || throttledReplicasProblem(trimmed) !== null) return () => false;
  if (trimmed === "*") return () => true;
  const pairs = new Set(trimmed.split(",").map((item) => item.replace(/\s/g, "")));
  return (partition, brokerId) => pairs.has(`${partition}:${brokerId}`);
}

/** A broker's two replication quotas, set from its effective dynamic config. */
export class ReplicationQuotas {
  readonly leader = new ByteRateQuota();
  readonly follower = new ByteRateQuota();

  /** Apply the broker's effective dynamic config (its own entries over the cluster default's). */
  apply(config: Record<string, string>): void {
    const rate = (key: string) => {
      const value = config[key];
      return value === undefined ? null : Number(value);
    };
    if (rate(LEADER_THROTTLED_RATE) !== this.leader.rate) this.leader.setRate(rate(LEADER_THROTTLED_RATE));
    if (rate(FOLLOWER_THROTTLED_RATE) !== this.follower.rate) {
      this.follower.setRate(rate(FOLLOWER_THROTTLED_RATE));
    }
  }
}
