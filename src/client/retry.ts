/**
 * Retry policy: how many times and how long to wait between attempts. Backoff grows
 * exponentially from `initialBackoffMs` to `maxBackoffMs` with ±20% jitter, so many
 * clients hitting the same failed leader do not retry in lockstep.
 *
 * @example
 * ```ts
 * const result = await withRetries(new RetryPolicy({ retries: 5 }), async (attempt) => {
 *   if (attempt > 0) await cluster.refreshMetadata();
 *   return await doRequest();
 * });
 * ```
 */
import { isRetriable } from "./errors.ts";

export interface RetryOptions {
  /** Attempts after the first one; 0 = fail on the first error. */
  retries?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Stop retrying once this much time has passed since the first attempt. */
  deadlineMs?: number;
}

export class RetryPolicy {
  readonly retries: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly deadlineMs: number;
  readonly #random: () => number;

  constructor(options: RetryOptions = {}, random: () => number = Math.random) {
    this.retries = options.retries ?? 5;
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 1_000;
    this.deadlineMs = options.deadlineMs ?? 120_000;
    this.#random = random;
  }

  /** Wait before retry number `attempt` (1 = the first retry). */
  backoffMs(attempt: number): number {
    const base = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(base * (0.8 + 0.4 * this.#random()));
  }

  /** Should a failure on attempt `attempt` (0 = first try) started at `startedAt` be retried? */
  shouldRetry(error: unknown, attempt: number, startedAt: number, now = Date.now()): boolean {
    return isRetriable(error) && attempt < this.retries && now - startedAt < this.deadlineMs;
  }
}

/** Run `operation` until it succeeds or fails with an error the policy does not retry. */
export async function withRetries<T>(
  policy: RetryPolicy,
  operation: (attempt: number) => Promise<T>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  const startedAt = Date.now();
  for (let attempt = 0;; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!policy.shouldRetry(error, attempt, startedAt)) throw error;
      await sleep(policy.backoffMs(attempt + 1));
    }
  }
}
