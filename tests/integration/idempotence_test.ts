/**
 * The idempotent producer over the raw protocol against real broker processes: InitProducerId
 * hands out an id; a batch whose response was lost (the connection dropped before it was read)
 * and that is sent again is stored once, both answers naming the same offset; a gap, a stale
 * epoch and an unknown producer id get their errors; the de-duplication survives a SIGKILL and
 * restart of the broker (snapshot plus log tail), a SIGTERM and restart (the state kept in the
 * data directory's clean-shutdown state) and a leader failover (the new leader built the state
 * from what it replicated).
 */
import assert from "node:assert/strict";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import {
  readInitProducerIdResponse,
  writeInitProducerIdRequest,
} from "../../src/kafka/apis/init-producer-id.ts";
import { writeProduceRequest } from "../../src/kafka/apis/produce.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import { startCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";
import { brokerTestBed, RawKafka, startBrokerProcess, text } from "./broker-harness.ts";
import { partitionState, waitForControllerFailover, waitForLiveBrokers } from "./controller-failover.ts";
import { clientOf, createAssignedTopic, waitForIsr } from "./replication-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

async function initProducerId(client: RawKafka): Promise<bigint> {
  const response = await client.request(
    ApiKey.InitProducerId,
    1,
    (w) => writeInitProducerIdRequest(w, 1, { transactionalId: null, transactionTimeoutMs: 60_000 }),
    (r) => readInitProducerIdResponse(r, 1),
  );
  assert.equal(response.errorCode, 0);
  assert.equal(response.producerEpoch, 0);
  return response.producerId;
}

function batch(producerId: bigint, sequence: number, values: string[], epoch = 0): Uint8Array {
  return encodeRecordBatch({
    records: values.map((value) => ({ value, timestamp: Date.now() })),
    producerId,
    producerEpoch: epoch,
    baseSequence: sequence,
  });
}

/** Produce with acks=all; the batch bytes are copied (the encoder's buffer is reused by tests). */
function produce(client: RawKafka, topic: string, records: Uint8Array) {
  return client.produce(topic, 0, records.slice(), -1);
}

Deno.test(
  "a produce whose response was lost is stored once when sent again; errors for gaps, stale epochs, unknown ids",
  options,
  async () => {
    await using bed = await brokerTestBed(1, ["--auto-create-topics"]);
    const broker = await startBrokerProcess(bed.options);
    try {
      await using client = await RawKafka.connect(bed.options.port);
      await client.metadata(["idem"], true);
      await eventually("the topic's leader", async () => {
        const metadata = await client.metadata(["idem"]);
        return metadata.topics[0]?.partitions[0]?.leaderId === 1;
      });
      const producerId = await initProducerId(client);
      assert.equal(await initProducerId(client) === producerId, false, "every InitProducerId gives a new id");

      // The first attempt: written to the socket, then the connection drops before the answer.
      const first = batch(producerId, 0, ["a", "b"]);
      {
        const lost = await RawKafka.connect(bed.options.port);
        await lost.send(ApiKey.Produce, 7, 1, (w) =>
          writeProduceRequest(w, 7, {
            transactionalId: null,
            acks: -1,
            timeoutMs: 30_000,
            topicData: [{ name: "idem", partitionData: [{ index: 0, records: first.slice() }] }],
          }));
        await eventually(
          "the first attempt to be stored",
          async () => (await client.fetch("idem", 0, 0)).highWatermark === 2,
        );
        lost.conn.close();
      }
      const retry = await produce(client, "idem", first);
      assert.deepEqual(
        [retry.errorCode, retry.baseOffset],
        [0, 0],
        "the retry is answered with the first offset",
      );
      const again = await produce(client, "idem", first);
      assert.deepEqual([again.errorCode, again.baseOffset], [0, 0]);
      const next = await produce(client, "idem", batch(producerId, 2, ["c"]));
      assert.deepEqual([next.errorCode, next.baseOffset], [0, 2]);

      const gap = await produce(client, "idem", batch(producerId, 9, ["gap"]));
      assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      const unknown = await produce(client, "idem", batch(producerId + 1000n, 4, ["unknown"]));
      assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_PRODUCER_ID);
      const bumped = await produce(client, "idem", batch(producerId, 0, ["new epoch"], 1));
      assert.deepEqual([bumped.errorCode, bumped.baseOffset], [0, 3]);
      const stale = await produce(client, "idem", batch(producerId, 3, ["stale"], 0));
      assert.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);

      const stored = (await client.readAll("idem", 0)).map((r) => text(r.value));
      assert.deepEqual(stored, ["a", "b", "c", "new epoch"]);

      // SIGKILL (no snapshot at close) and restart: the state comes back from the log.
      await broker.stop("SIGKILL");
      const restarted = await startBrokerProcess(bed.options);
      try {
        await using after = await RawKafka.connect(bed.options.port);
        const answer = await eventually("the restarted broker to lead again", async () => {
          const response = await produce(after, "idem", batch(producerId, 0, ["new epoch"], 1));
          return response.errorCode === 0 ? response : undefined;
        });
        assert.equal(answer.baseOffset, 3, "the duplicate is still recognised after the restart");
        const continued = await produce(after, "idem", batch(producerId, 1, ["after restart"], 1));
        assert.deepEqual([continued.errorCode, continued.baseOffset], [0, 4]);
        const gapAfter = await produce(after, "idem", batch(producerId, 5, ["gap"], 1));
        assert.equal(gapAfter.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assert.equal((await after.readAll("idem", 0)).length, 5);
      } finally {
        await restarted.stop("SIGTERM");
      }

      // SIGTERM and restart: the producer state at the log end is kept in the data directory's
      // clean-shutdown state (no snapshot file per partition), and comes back from there.
      const snapshots = () =>
        [...Deno.readDirSync(`${bed.options.dataDir}/idem-0`)].filter((e) => e.name.endsWith(".snapshot"))
          .length;
      const snapshotsBefore = snapshots();
      Deno.statSync(`${bed.options.dataDir}/clean-shutdown.state`); // throws when the shutdown did not write it
      const cleanRestart = await startBrokerProcess(bed.options);
      try {
        await using after = await RawKafka.connect(bed.options.port);
        const answer = await eventually("the restarted broker to lead again", async () => {
          const response = await produce(after, "idem", batch(producerId, 1, ["after restart"], 1));
          return response.errorCode === 0 ? response : undefined;
        });
        assert.equal(answer.baseOffset, 4, "the duplicate is recognised after a clean restart");
        const gapAfter = await produce(after, "idem", batch(producerId, 5, ["gap"], 1));
        assert.equal(gapAfter.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assert.equal(snapshots(), snapshotsBefore, "the shutdown wrote no snapshot file");
        assert.equal((await after.readAll("idem", 0)).length, 5);
      } finally {
        await cleanRestart.stop("SIGKILL");
      }
    } finally {
      await broker.stop("SIGKILL");
    }
  },
);

Deno.test("after a leader failover the new leader recognises a retried batch", {
  ...options,
  timeout: 300_000,
}, async () => {
  await using cluster = await startCluster({
    brokers: 3,
    brokerArgs: ["--replica-lag-time-max-ms", "3000", "--session-timeout-ms", "4000"],
  });
  await waitForLiveBrokers(cluster, 1, [1, 2, 3]);
  {
    await using admin = await clientOf(cluster, 1);
    await createAssignedTopic(admin, "idem-failover", [[1, 2, 3]], { "min.insync.replicas": "2" });
    await waitForIsr(admin, "idem-failover", 0, [1, 2, 3]);
  }
  let producerId: bigint;
  const batches: Uint8Array[] = [];
  {
    await using leader = await clientOf(cluster, 1);
    producerId = await initProducerId(leader);
    for (let i = 0; i < 5; i++) {
      batches.push(batch(producerId, i * 2, [`v${i * 2}`, `v${i * 2 + 1}`]));
      const answer = await produce(leader, "idem-failover", batches[i]);
      assert.deepEqual([answer.errorCode, answer.baseOffset], [0, i * 2]);
    }
  }
  const before = await partitionState(cluster, "idem-failover", 0);
  await cluster.broker(1).program.stop("SIGKILL");
  const after = await waitForControllerFailover(cluster, "idem-failover", 0, 1, before.leaderEpoch);
  await using newLeader = await clientOf(cluster, after.leader);
  // The producer did not see the answers to its last two batches and sends them again.
  for (const i of [3, 4]) {
    const answer = await eventually(`broker ${after.leader} to answer as leader`, async () => {
      const response = await produce(newLeader, "idem-failover", batches[i]);
      return response.errorCode === 0 ? response : undefined;
    });
    assert.equal(answer.baseOffset, i * 2, `batch ${i} is answered with its first offset`);
  }
  const next = await produce(newLeader, "idem-failover", batch(producerId, 10, ["v10"]));
  assert.deepEqual([next.errorCode, next.baseOffset], [0, 10]);
  const stored = (await newLeader.readAll("idem-failover", 0)).map((r) => text(r.value));
  assert.deepEqual(stored, Array.from({ length: 11 }, (_, i) => `v${i}`));
});
