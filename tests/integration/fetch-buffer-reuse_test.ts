/**
 * The broker reads fetched batches into pooled buffers (src/broker/read-buffers.ts) and takes them
 * back only once the response holding them has been written in full. Taken back earlier, a buffer
 * still waiting to be written to a slow consumer would be filled with another fetch's bytes, and
 * that consumer would get whole, valid batches of the wrong partition: no CRC check catches it.
 *
 * Against a real broker process: one raw connection asks for about 24 MiB of one topic and then
 * reads nothing, so the broker's write stops once the socket buffers are full with most of the
 * response still in its read buffers; meanwhile another connection fetches a second topic over
 * and over (8 MiB reads, the same size class, so an early return would be reused at once). When
 * the slow connection finally reads, every partition of its response holds its own records, at
 * their own offsets, with intact CRCs. (Giving the buffers back when the handler returns, before
 * the write, fails this test.)
 */
import assert from "node:assert/strict";
import { Producer } from "../../src/client/producer.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { readFetchResponse, writeFetchRequest } from "../../src/kafka/apis/fetch.ts";
import { decodeRecordBatches } from "../../src/kafka/record-batch.ts";
import { delay } from "../helpers/program.ts";
import { brokerTestBed, RawKafka, startBrokerProcess, text } from "./broker-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const PARTITIONS = 3;
const PARTITION_BYTES = 8 * 1024 * 1024;
/** Records of about 1 KiB, so that each partition holds a little over PARTITION_BYTES. */
const RECORDS_PER_PARTITION = 8_500;

function valueOf(topic: string, partition: number, i: number): string {
  return `${topic}:${partition}:${i}:`.padEnd(1000, String.fromCharCode(97 + (i % 26)));
}

async function fill(bootstrap: string, topic: string): Promise<void> {
  await using producer = new Producer({ bootstrap, acks: 1, batchBytes: 1024 * 1024, lingerMs: 5 });
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < RECORDS_PER_PARTITION; i++) {
    for (let partition = 0; partition < PARTITIONS; partition++) {
      sends.push(producer.send({ topic, partition, value: valueOf(topic, partition, i) }));
    }
    if (sends.length >= 10_000) await Promise.all(sends.splice(0));
  }
  await Promise.all(sends);
}

function fetchBody(topic: string, fetchOffset: number) {
  return (writer: Parameters<typeof writeFetchRequest>[0]) =>
    writeFetchRequest(writer, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 64 * 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{
        topic,
        partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({
          partition,
          currentLeaderEpoch: -1,
          fetchOffset,
          logStartOffset: -1,
          partitionMaxBytes: PARTITION_BYTES,
        })),
      }],
      forgottenTopicsData: [],
      rackId: "",
    });
}

Deno.test(
  "a fetch response waiting on a slow reader keeps its bytes while other fetches reuse buffers",
  options,
  async () => {
    await using bed = await brokerTestBed(1);
    const broker = await startBrokerProcess(bed.options);
    try {
      const bootstrap = `127.0.0.1:${bed.options.port}`;
      await using admin = await RawKafka.connect(bed.options.port);
      for (const topic of ["slow", "busy"]) {
        assert.equal((await admin.createTopic(topic, PARTITIONS)).topics[0].errorCode, 0);
        await fill(bootstrap, topic);
      }

      await using slow = await RawKafka.connect(bed.options.port);
      await slow.send(ApiKey.Fetch, 11, 1, fetchBody("slow", 0));
      await delay(300); // the broker reads, then its write stalls on full socket buffers

      for (let round = 0; round < 12; round++) {
        const response = await admin.request(
          ApiKey.Fetch,
          11,
          fetchBody("busy", round * 100),
          (r) => readFetchResponse(r, 11),
        );
        const answered = response.responses[0].partitions;
        assert.ok(answered.every((p) => p.errorCode === 0 && (p.records?.length ?? 0) > PARTITION_BYTES / 2));
      }

      const response = await slow.receive(ApiKey.Fetch, 11, 1, (r) => readFetchResponse(r, 11));
      const answered = response.responses[0].partitions;
      assert.equal(answered.length, PARTITIONS);
      let total = 0;
      for (const answer of answered) {
        assert.equal(answer.errorCode, 0);
        let expected = 0;
        for (const batch of decodeRecordBatches(answer.records!)) { // CRCs checked here
          for (const record of batch.records) {
            assert.equal(record.offset, expected);
            assert.equal(text(record.value), valueOf("slow", answer.partitionIndex, expected));
            expected++;
          }
        }
        assert.ok(
          expected > RECORDS_PER_PARTITION / 2,
          `partition ${answer.partitionIndex}: ${expected} records`,
        );
        total += answer.records!.length;
      }
      assert.ok(total > 16 * 1024 * 1024, `the slow response held ${total} bytes`);
    } finally {
      await broker.stop("SIGKILL");
    }
  },
);
