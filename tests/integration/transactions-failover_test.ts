/**
 * The transaction coordinator's broker is SIGKILLed among three (RF 3 everywhere), over the raw
 * protocol:
 *   1. after the commit decision, before the markers (broker 1 holds the markers of its new
 *      decisions, a test-only knob): the broker that takes over `__transaction_state` replays
 *      PrepareCommit, writes the markers and completes; read_committed sees the records on every
 *      partition.
 *   2. between AddPartitionsToTxn and EndTxn: the transaction stays open at the new coordinator;
 *      its producer commits there, and a second producer's abandoned transaction (same
 *      coordinator) is aborted at its timeout; read_committed sees the first and never the second.
 */
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { createTopics, startCluster, type TestCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";
import { RawKafka } from "./broker-harness.ts";
import {
  addPartitions,
  describeTxn,
  endTxn,
  findTxnCoordinator,
  initTxnProducer,
  readCommitted,
  txnBatch,
  type TxnProducer,
} from "./txn-harness.ts";

const TOPIC = "ledger";
const PARTITIONS = [0, 1, 2];
const LONG = 120_000;

/** A raw connection to a live broker of the cluster (any that accepts one). */
async function anyClient(cluster: TestCluster, except: number[] = []): Promise<RawKafka> {
  return await eventually("a live broker", async () => {
    for (const broker of cluster.brokers) {
      if (except.includes(broker.id)) continue;
      try {
        return await RawKafka.connect(broker.port);
      } catch {
        // That broker is down: try the next.
      }
    }
    return undefined;
  }, LONG);
}

/** A transactional id (prefix-N) whose coordinator is broker `nodeId`. */
async function idCoordinatedBy(client: RawKafka, prefix: string, nodeId: number): Promise<string> {
  for (let n = 0; n < 200; n++) {
    const id = `${prefix}-${n}`;
    if ((await findTxnCoordinator(client, id, LONG)).nodeId === nodeId) return id;
  }
  throw new Error(`No ${prefix}-N is coordinated by broker ${nodeId}`);
}

/** Write a transactional batch to the partition's leader (a non-leader appends nothing). */
async function produceToLeader(
  cluster: TestCluster,
  partition: number,
  batch: Uint8Array,
  except: number[] = [],
) {
  await eventually(`the leader of ${TOPIC}-${partition} takes the batch`, async () => {
    for (const broker of cluster.brokers) {
      if (except.includes(broker.id)) continue;
      try {
        await using client = await RawKafka.connect(broker.port);
        const answer = await client.produce(TOPIC, partition, batch.slice(), -1);
        if (answer.errorCode === 0) return true;
        if (answer.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER) {
          throw new Error(`produce: error ${answer.errorCode}`);
        }
      } catch (error) {
        if ((error as Error).message.startsWith("produce:")) throw error;
        // A broker that is down: try the next.
      }
    }
    return undefined;
  }, LONG);
}

/** read_committed of every partition once stable (LSO = high watermark), asked of each partition's leader. */
async function committedEverywhere(cluster: TestCluster, except: number[] = []): Promise<string[]> {
  const values: string[] = [];
  for (const partition of PARTITIONS) {
    values.push(
      ...await eventually(
        `${TOPIC}-${partition} stable`,
        async () => {
          for (const broker of cluster.brokers) {
            if (except.includes(broker.id)) continue;
            try {
              await using client = await RawKafka.connect(broker.port);
              const read = await readCommitted(client, TOPIC, partition);
              if (read.lastStableOffset === read.highWatermark) return read.values;
            } catch {
              // Not the leader, or down: ask the next.
            }
          }
          return undefined;
        },
        LONG,
        250,
      ),
    );
  }
  return values.sort();
}

/** The id's state as its current coordinator describes it, once it is `state`. */
function coordinatorReaches(cluster: TestCluster, transactionalId: string, state: string, except: number[]) {
  return eventually(
    `${transactionalId} ${state}`,
    async () => {
      await using client = await anyClient(cluster, except);
      const at = await findTxnCoordinator(client, transactionalId, LONG);
      if (except.includes(at.nodeId)) return undefined;
      await using coordinator = await RawKafka.connect(at.port);
      const described = await describeTxn(coordinator, transactionalId);
      return described.transactionState === state ? described : undefined;
    },
    LONG,
    250,
  );
}

/** EndTxn at whichever broker coordinates the id now, retried while it moves or loads. */
function endAtCoordinator(cluster: TestCluster, producer: TxnProducer, commit: boolean, except: number[]) {
  return eventually(
    `EndTxn for ${producer.transactionalId}`,
    async () => {
      await using client = await anyClient(cluster, except);
      const at = await findTxnCoordinator(client, producer.transactionalId, LONG);
      if (except.includes(at.nodeId)) return undefined;
      await using coordinator = await RawKafka.connect(at.port);
      const errorCode = await endTxn(coordinator, producer, commit);
      if (errorCode === 0) return true;
      const retriable = [
        ErrorCode.NOT_COORDINATOR,
        ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
        ErrorCode.CONCURRENT_TRANSACTIONS,
      ];
      if (!retriable.includes(errorCode)) throw new Error(`EndTxn: error ${errorCode}`);
      return undefined;
    },
    LONG,
    250,
  );
}

Deno.test({
  name:
    "the transaction coordinator is SIGKILLed after the decision and mid-transaction: complete or aborted everywhere",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    let holdMarkers = true;
    await using cluster = await startCluster({
      brokers: 3,
      brokerArgs: [
        "--session-timeout-ms",
        "3000",
        "--transaction-state-partitions",
        "3",
        "--transaction-abort-interval-ms",
        "500",
      ],
      brokerArgsFor: (id) => id === 1 && holdMarkers ? ["--transaction-marker-delay-ms", "600000"] : [],
    });
    await createTopics(cluster.bootstrap, [{ name: TOPIC, partitions: 3, replicationFactor: 3 }]);

    // 1. Decision made, markers held; the coordinator dies.
    {
      await using client = await anyClient(cluster, [1]);
      const id = await idCoordinatedBy(client, "decided", 1);
      await using coordinator = await RawKafka.connect(cluster.broker(1).port);
      const producer = await initTxnProducer(coordinator, id);
      assert.deepEqual(await addPartitions(coordinator, producer, TOPIC, PARTITIONS), [0, 0, 0]);
      for (const p of PARTITIONS) await produceToLeader(cluster, p, txnBatch(producer, 0, [`d${p}`]));
      assert.equal(await endTxn(coordinator, producer, true), 0);
      assert.equal((await describeTxn(coordinator, id)).transactionState, "PrepareCommit");
      holdMarkers = false;
      await cluster.broker(1).program.stop("SIGKILL");
      await coordinatorReaches(cluster, id, "CompleteCommit", [1]);
      assert.deepEqual(await committedEverywhere(cluster, [1]), ["d0", "d1", "d2"]);
      await cluster.startBroker(1, cluster.broker(1).port);
      await cluster.waitForBrokers();
    }

    // 2. Transactions open; their coordinator dies.
    {
      await using client = await anyClient(cluster);
      const first = "open-0";
      const victim = (await findTxnCoordinator(client, first, LONG)).nodeId;
      const second = await idCoordinatedBy(client, "abandoned", victim);
      await using coordinator = await RawKafka.connect(cluster.broker(victim).port);
      const committing = await initTxnProducer(coordinator, first);
      const abandoned = await initTxnProducer(coordinator, second, 3000);
      assert.deepEqual(await addPartitions(coordinator, committing, TOPIC, PARTITIONS), [0, 0, 0]);
      assert.deepEqual(await addPartitions(coordinator, abandoned, TOPIC, PARTITIONS), [0, 0, 0]);
      for (const p of PARTITIONS) {
        await produceToLeader(cluster, p, txnBatch(committing, 0, [`c${p}`]));
        await produceToLeader(cluster, p, txnBatch(abandoned, 0, [`x${p}`]));
      }
      await cluster.broker(victim).program.stop("SIGKILL");
      await endAtCoordinator(cluster, committing, true, [victim]);
      await coordinatorReaches(cluster, first, "CompleteCommit", [victim]);
      const aborted = await coordinatorReaches(cluster, second, "CompleteAbort", [victim]);
      assert.equal(aborted.producerEpoch, abandoned.producerEpoch + 1, "the abandoned producer is fenced");
      assert.deepEqual(await committedEverywhere(cluster, [victim]), ["c0", "c1", "c2", "d0", "d1", "d2"]);
    }
  },
});
