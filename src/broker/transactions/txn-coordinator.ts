/**
 * The transaction coordinator, as logic: method calls in, error codes out; persistence through an
 * injected TxnStore (the leader's log of a `__transaction_state` partition), markers through an
 * injected MarkerWriter (WriteTxnMarkers to partition leaders). The broker's handlers decode a
 * request, call one method and encode the answer; TransactionService wires it to the broker.
 *
 * Per transactional id it holds the producer id and epoch, the timeout, the state and the
 * partitions of the open transaction. Every state change is written to the log (and committed)
 * before it takes effect in memory, so the log is the state: a new leader replays it
 * (loadPartition) and finishes what was decided.
 *
 *   InitProducerId  Empty or Complete* → Empty with epoch + 1 (a new producer id when the epoch
 *                   would overflow): the previous instance is fenced. Ongoing → the open
 *                   transaction is aborted with the epoch bumped (fencing its producer), then the
 *                   epoch is bumped once more for the caller; if the abort takes longer than
 *                   endTxnWaitMs the caller gets CONCURRENT_TRANSACTIONS (it retries, as clients do).
 *   AddPartitions   Empty, Complete* or Ongoing → Ongoing with the partitions added (the start time
 *                   is that of the first AddPartitions).
 *   EndTxn          Ongoing → PrepareCommit/PrepareAbort (the decision, durable) → markers to every
 *                   partition's leader → CompleteCommit/CompleteAbort. The answer waits for the
 *                   markers (bounded by endTxnWaitMs, then it answers anyway: the decision holds
 *                   and the markers continue), not for the Complete* record; Kafka answers at the
 *                   decision. A request of the same id arriving while the transaction completes
 *                   waits for it (bounded) instead of bouncing on CONCURRENT_TRANSACTIONS.
 *   timeout         an Ongoing transaction older than its timeout is aborted with the epoch bumped.
 *   expiry          an id with no open transaction (Empty or Complete*) not updated for
 *                   transactional.id.expiration.ms is forgotten: a tombstone in the log, then gone
 *                   from memory; its next InitProducerId starts afresh with a new producer id
 *                   (Kafka's rule; an id with a transaction open or completing never expires).
 *   load            Prepare* transactions get their markers (again: markers are idempotent on
 *                   the partitions) and complete; Ongoing ones stay open for their producer to end
 *                   (or the timeout to abort), as Kafka's coordinator does.
 *
 * A request that finds the id busy (a write in flight) gets CONCURRENT_TRANSACTIONS. A stale
 * epoch is PRODUCER_FENCED where the request version knows it, else INVALID_PRODUCER_EPOCH
 * (the handler maps it).
 */
import { ErrorCode, KafkaError } from "../../kafka/errors.ts";
import { invariant } from "../../assert.ts";
import { groupPartition } from "../groups/group-partition.ts";
import {
  decodeTxnRecord,
  DEFAULT_TRANSACTION_STATE_PARTITIONS,
  type TxnRecord,
  type TxnStateName,
  txnStateRecord,
  type TxnStateValue,
  txnTombstone,
} from "./txn-records.ts";
import { logLine } from "../log-lines.ts";

/** transactional.id.expiration.ms: Kafka's default, 7 days. */
export const DEFAULT_TRANSACTIONAL_ID_EXPIRATION_MS = 604_800_000;

/** Largest producer epoch handed out; the next bump takes a new producer id (as Kafka). */
const MAX_PRODUCER_EPOCH = 32_766;

/** Where the coordinator writes: append and resolve once committed; KafkaError when impossible. */
export interface TxnStore {
  append(partition: number, records: TxnRecord[]): Promise<void>;
}

/** One transaction's markers: resolves when every partition has it (or can never have it). */
export interface MarkerJob {
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
  partitions: { topic: string; partition: number }[];
  /** False once this coordinator no longer owns the transaction: stop retrying. */
  isCurrent(): boolean;
}

export interface MarkerWriter {
  write(job: MarkerJob): Promise<void>;
}

export interface TxnCoordinatorOptions {
  store: TxnStore;
  markers: MarkerWriter;
  /** A fresh producer id (unique across brokers). */
  newProducerId: () => bigint;
  /** transaction.state.log.num.partitions (50). */
  numPartitions?: number;
  /** transaction.max.timeout.ms (900000). */
  maxTimeoutMs?: number;
  /** How long EndTxn waits for the markers before answering anyway (5000). */
  endTxnWaitMs?: number;
  /** transactional.id.expiration.ms: an id idle this long without a transaction open is forgotten (7 days). */
  transactionalIdExpirationMs?: number;
  /** Transactional ids held in memory at most (not a Kafka knob; 100000). */
  maxTransactionalIds?: number;
  /** Testing: hold the markers of a new decision this long (recovered decisions are not held). */
  markerDelayMs?: number;
  nowMs?: () => number;
  log?: (message: string) => void;
}

/** A transactional id as the coordinator holds it. */
interface TxnMetadata {
  transactionalId: string;
  partition: number;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnStateName;
  partitions: Map<string, Set<number>>;
  startMs: number;
  lastUpdateMs: number;
  /** A state write is in flight: other requests get CONCURRENT_TRANSACTIONS. */
  busy: boolean;
  /** While Prepare*: resolves when the transaction reached Complete* (or was unloaded). */
  completion: Promise<void> | null;
}

export interface InitProducerIdInput {
  transactionalId: string;
  transactionTimeoutMs: number;
  /** v3+: the id and epoch the producer has (-1 = none). */
  producerId: bigint;
  producerEpoch: number;
}

export interface ProducerIdAndEpoch {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface TxnIdentity {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

export interface DescribedTxn {
  errorCode: number;
  transactionalId: string;
  state: TxnStateName;
  timeoutMs: number;
  startMs: number;
  producerId: bigint;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

/** The transaction coordinator of the `__transaction_state` partitions this broker leads. */
export class TransactionCoordinator {
  readonly #store: TxnStore;
  readonly #markers: MarkerWriter;
  readonly #newProducerId: () => bigint;
  readonly #numPartitions: number;
  readonly #maxTimeoutMs: number;
  readonly #endTxnWaitMs: number;
  readonly #maxIds: number;
  readonly #expirationMs: number;
  readonly #markerDelayMs: number;
  readonly #now: () => number;
  readonly #log: (message: string) => void;
  readonly #txns = new Map<string, TxnMetadata>();
  /** Owned partitions: their status and the leader epoch (the coordinator epoch of markers). */
  readonly #partitions = new Map<number, { status: "loading" | "active"; epoch: number }>();

  constructor(options: TxnCoordinatorOptions) {
    this.#store = options.store;
    this.#markers = options.markers;
    this.#newProducerId = options.newProducerId;
    this.#numPartitions = options.numPartitions ?? DEFAULT_TRANSACTION_STATE_PARTITIONS;
    this.#maxTimeoutMs = options.maxTimeoutMs ?? 900_000;
    this.#endTxnWaitMs = options.endTxnWaitMs ?? 5_000;
    this.#maxIds = options.maxTransactionalIds ?? 100_000;
    this.#expirationMs = options.transactionalIdExpirationMs ?? DEFAULT_TRANSACTIONAL_ID_EXPIRATION_MS;
    this.#markerDelayMs = options.markerDelayMs ?? 0;
    this.#now = options.nowMs ?? Date.now;
    this.#log = options.log ?? logLine;
  }

  /** The `__transaction_state` partition of a transactional id (as Kafka: Java hashCode). */
  partitionFor(transactionalId: string): number {
    return groupPartition(transactionalId, this.#numPartitions);
  }

  // ---- ownership ----

  beginLoading(partition: number, epoch: number): void {
    this.#partitions.set(partition, { status: "loading", epoch });
  }

  /**
   * Serve a partition's ids from its replayed records (oldest first). Prepare* transactions get
   * their markers; Ongoing ones wait for their producer or their timeout. Returns the counts.
   */
  loadPartition(
    partition: number,
    epoch: number,
    records: Iterable<TxnRecord>,
  ): { ids: number; skipped: number } {
    this.unloadPartition(partition);
    const latest = new Map<string, TxnStateValue | null>();
    let skipped = 0;
    for (const record of records) {
      try {
        const { transactionalId, value } = decodeTxnRecord(record);
        latest.set(transactionalId, value);
      } catch {
        // A record we cannot read cannot be acted on; counted and reported by the caller.
        skipped++;
      }
    }
    this.#partitions.set(partition, { status: "active", epoch });
    let ids = 0;
    for (const [transactionalId, value] of latest) {
      if (value === null || this.partitionFor(transactionalId) !== partition) continue;
      const meta: TxnMetadata = {
        transactionalId,
        partition,
        producerId: value.producerId,
        producerEpoch: value.producerEpoch,
        timeoutMs: value.timeoutMs,
        state: value.state,
        partitions: new Map([...value.partitions].map(([topic, ps]) => [topic, new Set(ps)])),
        startMs: value.startMs,
        lastUpdateMs: value.lastUpdateMs,
        busy: false,
        completion: null,
      };
      this.#txns.set(transactionalId, meta);
      ids++;
      if (meta.state === "PrepareCommit" || meta.state === "PrepareAbort") {
        meta.completion = this.#completeTransaction(meta, meta.state === "PrepareCommit", false);
      }
    }
    return { ids, skipped };
  }

  /** Stop serving a partition's ids (leadership moved); their marker retries stop. */
  unloadPartition(partition: number): void {
    for (const [id, meta] of this.#txns) if (meta.partition === partition) this.#txns.delete(id);
    this.#partitions.delete(partition);
  }

  close(): void {
    for (const partition of [...this.#partitions.keys()]) this.unloadPartition(partition);
  }

  /** 0 when this coordinator serves the id now, else NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. */
  coordinatorError(transactionalId: string): number {
    const owned = this.#partitions.get(this.partitionFor(transactionalId));
    if (owned === undefined) return ErrorCode.NOT_COORDINATOR;
    return owned.status === "active" ? ErrorCode.NONE : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  }

  // ---- InitProducerId ----

  async initProducerId(input: InitProducerIdInput): Promise<ProducerIdAndEpoch> {
    const refuse = (errorCode: number) => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    const { transactionalId } = input;
    const error = this.coordinatorError(transactionalId);
    if (error) return refuse(error);
    if (input.transactionTimeoutMs <= 0 || input.transactionTimeoutMs > this.#maxTimeoutMs) {
      return refuse(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    }
    await this.#settle(transactionalId);
    let meta = this.#txns.get(transactionalId);
    if (meta === undefined) {
      if (this.#txns.size >= this.#maxIds) return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      meta = {
        transactionalId,
        partition: this.partitionFor(transactionalId),
        producerId: this.#newProducerId(),
        producerEpoch: -1,
        timeoutMs: input.transactionTimeoutMs,
        state: "Empty",
        partitions: new Map(),
        startMs: -1,
        lastUpdateMs: this.#now(),
        busy: false,
        completion: null,
      };
      this.#txns.set(transactionalId, meta);
    }
    if (meta.busy) return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (meta.state === "PrepareCommit" || meta.state === "PrepareAbort") {
      return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
    // KIP-360: a producer naming an id and epoch must name the current ones.
    if (
      input.producerId >= 0n &&
      (input.producerId !== meta.producerId || input.producerEpoch !== meta.producerEpoch)
    ) {
      return refuse(ErrorCode.PRODUCER_FENCED);
    }
    if (meta.state === "Ongoing") {
      // A new instance of the producer: fence the old one and abort what it left open. The caller
      // waits for the abort (bounded); if it is not complete by then, it retries.
      const aborting = meta;
      const errorCode = await this.#endTransaction(meta, false, this.#bumpedEpoch(meta.producerEpoch));
      if (errorCode !== 0) return refuse(errorCode);
      await this.#settle(transactionalId);
      if (this.#txns.get(transactionalId) !== aborting) return refuse(ErrorCode.NOT_COORDINATOR);
      if (aborting.busy || aborting.state !== "CompleteAbort") {
        return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
      }
    }
    const nextEpoch = meta.producerEpoch + 1;
    const renew = nextEpoch > MAX_PRODUCER_EPOCH;
    const producerId = renew ? this.#newProducerId() : meta.producerId;
    const producerEpoch = renew ? 0 : nextEpoch;
    const errorCode = await this.#persist(meta, {
      producerId,
      producerEpoch,
      timeoutMs: input.transactionTimeoutMs,
      state: "Empty",
      partitions: new Map(),
      startMs: -1,
    });
    if (errorCode !== 0) {
      // A brand-new id whose first write failed is forgotten: nothing durable knows it.
      if (meta.producerEpoch < 0 && this.#txns.get(transactionalId) === meta) {
        this.#txns.delete(transactionalId);
      }
      return refuse(errorCode);
    }
    return { errorCode: 0, producerId, producerEpoch };
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn ----

  /** Add partitions to the open transaction (opening one). One error code for all of them. */
  async addPartitions(
    identity: TxnIdentity,
    partitions: { topic: string; partition: number }[],
  ): Promise<number> {
    // The previous transaction may still be completing: wait for it rather than bounce the client.
    await this.#settle(identity.transactionalId);
    const meta = this.#identified(identity);
    if (typeof meta === "number") return meta;
    if (meta.state === "PrepareCommit" || meta.state === "PrepareAbort") {
      return ErrorCode.CONCURRENT_TRANSACTIONS;
    }
    const ongoing = meta.state === "Ongoing";
    if (ongoing && partitions.every((p) => meta.partitions.get(p.topic)?.has(p.partition))) return 0;
    const next = new Map<string, number[]>();
    if (ongoing) { for (const [topic, set] of meta.partitions) next.set(topic, [...set]); }
    for (const { topic, partition } of partitions) {
      const list = next.get(topic) ?? [];
      if (!list.includes(partition)) list.push(partition);
      next.set(topic, list);
    }
    return await this.#persist(meta, {
      producerId: meta.producerId,
      producerEpoch: meta.producerEpoch,
      timeoutMs: meta.timeoutMs,
      state: "Ongoing",
      partitions: next,
      startMs: ongoing ? meta.startMs : this.#now(),
    });
  }

  /** The `__consumer_offsets` partition of a group joins the transaction (its markers go there). */
  addOffsets(
    identity: TxnIdentity,
    groupId: string,
    offsetsTopic: string,
    offsetsPartitions: number,
  ): Promise<number> {
    return this.addPartitions(identity, [{
      topic: offsetsTopic,
      partition: groupPartition(groupId, offsetsPartitions),
    }]);
  }

  // ---- EndTxn ----

  async endTxn(identity: TxnIdentity, commit: boolean): Promise<number> {
    const meta = this.#identified(identity);
    if (typeof meta === "number") return meta;
    switch (meta.state) {
      case "Ongoing":
        return await this.#endTransaction(meta, commit, meta.producerEpoch, this.#endTxnWaitMs);
      case "PrepareCommit":
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
      case "PrepareAbort":
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
      case "CompleteCommit":
        return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      case "CompleteAbort":
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
      default:
        return ErrorCode.INVALID_TXN_STATE;
    }
  }

  // ---- timeouts ----

  /** Abort (fencing the producer) every Ongoing transaction older than its timeout; returns how many. */
  abortTimedOut(): number {
    const now = this.#now();
    let aborted = 0;
    for (const meta of this.#txns.values()) {
      if (meta.state !== "Ongoing" || meta.busy || this.coordinatorError(meta.transactionalId)) continue;
      if (now - meta.startMs <= meta.timeoutMs) continue;
      this.#log(`transaction ${meta.transactionalId} timed out after ${meta.timeoutMs} ms: aborting`);
      void this.#endTransaction(meta, false, this.#bumpedEpoch(meta.producerEpoch));
      aborted++;
    }
    return aborted;
  }

  /**
   * Forget every id idle longer than transactional.id.expiration.ms with no transaction open or
   * completing: a tombstone each (written in the background), then out of memory. Returns how many
   * were started.
   */
  expireTransactionalIds(): number {
    const now = this.#now();
    let expiring = 0;
    for (const meta of this.#txns.values()) {
      const idle = meta.state === "Empty" || meta.state === "CompleteCommit" ||
        meta.state === "CompleteAbort";
      if (!idle || meta.busy || meta.completion !== null || meta.producerEpoch < 0) continue;
      if (now - meta.lastUpdateMs <= this.#expirationMs || this.coordinatorError(meta.transactionalId)) {
        continue;
      }
      void this.#forget(meta);
      expiring++;
    }
    return expiring;
  }

  // ---- Describe / List ----

  describe(transactionalId: string): DescribedTxn {
    const errorCode = this.coordinatorError(transactionalId);
    const meta = errorCode ? undefined : this.#txns.get(transactionalId);
    if (meta === undefined || meta.producerEpoch < 0) {
      return {
        errorCode: errorCode || ErrorCode.TRANSACTIONAL_ID_NOT_FOUND,
        transactionalId,
        state: "Dead",
        timeoutMs: 0,
        startMs: -1,
        producerId: -1n,
        producerEpoch: -1,
        topics: [],
      };
    }
    return {
      errorCode: 0,
      transactionalId,
      state: meta.state,
      timeoutMs: meta.timeoutMs,
      startMs: meta.startMs,
      producerId: meta.producerId,
      producerEpoch: meta.producerEpoch,
      topics: [...meta.partitions].map(([topic, set]) => ({
        topic,
        partitions: [...set].sort((a, b) => a - b),
      })),
    };
  }

  /** Every id this coordinator serves, with its producer id and state. */
  list(): {
    errorCode: number;
    transactions: { transactionalId: string; producerId: bigint; state: TxnStateName; startMs: number }[];
  } {
    const loading = [...this.#partitions.values()].some((p) => p.status === "loading");
    const transactions = [...this.#txns.values()].filter((m) => m.producerEpoch >= 0).map((m) => ({
      transactionalId: m.transactionalId,
      producerId: m.producerId,
      state: m.state,
      startMs: m.startMs,
    }));
    return { errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : 0, transactions };
  }

  /** Transactional ids held (metrics, tests). */
  get size(): number {
    return this.#txns.size;
  }

  // ---- internals ----

  /** The id's metadata when the request may act on it, else the error code to answer. */
  #identified(identity: TxnIdentity): TxnMetadata | number {
    const error = this.coordinatorError(identity.transactionalId);
    if (error) return error;
    const meta = this.#txns.get(identity.transactionalId);
    if (meta === undefined || meta.producerEpoch < 0) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (meta.producerId !== identity.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (meta.producerEpoch !== identity.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (meta.busy) return ErrorCode.CONCURRENT_TRANSACTIONS;
    return meta;
  }

  #bumpedEpoch(epoch: number): number {
    // At the very last epoch the abort keeps it; the next InitProducerId takes a new id.
    return epoch >= MAX_PRODUCER_EPOCH ? epoch : epoch + 1;
  }

  /** Wait (at most endTxnWaitMs) for the id's transaction being completed, if one is. */
  async #settle(transactionalId: string): Promise<void> {
    const completion = this.#txns.get(transactionalId)?.completion;
    if (completion) await bounded(completion, this.#endTxnWaitMs);
  }

  /**
   * Ongoing → Prepare* (durable) → markers → Complete*. Resolves with the error of the Prepare
   * write, once the markers are written or waitMs passed (0: at once).
   */
  async #endTransaction(meta: TxnMetadata, commit: boolean, epoch: number, waitMs = 0): Promise<number> {
    const errorCode = await this.#persist(meta, {
      producerId: meta.producerId,
      producerEpoch: epoch,
      timeoutMs: meta.timeoutMs,
      state: commit ? "PrepareCommit" : "PrepareAbort",
      partitions: toLists(meta.partitions),
      startMs: meta.startMs,
    });
    if (errorCode !== 0) return errorCode;
    let markersWritten!: () => void;
    const written = new Promise<void>((resolve) => markersWritten = resolve);
    const completion = this.#completeTransaction(meta, commit, true, markersWritten);
    meta.completion = completion;
    // The answer needs the markers, not the Complete* record after them (a request arriving
    // meanwhile waits for that in #settle).
    if (waitMs > 0) await bounded(Promise.race([written, completion]), waitMs);
    return 0;
  }

  /** Markers to every partition, then the Complete* record; retried while this coordinator owns it. */
  async #completeTransaction(
    meta: TxnMetadata,
    commit: boolean,
    newDecision: boolean,
    markersWritten?: () => void,
  ): Promise<void> {
    const owner = this.#partitions.get(meta.partition);
    if (owner === undefined) return;
    const coordinatorEpoch = owner.epoch;
    const isCurrent = () =>
      this.#txns.get(meta.transactionalId) === meta &&
      this.#partitions.get(meta.partition)?.epoch === coordinatorEpoch;
    if (newDecision && this.#markerDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.#markerDelayMs));
    }
    const partitions = [...meta.partitions].flatMap(([topic, set]) =>
      [...set].map((partition) => ({ topic, partition }))
    );
    try {
      await this.#markers.write({
        producerId: meta.producerId,
        producerEpoch: meta.producerEpoch,
        commit,
        coordinatorEpoch,
        partitions,
        isCurrent,
      });
    } catch (error) {
      // The writer gives up only when this coordinator lost the transaction: the new one resumes.
      this.#log(
        `transaction ${meta.transactionalId}: markers not finished here: ${(error as Error).message}`,
      );
      return;
    }
    markersWritten?.();
    for (let attempt = 0; isCurrent(); attempt++) {
      const errorCode = await this.#persist(meta, {
        producerId: meta.producerId,
        producerEpoch: meta.producerEpoch,
        timeoutMs: meta.timeoutMs,
        state: commit ? "CompleteCommit" : "CompleteAbort",
        partitions: new Map(),
        startMs: -1,
      });
      if (errorCode === 0) break;
      // The markers are written; only the bookkeeping is missing. Retry, backing off up to 1 s.
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
    }
    meta.completion = null;
  }

  /** Write the id's tombstone (committed), then drop it; requests meanwhile get CONCURRENT_TRANSACTIONS. */
  async #forget(meta: TxnMetadata): Promise<void> {
    invariant(!meta.busy, () => `one state write at a time for ${meta.transactionalId}`);
    meta.busy = true;
    try {
      await this.#store.append(meta.partition, [txnTombstone(meta.transactionalId)]);
    } catch (error) {
      // The id stays as it was; the next sweep tries again (or a new leader's, after a move).
      this.#log(`transactional id ${meta.transactionalId} not expired: ${(error as Error).message}`);
      return;
    } finally {
      meta.busy = false;
    }
    if (this.#txns.get(meta.transactionalId) === meta) this.#txns.delete(meta.transactionalId);
    this.#log(`transactional id ${meta.transactionalId} expired (idle over ${this.#expirationMs} ms)`);
  }

  /** Write the next state (committed), then apply it; the error code the request answers with. */
  async #persist(meta: TxnMetadata, next: Omit<TxnStateValue, "lastUpdateMs">): Promise<number> {
    invariant(!meta.busy, () => `one state write at a time for ${meta.transactionalId}`);
    meta.busy = true;
    const lastUpdateMs = this.#now();
    try {
      await this.#store.append(meta.partition, [
        txnStateRecord(meta.transactionalId, { ...next, lastUpdateMs }),
      ]);
    } catch (error) {
      return storeErrorCode(error);
    } finally {
      meta.busy = false;
    }
    if (this.#txns.get(meta.transactionalId) !== meta) return ErrorCode.NOT_COORDINATOR;
    meta.producerId = next.producerId;
    meta.producerEpoch = next.producerEpoch;
    meta.timeoutMs = next.timeoutMs;
    meta.state = next.state;
    meta.partitions = new Map([...next.partitions].map(([topic, ps]) => [topic, new Set(ps)]));
    meta.startMs = next.startMs;
    meta.lastUpdateMs = lastUpdateMs;
    return 0;
  }
}

/** Wait for the promise, at most waitMs (it keeps running after). */
async function bounded(promise: Promise<unknown>, waitMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise((resolve) => timer = setTimeout(resolve, waitMs))]);
  clearTimeout(timer);
}

function toLists(partitions: Map<string, Set<number>>): Map<string, number[]> {
  return new Map([...partitions].map(([topic, set]) => [topic, [...set]]));
}

/** A failed state write as the code a client understands (retriable where the client should retry). */
function storeErrorCode(error: unknown): number {
  if (!(error instanceof KafkaError)) {
    logLine(`transaction state write failed: ${(error as Error).stack ?? error}`);
    return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
  return error.code === ErrorCode.NOT_LEADER_OR_FOLLOWER
    ? ErrorCode.NOT_COORDINATOR
    : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}
