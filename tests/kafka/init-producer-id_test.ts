import assert from "node:assert/strict";
import {
  readInitProducerIdRequest,
  readInitProducerIdResponse,
  writeInitProducerIdRequest,
  writeInitProducerIdResponse,
} from "../../src/kafka/apis/init-producer-id.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("InitProducerId round-trips every version", () => {
  const request = {
    transactionalId: "tx-1",
    transactionTimeoutMs: 60000,
    producerId: -1n,
    producerEpoch: -1,
  };
  const response = { throttleTimeMs: 0, errorCode: 0, producerId: (1n << 62n) + 12345n, producerEpoch: 7 };
  for (const v of versions(0, 4)) {
    assert.deepEqual(roundTrip(writeInitProducerIdRequest, readInitProducerIdRequest, v, request), request);
    assert.deepEqual(
      roundTrip(writeInitProducerIdRequest, readInitProducerIdRequest, v, {
        ...request,
        transactionalId: null,
      }),
      { ...request, transactionalId: null },
    );
    assert.deepEqual(
      roundTrip(writeInitProducerIdResponse, readInitProducerIdResponse, v, response),
      response,
    );
  }
});

Deno.test("InitProducerId matches hand-derived bytes", () => {
  // kafkajs idempotent producer: null transactional id, 60 s timeout.
  assert.deepEqual(decode(readInitProducerIdRequest, 0, hex("ffff 0000ea60")), {
    transactionalId: null,
    transactionTimeoutMs: 60000,
    producerId: -1n,
    producerEpoch: -1,
  });
  const response = hex("00000000 0000 4000000000003039 0000");
  const value = { throttleTimeMs: 0, errorCode: 0, producerId: (1n << 62n) + 12345n, producerEpoch: 0 };
  assert.deepEqual(decode(readInitProducerIdResponse, 1, response), value);
  assert.equal(toHex(encode(writeInitProducerIdResponse, 1, value)), toHex(response));
});
