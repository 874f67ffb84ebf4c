/**
 * A transactional producer's conversations with its coordinators: the transaction coordinator
 * (found with FindCoordinator key type transaction) for InitProducerId, AddPartitionsToTxn,
 * AddOffsetsToTxn and EndTxn, and a group's coordinator for TxnOffsetCommit. Each request is
 * retried while the answer says to (the coordinator moved or is loading, the previous transaction
 * is still being completed: CONCURRENT_TRANSACTIONS, a pending offset commit), within the retry
 * policy's time; anything else — above all PRODUCER_FENCED / INVALID_PRODUCER_EPOCH, when a newer
 * instance took the transactional id — is thrown as a KafkaError. The Producer keeps the state
 * (is a transaction open, which partitions are in it); this module only talks.
 *
 * @example
 * ```ts
 * const coordinator = new TransactionCoordinatorClient(cluster, "payments-1", { transactionTimeoutMs: 60_000, retry });
 * const identity = await coordinator.initProducerId();
 * await coordinator.addPartitions(identity, [{ topic: "payments", partition: 0 }]);
 * await coordinator.endTxn(identity, true);
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import {
  readAddOffsetsToTxnResponse,
  writeAddOffsetsToTxnRequest,
} from "../kafka/apis/add-offsets-to-txn.ts";
import {
  readAddPartitionsToTxnResponse,
  writeAddPartitionsToTxnRequest,
} from "../kafka/apis/add-partitions-to-txn.ts";
import { readEndTxnResponse, writeEndTxnRequest } from "../kafka/apis/end-txn.ts";
import { CoordinatorKeyType } from "../kafka/apis/find-coordinator.ts";
import { readInitProducerIdResponse, writeInitProducerIdRequest } from "../kafka/apis/init-producer-id.ts";
import { readTxnOffsetCommitResponse, writeTxnOffsetCommitRequest } from "../kafka/apis/txn-offset-commit.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import type { Cluster } from "./cluster.ts";
import { COORDINATOR_MOVED, GroupCoordinatorLink } from "./group-coordinator-link.ts";
import type { RetryPolicy } from "./retry.ts";

/** The producer id and epoch a transactional id was given. */
export interface TransactionIdentity {
  producerId: bigint;
  producerEpoch: number;
}

/** Offsets to commit for a group inside a transaction (the next offset to read, as Kafka's). */
export interface TransactionOffsets {
  groupId: string;
  offsets: readonly { topic: string; partition: number; offset: number }[];
  /**
   * The consumer's group generation and member id (KIP-447): a member that lost its partitions in
   * a rebalance cannot commit for them any more. Default -1 / "": not checked.
   */
  generationId?: number;
  memberId?: string;
}

/** Errors on which a coordinator request is simply repeated after a backoff. */
const REPEAT: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.UNSTABLE_OFFSET_COMMIT,
  ErrorCode.REQUEST_TIMED_OUT,
]);

export class TransactionCoordinatorClient {
  readonly transactionalId: string;
  readonly #cluster: Cluster;
  readonly #transactionTimeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #link: GroupCoordinatorLink;
  /** One link per group whose offsets this producer commits (few: usually one). */
  readonly #groupLinks = new Map<string, GroupCoordinatorLink>();

  constructor(
    cluster: Cluster,
    transactionalId: string,
    options: { transactionTimeoutMs: number; retry: RetryPolicy },
  ) {
    this.transactionalId = transactionalId;
    this.#cluster = cluster;
    this.#transactionTimeoutMs = options.transactionTimeoutMs;
    this.#retry = options.retry;
    this.#link = new GroupCoordinatorLink(cluster, transactionalId, {
      keyType: CoordinatorKeyType.Transaction,
    });
  }

  /** InitProducerId for the transactional id: a new epoch, fencing any older instance. */
  async initProducerId(): Promise<TransactionIdentity> {
    const response = await this.#request(this.#link, "InitProducerId", (link) =>
      link.request(
        ApiKey.InitProducerId,
        (w, v) =>
          writeInitProducerIdRequest(w, v, {
            transactionalId: this.transactionalId,
            transactionTimeoutMs: this.#transactionTimeoutMs,
          }),
        readInitProducerIdResponse,
      ), (r) => r.errorCode);
    return { producerId: response.producerId, producerEpoch: response.producerEpoch };
  }

  /** AddPartitionsToTxn: the partitions the transaction is about to write to. */
  async addPartitions(
    identity: TransactionIdentity,
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<void> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) {
      if (!byTopic.has(topic)) byTopic.set(topic, []);
      byTopic.get(topic)!.push(partition);
    }
    const topics = [...byTopic].map(([name, indexes]) => ({ name, partitions: indexes }));
    await this.#request(this.#link, "AddPartitionsToTxn", (link) =>
      link.request(
        ApiKey.AddPartitionsToTxn,
        (w, v) =>
          writeAddPartitionsToTxnRequest(w, v, {
            transactionalId: this.transactionalId,
            ...identity,
            topics,
          }),
        readAddPartitionsToTxnResponse,
      ), (response) => {
      // OPERATION_NOT_ATTEMPTED only says another partition of the request failed.
      let first: number = ErrorCode.NONE;
      for (const topic of response.results) {
        for (const p of topic.results) {
          if (p.errorCode !== ErrorCode.NONE && p.errorCode !== ErrorCode.OPERATION_NOT_ATTEMPTED) {
            first ||= p.errorCode;
          }
        }
      }
      return first;
    });
  }

  /** AddOffsetsToTxn then TxnOffsetCommit: the group's offsets, committed with the transaction. */
  async sendOffsets(identity: TransactionIdentity, offsets: TransactionOffsets): Promise<void> {
    await this.#request(this.#link, "AddOffsetsToTxn", (link) =>
      link.request(
        ApiKey.AddOffsetsToTxn,
        (w, v) =>
          writeAddOffsetsToTxnRequest(w, v, {
            transactionalId: this.transactionalId,
            ...identity,
            groupId: offsets.groupId,
          }),
        readAddOffsetsToTxnResponse,
      ), (r) => r.errorCode);
    let groupLink = this.#groupLinks.get(offsets.groupId);
    if (groupLink === undefined) {
      groupLink = new GroupCoordinatorLink(this.#cluster, offsets.groupId);
      this.#groupLinks.set(offsets.groupId, groupLink);
    }
    const byTopic = new Map<
      string,
      { partitionIndex: number; committedOffset: number; committedMetadata: string }[]
    >();
    for (const { topic, partition, offset } of offsets.offsets) {
      if (!byTopic.has(topic)) byTopic.set(topic, []);
      byTopic.get(topic)!.push({ partitionIndex: partition, committedOffset: offset, committedMetadata: "" });
    }
    const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    await this.#request(groupLink, "TxnOffsetCommit", (link) =>
      link.request(
        ApiKey.TxnOffsetCommit,
        (w, v) =>
          writeTxnOffsetCommitRequest(w, v, {
            transactionalId: this.transactionalId,
            groupId: offsets.groupId,
            ...identity,
            generationId: offsets.generationId ?? -1,
            memberId: offsets.memberId ?? "",
            groupInstanceId: null,
            topics,
          }),
        readTxnOffsetCommitResponse,
      ), (response) => {
      for (const topic of response.topics) {
        for (const p of topic.partitions) if (p.errorCode !== ErrorCode.NONE) return p.errorCode;
      }
      return ErrorCode.NONE;
    });
  }

  /** EndTxn: commit (true) or abort (false) the open transaction. */
  async endTxn(identity: TransactionIdentity, commit: boolean): Promise<void> {
    await this.#request(this.#link, commit ? "EndTxn (commit)" : "EndTxn (abort)", (link) =>
      link.request(
        ApiKey.EndTxn,
        (w, v) =>
          writeEndTxnRequest(w, v, { transactionalId: this.transactionalId, ...identity, committed: commit }),
        readEndTxnResponse,
      ), (r) => r.errorCode);
  }

  close(): void {
    this.#link.close();
    for (const link of this.#groupLinks.values()) link.close();
  }

  /**
   * Send until the answer is final: a moved coordinator is looked up again, a busy or loading
   * one asked again, both after a backoff and within the retry policy; a broken connection too.
   */
  async #request<T>(
    link: GroupCoordinatorLink,
    what: string,
    send: (link: GroupCoordinatorLink) => Promise<T>,
    errorOf: (response: T) => number,
  ): Promise<T> {
    let attempt = 0;
    const startedAt = Date.now();
    for (;;) {
      let error: unknown;
      try {
        const response = await send(link);
        const code = errorOf(response);
        if (code === ErrorCode.NONE) return response;
        if (COORDINATOR_MOVED.has(code)) link.reset();
        error = new KafkaError(code, `${what} for transactional id "${this.transactionalId}"`);
        if (!COORDINATOR_MOVED.has(code) && !REPEAT.has(code)) throw error;
      } catch (thrown) {
        if (thrown === error) throw thrown;
        error = thrown;
      }
      if (!this.#retry.shouldRetry(error, attempt, startedAt) && !isRepeatable(error)) throw error;
      if (Date.now() - startedAt > this.#retry.deadlineMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, this.#retry.backoffMs(++attempt)));
    }
  }
}

/** Coordinator answers that only mean "not now" (retried even past the retry count, within time). */
function isRepeatable(error: unknown): boolean {
  return error instanceof KafkaError && (REPEAT.has(error.code) || COORDINATOR_MOVED.has(error.code));
}
