/**
 * Transaction markers, the last stable offset and read_committed against a real broker process,
 * over the raw protocol (the transaction coordinator that will send the markers is not built yet,
 * so the test plays it with WriteTxnMarkers): transactional batches hold the LSO at their first
 * offset, a read_committed fetch stops there while read_uncommitted reads on; a COMMIT marker
 * releases them; an ABORT marker releases them too, and read_committed fetches name the aborted
 * transaction so clients drop its records; a client may not write control batches itself; all of
 * it survives a SIGKILL and restart (snapshots plus the log replay). The project's Consumer with
 * isolationLevel read_committed drops aborted records and stops at the LSO; `vltava topic describe`
 * shows the LSO while a transaction holds it below the high watermark.
 */
import assert from "node:assert/strict";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { readListOffsetsResponse, writeListOffsetsRequest } from "../../src/kafka/apis/list-offsets.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { decodeRecordBatches, encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import { markerBatch } from "../../src/broker/handlers/write-txn-markers.ts";
import { Consumer } from "../../src/client/consumer.ts";
import { eventually, runCli } from "../helpers/program.ts";
import { brokerTestBed, RawKafka, startBrokerProcess, text } from "./broker-harness.ts";
import {
  initProducerId,
  readCommitted as readCommittedOf,
  writeMarker as writeMarkerOf,
} from "./txn-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const TOPIC = "txn";

function transactional(producerId: bigint, sequence: number, values: string[]): Uint8Array {
  return encodeRecordBatch({
    records: values.map((value) => ({ value })),
    producerId,
    producerEpoch: 0,
    baseSequence: sequence,
    transactional: true,
  });
}

/** The marker a coordinator would send for the producer's transaction on the test's partition. */
function writeMarker(client: RawKafka, producerId: bigint, commit: boolean): Promise<number> {
  return writeMarkerOf(client, { producerId, commit, topic: TOPIC, partition: 0 });
}

/** What a read_committed consumer keeps of the test's partition. */
function readCommitted(client: RawKafka) {
  return readCommittedOf(client, TOPIC, 0);
}

async function latestOffset(client: RawKafka, isolationLevel: number): Promise<number> {
  const response = await client.request(
    ApiKey.ListOffsets,
    2,
    (w) =>
      writeListOffsetsRequest(w, 2, {
        replicaId: -1,
        isolationLevel,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1 }] }],
      }),
    (r) => readListOffsetsResponse(r, 2),
  );
  return response.topics[0].partitions[0].offset ?? -1;
}

/** Create the topic, write "plain" at offset 0 once it has a leader; returns a producer id. */
async function prepare(client: RawKafka): Promise<bigint> {
  await client.metadata([TOPIC], true);
  const { producerId: pid } = await initProducerId(client, null);
  const plain = encodeRecordBatch({ records: [{ value: "plain" }] });
  await eventually(
    "the topic's leader",
    async () => (await client.produce(TOPIC, 0, plain.slice())).errorCode === 0,
  );
  return pid;
}

Deno.test(
  "markers end transactions: the LSO, read_committed, aborted transactions, and a restart",
  options,
  async () => {
    await using bed = await brokerTestBed(1, ["--auto-create-topics"]);
    let broker = await startBrokerProcess(bed.options);
    try {
      await using client = await RawKafka.connect(bed.options.port);
      const pid = await prepare(client);

      // An open transaction holds the LSO at its first offset (1).
      assert.equal((await client.produce(TOPIC, 0, transactional(pid, 0, ["t1", "t2"]), -1)).errorCode, 0);
      assert.equal((await client.produce(TOPIC, 0, transactional(pid, 2, ["t3"]), -1)).errorCode, 0);
      let seen = await readCommitted(client);
      assert.deepEqual(seen.values, ["plain"]);
      assert.deepEqual([seen.lastStableOffset, seen.highWatermark], [1, 4]);
      assert.deepEqual([await latestOffset(client, 1), await latestOffset(client, 0)], [1, 4]);
      const described = await runCli([
        "topic",
        "describe",
        TOPIC,
        "--bootstrap",
        `127.0.0.1:${bed.options.port}`,
      ]);
      assert.equal(described.code, 0, described.stderr);
      assert.match(described.stdout, /4 \(LSO 1\)/, "topic describe shows the LSO below the high watermark");
      const uncommitted = await client.fetch(TOPIC, 0, 0);
      assert.equal(decodeRecordBatches(uncommitted.records!).length, 3, "read_uncommitted reads on");

      // A client may not write a marker itself.
      const forged = await client.produce(TOPIC, 0, markerBatch(pid, 0, true, 0), -1);
      assert.equal(forged.errorCode, ErrorCode.INVALID_RECORD);

      assert.equal(await writeMarker(client, pid, true), 0);
      seen = await readCommitted(client);
      assert.deepEqual(seen.values, ["plain", "t1", "t2", "t3"]);
      assert.deepEqual([seen.lastStableOffset, seen.highWatermark], [5, 5]);

      // The next transaction is aborted: its records are visible below the LSO but named as aborted.
      assert.equal((await client.produce(TOPIC, 0, transactional(pid, 3, ["a1", "a2"]), -1)).errorCode, 0);
      assert.equal(await writeMarker(client, pid, false), 0);
      seen = await readCommitted(client);
      assert.deepEqual(seen.aborted, [{ producerId: pid, firstOffset: 5 }]);
      assert.deepEqual(seen.values, ["plain", "t1", "t2", "t3"]);
      assert.equal(seen.lastStableOffset, 8);

      // A third one stays open across a SIGKILL and restart.
      assert.equal((await client.produce(TOPIC, 0, transactional(pid, 5, ["open"]), -1)).errorCode, 0);
      await broker.stop("SIGKILL");
      broker = await startBrokerProcess(bed.options);
      await using after = await RawKafka.connect(bed.options.port);
      seen = await eventually("the restarted broker to lead", async () => {
        try {
          return await readCommitted(after);
        } catch {
          return undefined; // not leading yet
        }
      });
      assert.deepEqual(
        [seen.lastStableOffset, seen.highWatermark],
        [8, 9],
        "the open transaction holds the LSO",
      );
      assert.deepEqual(seen.aborted, [{ producerId: pid, firstOffset: 5 }], "the abort is remembered");
      assert.deepEqual(seen.values, ["plain", "t1", "t2", "t3"]);
      assert.equal(await writeMarker(after, pid, true), 0);
      seen = await readCommitted(after);
      assert.deepEqual(seen.values, ["plain", "t1", "t2", "t3", "open"]);
      assert.equal(seen.lastStableOffset, 10);
    } finally {
      await broker.stop("SIGKILL");
    }
  },
);

Deno.test(
  "the Consumer with isolationLevel read_committed sees only committed records; read_uncommitted all",
  options,
  async () => {
    await using bed = await brokerTestBed(1, ["--auto-create-topics"]);
    const broker = await startBrokerProcess(bed.options);
    try {
      await using client = await RawKafka.connect(bed.options.port);
      const pid = await prepare(client);
      // Committed, aborted, committed again, then one left open.
      assert.equal((await client.produce(TOPIC, 0, transactional(pid, 0, ["c1", "c2"]), -1)).errorCode, 0);
      assert.equal(await writeMarker(client, pid, true), 0);
      assert.equal((await client.produce(TOPIC, 0, transactional(pid, 2, ["a1"]), -1)).errorCode, 0);
      assert.equal(
        (await client.produce(TOPIC, 0, encodeRecordBatch({ records: [{ value: "between" }] }))).errorCode,
        0,
      );
      assert.equal((await client.produce(TOPIC, 0, transactional(pid, 3, ["a2"]), -1)).errorCode, 0);
      assert.equal(await writeMarker(client, pid, false), 0);
      assert.equal((await client.produce(TOPIC, 0, transactional(pid, 4, ["c3"]), -1)).errorCode, 0);
      assert.equal(await writeMarker(client, pid, true), 0);
      assert.equal((await client.produce(TOPIC, 0, transactional(pid, 5, ["open"]), -1)).errorCode, 0);

      const read = async (isolationLevel: "read_committed" | "read_uncommitted", count: number) => {
        await using consumer = new Consumer({ bootstrap: `127.0.0.1:${bed.options.port}`, isolationLevel });
        await consumer.assign([{ topic: TOPIC, partition: 0, from: "earliest" }]);
        const values: string[] = [];
        const deadline = Date.now() + 30_000;
        while (values.length < count && Date.now() < deadline) {
          values.push(...(await consumer.poll(500)).map((r) => text(r.value)!));
        }
        // Nothing more arrives (a read_committed consumer must not get the open transaction).
        values.push(...(await consumer.poll(500)).map((r) => text(r.value)!));
        return values;
      };
      assert.deepEqual(await read("read_committed", 5), ["plain", "c1", "c2", "between", "c3"]);
      assert.deepEqual(await read("read_uncommitted", 8), [
        "plain",
        "c1",
        "c2",
        "a1",
        "between",
        "a2",
        "c3",
        "open",
      ]);
      assert.throws(
        () => new Consumer({ bootstrap: "127.0.0.1:1", isolationLevel: "dirty" as "read_committed" }),
        /Invalid isolationLevel/,
      );
    } finally {
      await broker.stop("SIGKILL");
    }
  },
);
