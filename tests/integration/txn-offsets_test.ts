/**
 * The group side of transactions against a real broker process, over the raw protocol (the test
 * plays the transaction coordinator with WriteTxnMarkers): offsets committed by TxnOffsetCommit
 * stay invisible to OffsetFetch until the COMMIT marker reaches the group's `__consumer_offsets`
 * partition (require_stable answers UNSTABLE_OFFSET_COMMIT meanwhile), an ABORT drops them, and a
 * broker SIGKILLed and restarted replays the partition honouring the markers: a committed
 * transaction's offsets stay, an open one is pending again until its marker comes.
 */
import assert from "node:assert/strict";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import {
  readFindCoordinatorResponse,
  writeFindCoordinatorRequest,
} from "../../src/kafka/apis/find-coordinator.ts";
import { readOffsetCommitResponse, writeOffsetCommitRequest } from "../../src/kafka/apis/offset-commit.ts";
import { readOffsetFetchResponse, writeOffsetFetchRequest } from "../../src/kafka/apis/offset-fetch.ts";
import {
  readTxnOffsetCommitResponse,
  writeTxnOffsetCommitRequest,
} from "../../src/kafka/apis/txn-offset-commit.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import { eventually } from "../helpers/program.ts";
import { brokerTestBed, RawKafka, startBrokerProcess } from "./broker-harness.ts";
import { initProducerId, writeMarker } from "./txn-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const TOPIC = "orders";
const GROUP = "payments";
/** One offsets partition, so the group's is partition 0. */
const EXTRA = ["--auto-create-topics", "--offsets-topic-partitions", "1"];

async function fetchOffset(client: RawKafka, version: number, requireStable = false) {
  const response = await client.request(
    ApiKey.OffsetFetch,
    version,
    (w) =>
      writeOffsetFetchRequest(w, version, {
        groupId: GROUP,
        topics: [{ name: TOPIC, partitionIndexes: [0] }],
        requireStable,
      }),
    (r) => readOffsetFetchResponse(r, version),
  );
  const p = response.topics[0].partitions[0];
  return { offset: p.committedOffset, errorCode: response.errorCode || p.errorCode };
}

async function txnCommit(client: RawKafka, version: number, producerId: bigint, offset: number) {
  const response = await client.request(
    ApiKey.TxnOffsetCommit,
    version,
    (w) =>
      writeTxnOffsetCommitRequest(w, version, {
        transactionalId: "payments-1",
        groupId: GROUP,
        producerId,
        producerEpoch: 0,
        topics: [{
          name: TOPIC,
          partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: "" }],
        }],
      }),
    (r) => readTxnOffsetCommitResponse(r, version),
  );
  return response.topics[0].partitions[0].errorCode;
}

/** The marker a coordinator would send for the producer's transaction on the group's offsets partition. */
function marker(client: RawKafka, producerId: bigint, commit: boolean): Promise<number> {
  return writeMarker(client, { producerId, commit, topic: "__consumer_offsets", partition: 0 });
}

/** Wait until the broker coordinates the group (offsets topic created and loaded). */
async function coordinatorReady(client: RawKafka) {
  await eventually("the group coordinator", async () => {
    try {
      const found = await client.request(
        ApiKey.FindCoordinator,
        1,
        (w) => writeFindCoordinatorRequest(w, 1, { key: GROUP, keyType: 0 }),
        (r) => readFindCoordinatorResponse(r, 1),
      );
      if (found.errorCode !== 0) return false;
      return (await fetchOffset(client, 4)).errorCode === 0;
    } catch {
      return false; // the restarted broker is not serving yet
    }
  }, 60_000);
}

Deno.test(
  "TxnOffsetCommit: pending until the COMMIT marker, dropped on ABORT, replayed after a SIGKILL",
  options,
  async () => {
    await using bed = await brokerTestBed(1, EXTRA);
    let broker = await startBrokerProcess(bed.options);
    try {
      let client = await RawKafka.connect(bed.options.port);
      await client.metadata([TOPIC], true);
      await eventually(
        "the topic's leader",
        async () =>
          (await client.produce(TOPIC, 0, encodeRecordBatch({ records: [{ value: "o" }] }))).errorCode === 0,
      );
      await coordinatorReady(client);
      const plain = await client.request(
        ApiKey.OffsetCommit,
        2,
        (w) =>
          writeOffsetCommitRequest(w, 2, {
            groupId: GROUP,
            topics: [{
              name: TOPIC,
              partitions: [{ partitionIndex: 0, committedOffset: 3, committedMetadata: "" }],
            }],
          }),
        (r) => readOffsetCommitResponse(r, 2),
      );
      assert.equal(plain.topics[0].partitions[0].errorCode, 0);
      const { producerId: pid } = await initProducerId(client, null);

      // Committed transaction (v3 request, the flexible encoding).
      assert.equal(await txnCommit(client, 3, pid, 10), 0);
      assert.deepEqual(await fetchOffset(client, 4), { offset: 3, errorCode: 0 }, "pending is invisible");
      assert.deepEqual(await fetchOffset(client, 7, true), {
        offset: -1,
        errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT,
      });
      assert.deepEqual(await fetchOffset(client, 6), { offset: 3, errorCode: 0 });
      assert.equal(await marker(client, pid, true), 0);
      assert.deepEqual(await fetchOffset(client, 7, true), { offset: 10, errorCode: 0 });

      // Aborted transaction (v0 request).
      assert.equal(await txnCommit(client, 0, pid, 20), 0);
      assert.equal(await marker(client, pid, false), 0);
      assert.deepEqual(await fetchOffset(client, 7, true), { offset: 10, errorCode: 0 });

      // An open transaction survives a SIGKILL as pending; the committed one stays committed.
      assert.equal(await txnCommit(client, 2, pid, 30), 0);
      await client[Symbol.asyncDispose]();
      await broker.stop("SIGKILL");
      broker = await startBrokerProcess(bed.options);
      client = await RawKafka.connect(bed.options.port);
      await coordinatorReady(client);
      assert.deepEqual(await fetchOffset(client, 4), { offset: 10, errorCode: 0 });
      assert.deepEqual(await fetchOffset(client, 7, true), {
        offset: -1,
        errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT,
      });
      assert.equal(await marker(client, pid, true), 0);
      assert.deepEqual(await fetchOffset(client, 7, true), { offset: 30, errorCode: 0 });

      // And once more from the log: the COMMIT marker is replayed.
      await client[Symbol.asyncDispose]();
      await broker.stop("SIGKILL");
      broker = await startBrokerProcess(bed.options);
      await using last = await RawKafka.connect(bed.options.port);
      await coordinatorReady(last);
      assert.deepEqual(await fetchOffset(last, 7, true), { offset: 30, errorCode: 0 });
    } finally {
      await broker.stop("SIGKILL");
    }
  },
);
