/**
 * A batch over the topic's max.message.bytes: the broker answers MESSAGE_TOO_LARGE and stores
 * none of it, and the Producer sends its records again in smaller batches (as Kafka's producer
 * splits such a batch) instead of failing them, then builds that topic's later batches smaller.
 * Against a real broker process, idempotent (the pieces keep the refused batch's sequence
 * numbers, and the batches behind it in flight, refused as out of order meanwhile, follow them)
 * and not: every record stored once, in order, at the offset its send() resolved to. A single
 * record over the limit still fails, with MESSAGE_TOO_LARGE.
 */
import assert from "node:assert/strict";
import { Producer } from "../../src/client/producer.ts";
import { ErrorCode, KafkaError } from "../../src/kafka/errors.ts";
import { brokerTestBed, RawKafka, startBrokerProcess, text } from "../integration/broker-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "batches over max.message.bytes are split and sent again: each record once, in order when idempotent",
  options,
  async () => {
    await using bed = await brokerTestBed(1);
    const broker = await startBrokerProcess(bed.options);
    try {
      await using raw = await RawKafka.connect(bed.options.port);
      for (const idempotent of [true, false]) {
        const topic = idempotent ? "split-idempotent" : "split-plain";
        // 2,000 bytes hold about 15 of these records; the producer's batches start at 5,000.
        assert.equal(
          (await raw.createTopic(topic, 1, { "max.message.bytes": "2000" })).topics[0].errorCode,
          0,
        );
        await using producer = new Producer({
          bootstrap: `127.0.0.1:${bed.options.port}`,
          idempotent,
          batchBytes: 5_000,
        });
        await producer.connect([topic]);
        const value = (i: number) => `record-${String(i).padStart(4, "0")}-`.padEnd(100, "x");
        // Sends whose offsets are checked, among records queued fast enough to keep several
        // too-large batches in flight at once.
        const sends: Promise<{ offset: number }>[] = [];
        const sendIndexes: number[] = [];
        for (let i = 0; i < 600; i++) {
          if (i % 50 === 7) {
            sendIndexes.push(i);
            sends.push(producer.send({ topic, partition: 0, value: value(i) }));
          } else producer.produce({ topic, partition: 0, value: value(i) });
        }
        const sent = Promise.allSettled(sends); // a failed send must fail the test, not the process
        await producer.flush();
        const offsets = (await sent).map((result) =>
          result.status === "fulfilled" ? result.value.offset : result.reason
        );
        const stored = (await raw.readAll(topic, 0)).map((record) => text(record.value)!);
        const values = Array.from({ length: 600 }, (_, i) => value(i));
        // Each record once; in order when idempotent (a plain producer's retried batches may land
        // after later ones, as with Kafka's).
        assert.deepEqual(idempotent ? stored : [...stored].sort(), values);
        // Each send() resolved to where its record is.
        assert.deepEqual(offsets, sendIndexes.map((i) => stored.indexOf(value(i))));
        assert.equal(producer.acknowledgedRecords, 600);

        // One record alone over the limit cannot be split: it fails, and the topic takes more.
        await assert.rejects(
          producer.send({ topic, partition: 0, value: "y".repeat(3_000) }),
          (error) => error instanceof KafkaError && error.code === ErrorCode.MESSAGE_TOO_LARGE,
        );
        await producer.flush().catch(() => {}); // reports the failed record once
        const after = await producer.send({ topic, partition: 0, value: "after" });
        assert.equal(after.offset, 600);
      }
    } finally {
      await broker.stop("SIGKILL");
    }
  },
);
