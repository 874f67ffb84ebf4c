/**
 * TransactionAdmin: the transactions the coordinators hold. List asks every broker (each knows
 * only the transactional ids it coordinates: ListTransactions, then one DescribeTransactions of
 * those ids for their epochs, partitions and ages); describe finds the id's coordinator
 * (FindCoordinator, key type transaction) and asks it.
 *
 * @example
 * ```ts
 * const admin = new TransactionAdmin({ bootstrap: "127.0.0.1:9092" });
 * const open = (await admin.listTransactions()).filter((t) => t.state === "Ongoing");
 * admin.close();
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import {
  CoordinatorKeyType,
  readFindCoordinatorResponse,
  writeFindCoordinatorRequest,
} from "../kafka/apis/find-coordinator.ts";
import {
  type DescribedTransaction,
  readDescribeTransactionsResponse,
  writeDescribeTransactionsRequest,
} from "../kafka/apis/describe-transactions.ts";
import {
  readListTransactionsResponse,
  writeListTransactionsRequest,
} from "../kafka/apis/list-transactions.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { Cluster, type ClusterOptions } from "./cluster.ts";
import type { Connection } from "./connection.ts";

export interface TransactionDescription {
  transactionalId: string;
  state: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  /** When the open transaction started (ms since the epoch), null when none is open. */
  startedAtMs: number | null;
  partitions: { topic: string; partition: number }[];
  coordinator: number;
}

/** Retries while a coordinator moves or loads. */
const MAX_ATTEMPTS = 10;

export class TransactionAdmin {
  readonly cluster: Cluster;

  constructor(options: ClusterOptions) {
    this.cluster = new Cluster(options);
  }

  /** Every transactional id of every broker, optionally only those in `states`. */
  async listTransactions(states: string[] = []): Promise<TransactionDescription[]> {
    await this.cluster.refreshMetadata();
    const found: TransactionDescription[] = [];
    for (const nodeId of this.cluster.brokers.keys()) {
      const connection = await this.cluster.connectionTo(nodeId);
      const version = connection.versionFor(ApiKey.ListTransactions);
      const listed = await connection.request(
        ApiKey.ListTransactions,
        version,
        (w) => writeListTransactionsRequest(w, version, { stateFilters: states, producerIdFilters: [] }),
        (r) => readListTransactionsResponse(r, version),
      );
      if (listed.errorCode) {
        throw new KafkaError(listed.errorCode, `listing transactions on broker ${nodeId}`);
      }
      if (listed.unknownStateFilters.length > 0) {
        throw new RangeError(`Unknown transaction state: ${listed.unknownStateFilters.join(", ")}`);
      }
      if (listed.transactionStates.length === 0) continue;
      const described = await describeOn(connection, listed.transactionStates.map((t) => t.transactionalId));
      // An id that moved between the two requests is left out: it is listed by its new coordinator.
      for (const t of described) if (t.errorCode === 0) found.push(toDescription(t, nodeId));
    }
    return found.sort((
      a,
      b,
    ) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
  }

  /** One transactional id as its coordinator holds it; TRANSACTIONAL_ID_NOT_FOUND when unknown. */
  async describeTransaction(transactionalId: string): Promise<TransactionDescription> {
    for (let attempt = 0;; attempt++) {
      const nodeId = await this.#coordinatorOf(transactionalId);
      const [described] = await describeOn(await this.cluster.connectionTo(nodeId), [transactionalId]);
      const code = described?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      if (code === 0) return toDescription(described, nodeId);
      const moved = code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      if (!moved || attempt >= MAX_ATTEMPTS) {
        throw new KafkaError(code, `describing transaction "${transactionalId}"`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
    }
  }

  close(): void {
    this.cluster.close();
  }

  async #coordinatorOf(transactionalId: string): Promise<number> {
    for (let attempt = 0;; attempt++) {
      await this.cluster.refreshMetadata();
      const any = this.cluster.brokers.keys().next().value;
      if (any === undefined) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, "no broker is known");
      const connection = await this.cluster.connectionTo(any);
      const version = connection.versionFor(ApiKey.FindCoordinator);
      const answer = await connection.request(
        ApiKey.FindCoordinator,
        version,
        (w) =>
          writeFindCoordinatorRequest(w, version, {
            key: transactionalId,
            keyType: CoordinatorKeyType.Transaction,
          }),
        (r) => readFindCoordinatorResponse(r, version),
      );
      if (answer.errorCode === 0) return answer.nodeId;
      if (answer.errorCode !== ErrorCode.COORDINATOR_NOT_AVAILABLE || attempt >= MAX_ATTEMPTS) {
        throw new KafkaError(answer.errorCode, `finding the coordinator of transaction "${transactionalId}"`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
    }
  }
}

async function describeOn(
  connection: Connection,
  transactionalIds: string[],
): Promise<DescribedTransaction[]> {
  const version = connection.versionFor(ApiKey.DescribeTransactions);
  const response = await connection.request(
    ApiKey.DescribeTransactions,
    version,
    (w) => writeDescribeTransactionsRequest(w, version, { transactionalIds }),
    (r) => readDescribeTransactionsResponse(r, version),
  );
  return response.transactionStates;
}

function toDescription(t: DescribedTransaction, coordinator: number): TransactionDescription {
  return {
    transactionalId: t.transactionalId,
    state: t.transactionState,
    producerId: t.producerId,
    producerEpoch: t.producerEpoch,
    timeoutMs: t.transactionTimeoutMs,
    startedAtMs: t.transactionStartTimeMs >= 0 ? t.transactionStartTimeMs : null,
    partitions: t.topics.flatMap((topic) =>
      topic.partitions.map((partition) => ({ topic: topic.topic, partition }))
    ),
    coordinator,
  };
}
