import assert from "node:assert/strict";
import {
  type ProduceRequest,
  readProduceRequest,
  readProduceResponse,
  writeProduceRequest,
  writeProduceResponse,
} from "../../src/kafka/apis/produce.ts";
import { decodeRecordBatch, encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import { WireError } from "../../src/wire/mod.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

/** The reference's 70-byte kafkajs batch (key "k", value "v"). */
const BATCH = hex(
  "0000000000000000 0000003a 00000000 02 863650d5 0000 00000000 0000000000000000 0000000000000000" +
    " ffffffffffffffff 0000 00000000 00000001 10 00 00 00 02 6b 02 76 00",
);

Deno.test("Produce round-trips every version", () => {
  const request: ProduceRequest = {
    transactionalId: "tx",
    acks: -1,
    timeoutMs: 30000,
    topicData: [{
      name: "orders",
      partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value: "a" }] }) }, {
        index: 1,
        records: null,
      }],
    }],
  };
  const response = {
    responses: [{
      name: "orders",
      partitionResponses: [{
        index: 0,
        errorCode: 0,
        baseOffset: 2 ** 40,
        logAppendTimeMs: -1,
        logStartOffset: 5,
      }],
    }],
    throttleTimeMs: 3,
  };
  for (const v of versions(3, 7)) {
    assert.deepEqual(
      roundTrip(writeProduceRequest, readProduceRequest, v, request),
      request,
      `request v${v}`,
    );
    const expected = structuredClone(response);
    if (v < 5) expected.responses[0].partitionResponses[0].logStartOffset = -1;
    assert.deepEqual(
      roundTrip(writeProduceResponse, readProduceResponse, v, response),
      expected,
      `response v${v}`,
    );
  }
});

Deno.test("Produce matches hand-derived bytes", () => {
  const v3 = new Uint8Array([
    ...hex("ffff 0001 00007530 00000001 0001 74 00000001 00000000 00000046"),
    ...BATCH,
  ]);
  const request = decode(readProduceRequest, 3, v3);
  assert.deepEqual({ ...request, topicData: [] }, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30000,
    topicData: [],
  });
  const records = request.topicData[0].partitionData[0].records!;
  assert.equal(records.length, 70);
  assert.equal(decodeRecordBatch(records).records.length, 1);
  assert.equal(toHex(encode(writeProduceRequest, 3, request)), toHex(v3));

  const v5Response = hex(
    "00000001 0001 74 00000001 00000002 0000 000000000000000a ffffffffffffffff 0000000000000000 00000000",
  );
  const response = {
    responses: [{
      name: "t",
      partitionResponses: [{
        index: 2,
        errorCode: 0,
        baseOffset: 10,
        logAppendTimeMs: -1,
        logStartOffset: 0,
      }],
    }],
    throttleTimeMs: 0,
  };
  assert.deepEqual(decode(readProduceResponse, 5, v5Response), response);
  assert.equal(toHex(encode(writeProduceResponse, 5, response)), toHex(v5Response));
});

Deno.test("Produce readers reject lengths past the end", () => {
  assert.throws(
    () =>
      decode(readProduceRequest, 3, hex("ffff 0001 00007530 00000001 0001 74 00000001 00000000 7fffffff")),
    WireError,
  );
  assert.throws(() => decode(readProduceRequest, 7, hex("ffff 0001 00007530 40000000")), WireError);
});
