/**
 * A fetch asking for far more than the broker will hold (max_bytes and partition_max_bytes of
 * 2 GiB - 1, as a client tuned "for throughput" may send) on a partition with more data than
 * the broker's fetch bound: the answer is whole, CRC-valid batches in order, no bigger than the
 * bound, and fetching on from where it ends reads the whole partition. The response's batches
 * are large enough to go to the socket by reference (Writer.rawShared), so this also checks
 * that path delivers them intact.
 */
import assert from "node:assert/strict";
import { brokerTestBed, RawKafka, startBrokerProcess } from "./broker-harness.ts";
import { encodeRecordBatch, iterateBatches, nextOffsetOf } from "../../src/kafka/record-batch.ts";

const FETCH_MAX_BYTES = 1024 * 1024;
const MAX_INT32 = 0x7fffffff;

Deno.test({
  name: "a fetch with 2 GiB max_bytes returns whole batches within the broker's fetch bound",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using bed = await brokerTestBed(1, ["--fetch-max-bytes", String(FETCH_MAX_BYTES)]);
    const broker = await startBrokerProcess(bed.options);
    try {
      await using kafka = await RawKafka.connect(bed.options.port);
      const created = await kafka.createTopic("big", 2);
      assert.equal(created.topics[0].errorCode, 0);
      // 48 batches of 100 records of 1,000 bytes: about 4.6 MiB, over four times the bound.
      const value = new Uint8Array(1_000).fill(120);
      let records = 0;
      for (let batch = 0; batch < 48; batch++) {
        const bytes = encodeRecordBatch({
          records: Array.from({ length: 100 }, (_, i) => ({
            key: null,
            value: value.map((byte, at) => at === 0 ? (batch + i) % 256 : byte),
            timestampDelta: 0,
            offsetDelta: i,
          })),
        });
        const answer = await kafka.produce("big", 0, bytes);
        assert.equal(answer.errorCode, 0);
        records += 100;
        if (batch < 4) assert.equal((await kafka.produce("big", 1, bytes)).errorCode, 0);
      }

      let offset = 0;
      let responses = 0;
      while (offset < records) {
        const answer = await kafka.fetch("big", 0, offset, {
          maxBytes: MAX_INT32,
          partitionMaxBytes: MAX_INT32,
        });
        assert.equal(answer.errorCode, 0);
        const bytes = answer.records!;
        assert.ok(bytes.length > 0, `no data at offset ${offset} of ${records}`);
        assert.ok(
          bytes.length <= FETCH_MAX_BYTES,
          `response of ${bytes.length} bytes over the bound ${FETCH_MAX_BYTES}`,
        );
        // Whole batches only, each valid (CRC checked), continuing exactly where the last ended.
        let covered = 0;
        for (const slot of iterateBatches(bytes, { validate: true })) {
          assert.equal(slot.header.baseOffset, offset);
          offset = nextOffsetOf(slot.header);
          covered = slot.position + slot.sizeBytes;
        }
        assert.equal(covered, bytes.length, "the response ends in a partial batch");
        responses++;
      }
      assert.equal(offset, records);
      assert.ok(
        responses >= 4,
        `${responses} responses carried ${records} records: the bound was not applied`,
      );

      // The bound is for the whole response: a second partition (with data) fits in what the
      // first left, or gets nothing; only the first data may exceed the budget (KIP-74).
      const both = await kafka.request(
        1,
        11,
        (w) => {
          w.int32(-1).int32(0).int32(0).int32(MAX_INT32).int8(0).int32(0).int32(-1);
          w.int32(1).string("big").int32(2);
          for (const partition of [0, 1]) {
            w.int32(partition).int32(-1).int64n(0).int64n(-1).int32(MAX_INT32);
          }
          w.int32(0).string("");
        },
        (r) => {
          r.int32(); // throttle
          r.int16(); // error
          r.int32(); // session
          r.int32(); // topics
          r.string();
          const sizes: number[] = [];
          const count = r.int32();
          for (let i = 0; i < count; i++) {
            r.int32();
            assert.equal(r.int16(), 0);
            r.int64();
            r.int64();
            r.int64();
            const aborted = r.int32();
            assert.ok(aborted <= 0);
            r.int32();
            sizes.push(r.bytes()?.length ?? 0);
          }
          return sizes;
        },
      );
      assert.ok(both[0] > 0 && both[0] + both[1] <= FETCH_MAX_BYTES, `sizes ${both}`);
      // Without the first partition in the request, the second's data does come back.
      assert.ok(
        (await kafka.fetch("big", 1, 0, { maxBytes: MAX_INT32, partitionMaxBytes: MAX_INT32 })).records!
          .length > 0,
      );
    } finally {
      await broker.stop("SIGKILL");
    }
  },
});
