/** Shared set-up for the group coordinator tests: a manual clock, a recording store, join inputs. */
import { GroupCoordinator, type GroupCoordinatorOptions } from "../../../src/broker/groups/coordinator.ts";
import { ManualClock } from "../../../src/broker/groups/clock.ts";
import type { OffsetsTopicRecord, ReplayEntry } from "../../../src/broker/groups/offsets-records.ts";
import type { JoinGroupInput } from "../../../src/broker/groups/types.ts";
import { encodeSubscription } from "../../../src/kafka/consumer-protocol.ts";

/**
 * A store that keeps every appended record per partition, like the log would: each record at
 * its offset, with the producer id when appended for a transaction; transaction markers are
 * appended by `marker` (as WriteTxnMarkers would). Resolves appends with the batch's base offset.
 */
export class RecordingStore {
  readonly partitions = new Map<number, ReplayEntry[]>();
  failWith: Error | null = null;

  append(
    partition: number,
    records: OffsetsTopicRecord[],
    transaction?: { producerId: bigint; producerEpoch: number },
  ): Promise<number> {
    if (this.failWith !== null) return Promise.reject(this.failWith);
    const log = this.#log(partition);
    const baseOffset = log.length;
    for (const record of records) {
      log.push({ ...record, offset: log.length, producerId: transaction?.producerId });
    }
    return Promise.resolve(baseOffset);
  }

  marker(partition: number, producerId: bigint, commit: boolean): void {
    const log = this.#log(partition);
    log.push({ marker: commit ? "commit" : "abort", producerId, offset: log.length });
  }

  /** The records appended to a partition (markers left out). */
  log(partition: number): (OffsetsTopicRecord & { producerId?: bigint })[] {
    return this.replay(partition).filter((entry) => !("marker" in entry)) as OffsetsTopicRecord[];
  }

  /** Everything in a partition in log order, markers included: what a new coordinator replays. */
  replay(partition: number): ReplayEntry[] {
    return this.partitions.get(partition) ?? [];
  }

  #log(partition: number): ReplayEntry[] {
    let log = this.partitions.get(partition);
    if (log === undefined) this.partitions.set(partition, log = []);
    return log;
  }
}

export function setup(options: GroupCoordinatorOptions = {}) {
  const clock = new ManualClock();
  const store = new RecordingStore();
  const coordinator = new GroupCoordinator({
    clock,
    store,
    ownedPartitions: "all",
    minSessionTimeoutMs: 1000,
    ...options,
  });
  return { clock, store, coordinator };
}

export const subscription = (...topics: string[]) =>
  encodeSubscription({ version: 0, topics, userData: null });

export function joinInput(memberId: string, overrides: Partial<JoinGroupInput> = {}): JoinGroupInput {
  return {
    groupId: "g",
    memberId,
    clientId: "client",
    clientHost: "/127.0.0.1",
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: subscription("t") }],
    requireKnownMemberId: false,
    ...overrides,
  };
}

/** Tracks whether a promise has settled, to assert that a join or sync is still parked. */
export function track<T>(promise: Promise<T>): { readonly done: boolean; readonly promise: Promise<T> } {
  const state = { done: false, promise };
  promise.then(() => state.done = true, () => state.done = true);
  return state;
}

/** Let pending promise reactions run (the coordinator resolves synchronously or via the store's promise). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export const bytes = (...values: number[]) => new Uint8Array(values);
