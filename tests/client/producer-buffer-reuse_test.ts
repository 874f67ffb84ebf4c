/**
 * The producer reuses its batch buffers (src/buffer-pool.ts) once a batch is answered.
 * Reused too early, a buffer still being written to the socket, or kept for a retry, would carry
 * another batch's bytes under this one's CRC: the broker would refuse it, or, worse, store
 * records that were never sent. Against a real broker process, with batches large enough to be
 * written by reference (64 KiB and up), five requests in flight and, for a third of the records,
 * the broker stopped (SIGSTOP) so that requests wait in full socket buffers while new batches are
 * built, every record sent is read back exactly, in order per partition, with CRC checks on:
 * plain, idempotent and compressed. (Recycling a batch's buffer when its request is encoded
 * instead of when it is answered fails this test. So did the connection's in-flight slots before
 * they were handed over first come first served: after the stall a later batch of a partition
 * went out before an earlier one, and one record of the compressed run was stored about 1,250
 * records late, with no retry. See tests/client/connection_test.ts.)
 */
import assert from "node:assert/strict";
import { Producer, type ProducerOptions } from "../../src/client/producer.ts";
import { Consumer } from "../../src/client/consumer.ts";
import { brokerTestBed, RawKafka, startBrokerProcess } from "../integration/broker-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const PARTITIONS = 3;
const RECORDS = 45_000;

/**
 * Record i: its partition and index, then letters of a size that varies (so batches grow) and
 * that gzip cannot squeeze to nothing (so compressed batches are large too).
 */
function valueOf(i: number): string {
  let state = i * 2654435761 >>> 0;
  const size = 40 + (state % 1500);
  let letters = "";
  for (let k = 0; k < size; k++) {
    state = (state * 1103515245 + 12345) >>> 0;
    letters += String.fromCharCode(97 + (state >>> 27));
  }
  return `${i % PARTITIONS}:${i}:${letters}`;
}

Deno.test(
  "reused batch buffers: every record read back exactly, in order, with CRC checks",
  options,
  async () => {
    await using bed = await brokerTestBed(1);
    const broker = await startBrokerProcess(bed.options);
    try {
      const bootstrap = `127.0.0.1:${bed.options.port}`;
      await using raw = await RawKafka.connect(bed.options.port);
      const configs: [string, Partial<ProducerOptions>][] = [
        ["plain", { acks: 1 }],
        ["idempotent", { acks: "all" }],
        ["gzip", { acks: 1, compression: "gzip" }],
      ];
      for (const [name, config] of configs) {
        const topic = `reuse-${name}`;
        assert.equal((await raw.createTopic(topic, PARTITIONS)).topics[0].errorCode, 0);
        {
          await using producer = new Producer({ bootstrap, batchBytes: 1024 * 1024, lingerMs: 2, ...config });
          await producer.connect([topic]);
          for (let i = 0; i < RECORDS; i++) {
            // The middle third is produced while the broker reads nothing: five requests of up to
            // three 1 MiB batches each fill the socket buffers and wait there, half written.
            if (i === RECORDS / 3) broker.signal("SIGSTOP");
            if (i === (RECORDS * 2) / 3) {
              await new Promise((resolve) => setTimeout(resolve, 200));
              broker.signal("SIGCONT");
            }
            if (!producer.produce({ topic, partition: i % PARTITIONS, value: valueOf(i) })) {
              await producer.waitForSpace();
            }
          }
          await producer.flush();
          assert.equal(producer.acknowledgedRecords, RECORDS, name);
          assert.equal(producer.failedRecords, 0, name);
        }
        await using consumer = new Consumer({ bootstrap, checkCrc: true, maxWaitMs: 100 });
        await consumer.assign(
          Array.from(
            { length: PARTITIONS },
            (_, partition) => ({ topic, partition, from: "earliest" as const }),
          ),
        );
        const read: string[][] = Array.from({ length: PARTITIONS }, () => []);
        let count = 0;
        while (count < RECORDS) {
          const records = await consumer.poll(5_000);
          assert.ok(records.length > 0, `${name}: only ${count} of ${RECORDS} records came back`);
          for (const record of records) read[record.partition].push(new TextDecoder().decode(record.value!));
          count += records.length;
        }
        for (let partition = 0; partition < PARTITIONS; partition++) {
          const expected: string[] = [];
          for (let i = partition; i < RECORDS; i += PARTITIONS) expected.push(valueOf(i));
          assert.equal(read[partition].length, expected.length, `${name} partition ${partition}`);
          // One comparison per record: a mismatch names the first record that differs.
          for (let k = 0; k < expected.length; k++) {
            if (read[partition][k] !== expected[k]) {
              assert.fail(
                `${name} partition ${partition} record ${k}: "${read[partition][k].slice(0, 24)}…"`,
              );
            }
          }
        }
      }
    } finally {
      await broker.stop("SIGKILL"); // also continues it, if an assertion left it stopped
    }
  },
);
