/**
 * Snowflake ids: unique 63-bit producer ids minted by any broker without coordination.
 *
 *   bit 63      62 ........................ 22   21 ........ 12   11 ........ 0
 *   0 (sign)    41-bit ms since EPOCH_MS          10-bit node id    12-bit sequence
 *
 * Uniqueness across brokers comes from the node id (the broker id, 0..1023); within one
 * generator from (timestamp, sequence) strictly increasing. When the clock steps back, the
 * generator keeps using its last timestamp ("borrows" it) and continues the sequence; when the
 * sequence overflows within one millisecond it moves to the next millisecond even if the
 * wall clock has not reached it yet. Ids are therefore strictly monotonic per generator and
 * never repeat, at the cost of running slightly ahead of the wall clock under bursts or
 * after a step back (4096 ids per borrowed ms); the lead is bounded by maxLeadMs, beyond which
 * next() throws rather than run away from real time.
 *
 * @example
 * ```ts
 * const ids = new Snowflake(3);
 * const producerId: bigint = ids.next();
 * ```
 */

/** 2024-01-01T00:00:00Z: 41 bits of milliseconds reach past the year 2093. */
export const SNOWFLAKE_EPOCH_MS = 1_704_067_200_000;
export const NODE_ID_BITS = 10;
export const SEQUENCE_BITS = 12;
export const MAX_NODE_ID = (1 << NODE_ID_BITS) - 1;
const MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1;
const MAX_TIMESTAMP = 2 ** 41 - 1;

export interface SnowflakeOptions {
  /** Wall clock in ms since the Unix epoch (injectable for tests). */
  clock?: () => number;
  /** How far ahead of the wall clock the generator may run before next() throws. */
  maxLeadMs?: number;
}

/** The parts of an id, for logs and tests. */
export interface SnowflakeParts {
  timestampMs: number;
  nodeId: number;
  sequence: number;
}

export class Snowflake {
  readonly nodeId: number;
  readonly #clock: () => number;
  readonly #maxLeadMs: number;
  #lastMs = -1;
  #sequence = 0;

  constructor(nodeId: number, options: SnowflakeOptions = {}) {
    if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > MAX_NODE_ID) {
      throw new RangeError(`Snowflake node id must be 0..${MAX_NODE_ID}: got ${nodeId}`);
    }
    this.nodeId = nodeId;
    this.#clock = options.clock ?? Date.now;
    this.#maxLeadMs = options.maxLeadMs ?? 60_000;
  }

  /** A new id, strictly greater than every id this generator returned before. */
  next(): bigint {
    const nowMs = Math.floor(this.#clock()) - SNOWFLAKE_EPOCH_MS;
    if (nowMs < 0 || nowMs > MAX_TIMESTAMP) {
      throw new RangeError(`Clock outside the Snowflake range: ${nowMs} ms since the epoch`);
    }
    if (nowMs > this.#lastMs) {
      this.#lastMs = nowMs;
      this.#sequence = 0;
    } else if (this.#sequence < MAX_SEQUENCE) {
      // Same millisecond, or the clock stepped back: borrow the last timestamp.
      this.#sequence++;
    } else {
      // Sequence exhausted: borrow the next millisecond.
      if (this.#lastMs + 1 - nowMs > this.#maxLeadMs) {
        throw new RangeError(`Snowflake ran ${this.#maxLeadMs} ms ahead of the clock`);
      }
      this.#lastMs++;
      this.#sequence = 0;
    }
    return compose(this.#lastMs, this.nodeId, this.#sequence);
  }
}

function compose(timestampMs: number, nodeId: number, sequence: number): bigint {
  return (BigInt(timestampMs) << BigInt(NODE_ID_BITS + SEQUENCE_BITS)) |
    (BigInt(nodeId) << BigInt(SEQUENCE_BITS)) | BigInt(sequence);
}

/** Split an id into its timestamp (ms since SNOWFLAKE_EPOCH_MS), node id and sequence. */
export function parseSnowflake(id: bigint): SnowflakeParts {
  return {
    timestampMs: Number(id >> BigInt(NODE_ID_BITS + SEQUENCE_BITS)),
    nodeId: Number((id >> BigInt(SEQUENCE_BITS)) & BigInt(MAX_NODE_ID)),
    sequence: Number(id & BigInt(MAX_SEQUENCE)),
  };
}
