import assert from "node:assert/strict";
import {
  readFindCoordinatorRequest,
  readFindCoordinatorResponse,
  writeFindCoordinatorRequest,
  writeFindCoordinatorResponse,
} from "../../src/kafka/apis/find-coordinator.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("FindCoordinator round-trips every version", () => {
  for (const v of versions(0, 2)) {
    const request = { key: "orders-group", keyType: 1 };
    assert.deepEqual(
      roundTrip(writeFindCoordinatorRequest, readFindCoordinatorRequest, v, request),
      { key: "orders-group", keyType: v >= 1 ? 1 : 0 },
      `request v${v}`,
    );
    const response = {
      throttleTimeMs: 7,
      errorCode: 15,
      errorMessage: "not yet",
      nodeId: 3,
      host: "broker-3",
      port: 19092,
    };
    assert.deepEqual(
      roundTrip(writeFindCoordinatorResponse, readFindCoordinatorResponse, v, response),
      v >= 1 ? response : { ...response, throttleTimeMs: 0, errorMessage: null },
      `response v${v}`,
    );
  }
});

Deno.test("FindCoordinator matches hand-derived bytes", () => {
  // v1 request: key "g1" (len 2), key_type 0.
  const request = hex("0002 6731 00");
  assert.equal(toHex(encode(writeFindCoordinatorRequest, 1, { key: "g1" })), toHex(request));
  assert.deepEqual(decode(readFindCoordinatorRequest, 1, request), { key: "g1", keyType: 0 });
  // v0 request is the key alone.
  assert.equal(toHex(encode(writeFindCoordinatorRequest, 0, { key: "g1" })), "00026731");
  // v1 response: throttle 0, error 0, message null, node 1, host "h", port 9092.
  const response = hex("00000000 0000 ffff 00000001 0001 68 00002384");
  const value = { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 1, host: "h", port: 9092 };
  assert.equal(toHex(encode(writeFindCoordinatorResponse, 1, value)), toHex(response));
  assert.deepEqual(decode(readFindCoordinatorResponse, 1, response), value);
  // v0 response: error, node, host, port.
  assert.deepEqual(decode(readFindCoordinatorResponse, 0, hex("0000 00000001 0001 68 00002384")), value);
});

Deno.test("FindCoordinator refuses truncated input and unsupported versions", () => {
  assert.throws(() => decode(readFindCoordinatorRequest, 1, hex("0002 67")), WireError);
  assert.throws(() => decode(readFindCoordinatorRequest, 3, hex("0002 6731 00")), WireError);
  assert.throws(() => encode(writeFindCoordinatorRequest, 3, { key: "g" }), RangeError);
  // A null host in a non-nullable field.
  assert.throws(() => decode(readFindCoordinatorResponse, 0, hex("0000 00000001 ffff 00002384")), WireError);
});
