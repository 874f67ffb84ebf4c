/**
 * ProducerState: what one partition replica knows of its idempotent producers, which is what
 * makes a retried batch land once. Per producer id it keeps the epoch and the sequence ranges of
 * the last five batches with the offsets they got (a client keeps at most five requests in
 * flight per partition, so a retry always repeats one of them):
 *
 *   check   the leader's question before an append: is this batch new and next in sequence
 *           ("append"), a repeat of one of the five ("duplicate": answered with its first
 *           offset, not appended again), or refused (an error code)?
 *   apply   every batch the log holds passes through here, on the leader after its append, on a
 *           follower as it replicates, at start-up as the log tail is replayed: so every replica
 *           holds the same state and de-duplication survives a leader change.
 *   expire  producers idle for producer.id.expiration.ms are forgotten. Idle is measured on this
 *           broker's clock (when a batch was applied), not by batch timestamps: a producer writing
 *           records with old CreateTimes is still active.
 *   transactions  a transactional batch opens its producer's transaction at its offset (if none
 *           is open); a control batch (COMMIT / ABORT marker, written by WriteTxnMarkers) closes
 *           it, and an aborted one is remembered (producer id, first offset, marker offset) for
 *           read_committed fetches, which need the list to drop aborted records. The first
 *           offset of the oldest open transaction bounds the last stable offset (LSO).
 *   encode / decode   the snapshot written at segment roll and clean shutdown (see
 *           producer-snapshots.ts), so recovery replays only the log after it.
 *
 * The rules (Kafka's, which the clients expect): a batch with an older epoch than the one known
 * is INVALID_PRODUCER_EPOCH; a newer epoch must start at sequence 0; in the same epoch the first
 * sequence must follow the last one (wrapping after 2^31-1), else OUT_OF_ORDER_SEQUENCE_NUMBER;
 * a producer id the partition does not know must start at sequence 0, else UNKNOWN_PRODUCER_ID.
 * Batches without a producer id (-1) are not checked.
 *
 * @example
 * ```ts
 * const state = new ProducerState();
 * const verdict = state.check(headers);          // before the append (leader)
 * if (verdict.kind === "append") for (const h of appended) state.apply(h);
 * ```
 */
import { Attributes, type BatchHeader } from "../../kafka/record-batch.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { Reader } from "../../wire/reader.ts";
import { Writer } from "../../wire/writer.ts";
import { crc32c } from "../../wire/crc32c.ts";

/** Batches remembered per producer (Kafka's, and the clients' bound on requests in flight). */
export const BATCHES_PER_PRODUCER = 5;

const MAX_SEQUENCE = 0x7fff_ffff;

/** The header fields of a batch the state reads (offsets as stored, after the leader's rewrite). */
export type ProducerBatchHeader = Pick<
  BatchHeader,
  | "baseOffset"
  | "attributes"
  | "lastOffsetDelta"
  | "producerId"
  | "producerEpoch"
  | "baseSequence"
>;

/** One remembered batch: its sequence range and where it landed. */
export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
}

/** What the partition knows of one producer id. */
export interface ProducerEntry {
  epoch: number;
  /** The last batches, oldest first, at most BATCHES_PER_PRODUCER. */
  batches: BatchMetadata[];
  /** When (this broker's clock, ms) a batch of the producer was last applied, for expiry. */
  lastTimestampMs: number;
}

/** The leader's answer to a producer's batches. */
/** An aborted transaction: a read_committed consumer drops its records in [firstOffset, lastOffset). */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: number;
  /** The ABORT marker's offset. */
  lastOffset: number;
}

/** Control record types (the marker key's second int16). */
export const ControlType = { abort: 0, commit: 1 } as const;

export type AppendVerdict =
  | { kind: "append" }
  | { kind: "duplicate"; firstOffset: number; lastOffset: number }
  | { kind: "error"; errorCode: number; message: string };

const APPEND: AppendVerdict = { kind: "append" };

/** The last sequence of a batch (sequences wrap to 0 after 2^31-1, as Kafka's). */
export function lastSequenceOf(baseSequence: number, lastOffsetDelta: number): number {
  const last = baseSequence + lastOffsetDelta;
  return last > MAX_SEQUENCE ? last - MAX_SEQUENCE - 1 : last;
}

function follows(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === (lastSeq === MAX_SEQUENCE ? 0 : lastSeq + 1);
}

function isControl(attributes: number): boolean {
  return (attributes & Attributes.control) !== 0;
}

function isTransactional(attributes: number): boolean {
  return (attributes & Attributes.transactional) !== 0;
}

export class ProducerState {
  readonly #producers = new Map<bigint, ProducerEntry>();
  /** Open transactions: producer id → offset of its first transactional batch. */
  readonly #ongoing = new Map<bigint, number>();
  /** Aborted transactions, in marker order (ascending lastOffset). */
  #aborted: AbortedTransaction[] = [];

  /** Producer ids known. */
  get size(): number {
    return this.#producers.size;
  }

  /** The entry of a producer id (tests, tools); do not change it. */
  entry(producerId: bigint): Readonly<ProducerEntry> | undefined {
    return this.#producers.get(producerId);
  }

  /**
   * May the leader append these batches (one produce request's batches for this partition)?
   * A batch repeating a remembered one makes the whole request a duplicate (a client sends one
   * batch per partition per request); the batches are checked in order, each against the state
   * the previous ones would leave. `fromCoordinator`: batches a coordinator writes for the
   * producer (transaction markers; a group coordinator's transactional offset commits), which
   * carry the producer's epoch but no sequence: only the epoch is checked.
   */
  check(headers: readonly ProducerBatchHeader[], fromCoordinator = false): AppendVerdict {
    // Sequences the earlier batches of this request would leave, per producer id.
    let pending: Map<bigint, { epoch: number; lastSeq: number }> | undefined;
    for (const header of headers) {
      const producerId = header.producerId;
      if (producerId < 0n) continue;
      if (isControl(header.attributes) || fromCoordinator) {
        // A marker (or a coordinator's write for the producer) with an older epoch than the partition knows: fenced.
        const known = this.#producers.get(producerId);
        if (known !== undefined && header.producerEpoch < known.epoch) {
          return refuse(
            ErrorCode.INVALID_PRODUCER_EPOCH,
            `${
              isControl(header.attributes) ? "marker" : "coordinator batch"
            } for producer ${producerId} epoch ${header.producerEpoch}, older than ${known.epoch}`,
          );
        }
        continue;
      }
      const epoch = header.producerEpoch;
      const firstSeq = header.baseSequence;
      const lastSeq = lastSequenceOf(firstSeq, header.lastOffsetDelta);
      const entry = this.#producers.get(producerId);
      const before = pending?.get(producerId);
      if (before === undefined && entry !== undefined && epoch === entry.epoch) {
        const duplicate = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
        if (duplicate) {
          return { kind: "duplicate", firstOffset: duplicate.firstOffset, lastOffset: duplicate.lastOffset };
        }
      }
      const knownEpoch = before?.epoch ?? entry?.epoch;
      const knownLastSeq = before?.lastSeq ?? entry?.batches.at(-1)?.lastSeq ?? -1;
      if (knownEpoch === undefined) {
        if (firstSeq !== 0) {
          return refuse(
            ErrorCode.UNKNOWN_PRODUCER_ID,
            `producer ${producerId} is not known here and its batch starts at sequence ${firstSeq}, not 0`,
          );
        }
      } else if (epoch < knownEpoch) {
        return refuse(
          ErrorCode.INVALID_PRODUCER_EPOCH,
          `producer ${producerId} epoch ${epoch} is older than its current epoch ${knownEpoch}`,
        );
      } else if (epoch > knownEpoch) {
        if (firstSeq !== 0) {
          return refuse(
            ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            `producer ${producerId} starts its new epoch ${epoch} at sequence ${firstSeq}, not 0`,
          );
        }
      } else if (!follows(knownLastSeq, firstSeq)) {
        return refuse(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `producer ${producerId} sent sequence ${firstSeq}, expected ${
            knownLastSeq === MAX_SEQUENCE ? 0 : knownLastSeq + 1
          }`,
        );
      }
      (pending ??= new Map()).set(producerId, { epoch, lastSeq });
    }
    return APPEND;
  }

  /**
   * Record a batch the log now holds (baseOffset is its stored offset). Never refuses: the log
   * is the truth, on the leader after check(), on followers and in recovery as it was written.
   * `nowMs` is the producer's last activity (recovery passes the time it ran: a replayed producer
   * gets a full expiration period, never less than it had). `controlType` is the marker's type
   * for a control batch (ControlType), else ignored.
   */
  apply(header: ProducerBatchHeader, nowMs: number, controlType = -1): void {
    const producerId = header.producerId;
    if (producerId < 0n) return;
    let entry = this.#producers.get(producerId);
    const epoch = header.producerEpoch;
    if (entry !== undefined && epoch < entry.epoch) return; // fenced data the leader let through earlier
    if (entry === undefined) {
      entry = { epoch, batches: [], lastTimestampMs: nowMs };
      this.#producers.set(producerId, entry);
    } else if (epoch > entry.epoch) {
      entry.epoch = epoch;
      entry.batches = []; // a new epoch starts its sequences over
    }
    if (nowMs > entry.lastTimestampMs) entry.lastTimestampMs = nowMs;
    // A control batch (a transaction marker) carries no sequence: it ends the open transaction.
    if (isControl(header.attributes)) {
      const firstOffset = this.#ongoing.get(producerId);
      this.#ongoing.delete(producerId);
      if (controlType === ControlType.abort && firstOffset !== undefined) {
        this.#aborted.push({ producerId, firstOffset, lastOffset: header.baseOffset });
      }
      return;
    }
    if (isTransactional(header.attributes) && !this.#ongoing.has(producerId)) {
      this.#ongoing.set(producerId, header.baseOffset);
    }
    if (header.baseSequence < 0) return;
    const firstOffset = header.baseOffset;
    entry.batches.push({
      firstSeq: header.baseSequence,
      lastSeq: lastSequenceOf(header.baseSequence, header.lastOffsetDelta),
      firstOffset,
      lastOffset: firstOffset + header.lastOffsetDelta,
    });
    if (entry.batches.length > BATCHES_PER_PRODUCER) entry.batches.shift();
  }

  /** Forget producers whose last batch is older than expirationMs; returns how many. */
  expire(nowMs: number, expirationMs: number): number {
    let expired = 0;
    for (const [producerId, entry] of this.#producers) {
      // A producer with an open transaction stays until its marker (the coordinator's timeout ends it).
      if (nowMs - entry.lastTimestampMs >= expirationMs && !this.#ongoing.has(producerId)) {
        this.#producers.delete(producerId);
        expired++;
      }
    }
    return expired;
  }

  /** The first offset of the oldest open transaction, or Infinity when none is open. */
  get firstUnstableOffset(): number {
    let first = Infinity;
    for (const offset of this.#ongoing.values()) if (offset < first) first = offset;
    return first;
  }

  /** Open transactions (producer id → first offset), for tools and tests. */
  get ongoingTransactions(): ReadonlyMap<bigint, number> {
    return this.#ongoing;
  }

  /** Aborted transactions whose records may lie in [fromOffset, toOffset). */
  abortedTransactions(fromOffset: number, toOffset: number): AbortedTransaction[] {
    const found: AbortedTransaction[] = [];
    for (const aborted of this.#aborted) {
      if (aborted.lastOffset >= fromOffset && aborted.firstOffset < toOffset) found.push(aborted);
    }
    return found;
  }

  /** Does the batch of this producer at this offset belong to an aborted transaction? */
  isAborted(producerId: bigint, offset: number): boolean {
    for (const aborted of this.#aborted) {
      if (aborted.producerId === producerId && aborted.firstOffset <= offset && offset < aborted.lastOffset) {
        return true;
      }
    }
    return false;
  }

  /** Forget aborted transactions wholly below the log start (retention removed their records). */
  trimAborted(logStartOffset: number): void {
    if (this.#aborted.length > 0 && this.#aborted[0].lastOffset < logStartOffset) {
      this.#aborted = this.#aborted.filter((aborted) => aborted.lastOffset >= logStartOffset);
    }
  }

  clear(): void {
    this.#ongoing.clear();
    this.#aborted = [];
    this.#producers.clear();
  }

  /**
   * The state as bytes (the snapshot file's body):
   *   version INT16 count INT32
   *   [producer_id INT64 epoch INT16 last_timestamp INT64 batches INT8
   *     [first_seq INT32 last_seq INT32 first_offset INT64 last_offset INT64]]
   *   ongoing INT32 [producer_id INT64 first_offset INT64]                       (version 2)
   *   aborted INT32 [producer_id INT64 first_offset INT64 last_offset INT64]     (version 2)
   *   crc UINT32 (CRC-32C of everything before it)
   */
  encode(): Uint8Array {
    const writer = new Writer(64 + this.#producers.size * 64);
    writer.int16(SNAPSHOT_VERSION).int32(this.#producers.size);
    for (const [producerId, entry] of this.#producers) {
      writer.int64(producerId).int16(entry.epoch).int64n(entry.lastTimestampMs).int8(entry.batches.length);
      for (const batch of entry.batches) {
        writer.int32(batch.firstSeq).int32(batch.lastSeq).int64n(batch.firstOffset).int64n(batch.lastOffset);
      }
    }
    writer.int32(this.#ongoing.size);
    for (const [producerId, firstOffset] of this.#ongoing) writer.int64(producerId).int64n(firstOffset);
    writer.int32(this.#aborted.length);
    for (const aborted of this.#aborted) {
      writer.int64(aborted.producerId).int64n(aborted.firstOffset).int64n(aborted.lastOffset);
    }
    const body = writer.view();
    writer.uint32(crc32c(body));
    return writer.toBytes();
  }

  /** The state a snapshot holds; throws RangeError when the bytes are damaged or not one. */
  static decode(bytes: Uint8Array): ProducerState {
    if (bytes.length < 10) throw new RangeError(`Producer snapshot of ${bytes.length} bytes is truncated`);
    const body = bytes.subarray(0, bytes.length - 4);
    const crc = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0);
    if (crc32c(body) !== crc) throw new RangeError("Producer snapshot fails its CRC check");
    const reader = new Reader(body);
    const version = reader.int16();
    if (version !== SNAPSHOT_VERSION && version !== 1) {
      throw new RangeError(`Producer snapshot version ${version} is unknown`);
    }
    const state = new ProducerState();
    const count = reader.int32();
    for (let i = 0; i < count; i++) {
      const producerId = reader.int64();
      const epoch = reader.int16();
      const lastTimestampMs = reader.int64n();
      const batchCount = reader.int8();
      if (batchCount < 0 || batchCount > BATCHES_PER_PRODUCER) {
        throw new RangeError(`Producer snapshot holds ${batchCount} batches for one producer`);
      }
      const batches: BatchMetadata[] = [];
      for (let j = 0; j < batchCount; j++) {
        batches.push({
          firstSeq: reader.int32(),
          lastSeq: reader.int32(),
          firstOffset: reader.int64n(),
          lastOffset: reader.int64n(),
        });
      }
      state.#producers.set(producerId, { epoch, batches, lastTimestampMs });
    }
    if (version >= 2) {
      const ongoing = reader.int32();
      for (let i = 0; i < ongoing; i++) state.#ongoing.set(reader.int64(), reader.int64n());
      const aborted = reader.int32();
      for (let i = 0; i < aborted; i++) {
        state.#aborted.push({
          producerId: reader.int64(),
          firstOffset: reader.int64n(),
          lastOffset: reader.int64n(),
        });
      }
    }
    reader.expectEnd("producer snapshot");
    return state;
  }
}

/** 2 adds open and aborted transactions; version 1 files (no transactions) are still read. */
const SNAPSHOT_VERSION = 2;

function refuse(errorCode: number, message: string): AppendVerdict {
  return { kind: "error", errorCode, message };
}
