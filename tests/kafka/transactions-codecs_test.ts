/**
 * The transaction APIs' codecs: every version round-trips, and hand-derived bytes (the
 * non-flexible form kafkajs sends, the flexible form Java and librdkafka send) decode to what
 * the schema says.
 */
import assert from "node:assert/strict";
import * as addOffsets from "../../src/kafka/apis/add-offsets-to-txn.ts";
import * as addPartitions from "../../src/kafka/apis/add-partitions-to-txn.ts";
import * as describeTxns from "../../src/kafka/apis/describe-transactions.ts";
import * as endTxn from "../../src/kafka/apis/end-txn.ts";
import * as initProducerId from "../../src/kafka/apis/init-producer-id.ts";
import * as listTxns from "../../src/kafka/apis/list-transactions.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("InitProducerId v3–4 carry the producer's current id and epoch; v2+ are flexible", () => {
  const request = { transactionalId: "tx", transactionTimeoutMs: 60_000, producerId: 42n, producerEpoch: 3 };
  for (const v of versions(0, 4)) {
    assert.deepEqual(
      roundTrip(
        initProducerId.writeInitProducerIdRequest,
        initProducerId.readInitProducerIdRequest,
        v,
        request,
      ),
      v >= 3 ? request : { ...request, producerId: -1n, producerEpoch: -1 },
      `v${v}`,
    );
  }
  // v4: compact "tx" (len+1 = 3), timeout 60000, id 42, epoch 3, no tags.
  const bytes = hex("03 7478 0000ea60 000000000000002a 0003 00");
  assert.equal(toHex(encode(initProducerId.writeInitProducerIdRequest, 4, request)), toHex(bytes));
  const response = { throttleTimeMs: 0, errorCode: 90, producerId: -1n, producerEpoch: -1 };
  assert.equal(
    toHex(encode(initProducerId.writeInitProducerIdResponse, 4, response)),
    "00000000" + "005a" + "ffffffffffffffff" + "ffff" + "00",
  );
});

Deno.test("AddPartitionsToTxn round-trips v0–3 and matches hand-derived bytes", () => {
  const request = {
    transactionalId: "tx-1",
    producerId: 7n,
    producerEpoch: 2,
    topics: [{ name: "orders", partitions: [0, 3] }, { name: "t", partitions: [] }],
  };
  const response = {
    throttleTimeMs: 0,
    results: [{
      name: "orders",
      results: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 3, errorCode: 51 }],
    }],
  };
  for (const v of versions(0, 3)) {
    const { readAddPartitionsToTxnRequest: read, writeAddPartitionsToTxnRequest: write } = addPartitions;
    assert.deepEqual(roundTrip(write, read, v, request), request, `request v${v}`);
    assert.deepEqual(
      roundTrip(
        addPartitions.writeAddPartitionsToTxnResponse,
        addPartitions.readAddPartitionsToTxnResponse,
        v,
        response,
      ),
      response,
      `response v${v}`,
    );
  }
  // v1 (kafkajs): "tx" / id 1 / epoch 0 / [orders [0]].
  const v1 = hex("0002 7478 0000000000000001 0000 00000001 0006 6f7264657273 00000001 00000000");
  assert.deepEqual(decode(addPartitions.readAddPartitionsToTxnRequest, 1, v1), {
    transactionalId: "tx",
    producerId: 1n,
    producerEpoch: 0,
    topics: [{ name: "orders", partitions: [0] }],
  });
  // v3 (flexible): compact lengths, a tag section after each topic and at the end.
  const v3 = hex("03 7478 0000000000000001 0000 02 07 6f7264657273 02 00000000 00 00");
  assert.deepEqual(decode(addPartitions.readAddPartitionsToTxnRequest, 3, v3), {
    transactionalId: "tx",
    producerId: 1n,
    producerEpoch: 0,
    topics: [{ name: "orders", partitions: [0] }],
  });
});

Deno.test("AddOffsetsToTxn and EndTxn round-trip v0–3 and match hand-derived bytes", () => {
  const add = { transactionalId: "tx", producerId: 9n, producerEpoch: 1, groupId: "g" };
  const end = { transactionalId: "tx", producerId: 9n, producerEpoch: 1, committed: true };
  const answer = { throttleTimeMs: 5, errorCode: 47 };
  for (const v of versions(0, 3)) {
    assert.deepEqual(
      roundTrip(addOffsets.writeAddOffsetsToTxnRequest, addOffsets.readAddOffsetsToTxnRequest, v, add),
      add,
    );
    assert.deepEqual(roundTrip(endTxn.writeEndTxnRequest, endTxn.readEndTxnRequest, v, end), end);
    assert.deepEqual(
      roundTrip(addOffsets.writeAddOffsetsToTxnResponse, addOffsets.readAddOffsetsToTxnResponse, v, answer),
      answer,
    );
    assert.deepEqual(roundTrip(endTxn.writeEndTxnResponse, endTxn.readEndTxnResponse, v, answer), answer);
  }
  assert.equal(
    toHex(encode(endTxn.writeEndTxnRequest, 0, { ...end, committed: false })),
    "0002" + "7478" + "0000000000000009" + "0001" + "00",
  );
  assert.equal(toHex(encode(endTxn.writeEndTxnResponse, 3, answer)), "00000005" + "002f" + "00");
  assert.deepEqual(
    decode(addOffsets.readAddOffsetsToTxnRequest, 3, hex("03 7478 0000000000000009 0001 02 67 00")),
    add,
  );
});

Deno.test("DescribeTransactions and ListTransactions round-trip", () => {
  const described = {
    throttleTimeMs: 0,
    transactionStates: [{
      errorCode: 0,
      transactionalId: "tx",
      transactionState: "Ongoing",
      transactionTimeoutMs: 60_000,
      transactionStartTimeMs: 1_764_900_000_000,
      producerId: 5n,
      producerEpoch: 3,
      topics: [{ topic: "orders", partitions: [1, 2] }],
    }],
  };
  assert.deepEqual(
    roundTrip(
      describeTxns.writeDescribeTransactionsRequest,
      describeTxns.readDescribeTransactionsRequest,
      0,
      {
        transactionalIds: ["a", "b"],
      },
    ),
    { transactionalIds: ["a", "b"] },
  );
  assert.deepEqual(
    roundTrip(
      describeTxns.writeDescribeTransactionsResponse,
      describeTxns.readDescribeTransactionsResponse,
      0,
      described,
    ),
    described,
  );
  const list = { stateFilters: ["Ongoing"], producerIdFilters: [5n], durationFilterMs: 1000 };
  assert.deepEqual(
    roundTrip(listTxns.writeListTransactionsRequest, listTxns.readListTransactionsRequest, 1, list),
    list,
  );
  assert.deepEqual(
    roundTrip(listTxns.writeListTransactionsRequest, listTxns.readListTransactionsRequest, 0, list),
    { ...list, durationFilterMs: -1 },
  );
  // v0: [] states, [] ids, no tags.
  assert.equal(
    toHex(encode(listTxns.writeListTransactionsRequest, 0, { stateFilters: [], producerIdFilters: [] })),
    "010100",
  );
  const listed = {
    throttleTimeMs: 0,
    errorCode: 0,
    unknownStateFilters: ["Bogus"],
    transactionStates: [{ transactionalId: "tx", producerId: 5n, transactionState: "Empty" }],
  };
  for (const v of versions(0, 1)) {
    assert.deepEqual(
      roundTrip(listTxns.writeListTransactionsResponse, listTxns.readListTransactionsResponse, v, listed),
      listed,
    );
  }
});

Deno.test("transaction codecs refuse null ids and versions they do not have", () => {
  // AddPartitionsToTxn v0 with a null transactional id (length -1).
  assert.throws(
    () => decode(addPartitions.readAddPartitionsToTxnRequest, 0, hex("ffff 0000000000000001 0000 00000000")),
    WireError,
  );
  assert.throws(() => decode(endTxn.readEndTxnRequest, 4, hex("00")), WireError);
  assert.throws(() => decode(describeTxns.readDescribeTransactionsRequest, 0, hex("02 00 00")), WireError);
});
