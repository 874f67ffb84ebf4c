import assert from "node:assert/strict";
import {
  readControlledShutdownRequest,
  readControlledShutdownResponse,
  writeControlledShutdownRequest,
  writeControlledShutdownResponse,
} from "../../src/kafka/apis/controlled-shutdown.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("ControlledShutdown round-trips every version", () => {
  for (const v of versions(1, 2)) {
    assert.deepEqual(
      roundTrip(writeControlledShutdownRequest, readControlledShutdownRequest, v, {
        brokerId: 3,
        brokerEpoch: 99,
      }),
      { brokerId: 3, brokerEpoch: v >= 2 ? 99 : -1 },
    );
    const response = {
      errorCode: 0,
      remainingPartitions: [{ topicName: "a", partitionIndex: 0 }, { topicName: "b", partitionIndex: 7 }],
    };
    assert.deepEqual(
      roundTrip(writeControlledShutdownResponse, readControlledShutdownResponse, v, response),
      response,
    );
  }
});

Deno.test("ControlledShutdown matches hand-derived bytes", () => {
  assert.equal(toHex(encode(writeControlledShutdownRequest, 1, { brokerId: 3 })), "00000003");
  const v2 = hex("00000003 0000000000000009");
  assert.equal(toHex(encode(writeControlledShutdownRequest, 2, { brokerId: 3, brokerEpoch: 9 })), toHex(v2));
  assert.deepEqual(decode(readControlledShutdownRequest, 2, v2), { brokerId: 3, brokerEpoch: 9 });
  const response = hex("0000 00000001 0001 74 00000002");
  const value = { errorCode: 0, remainingPartitions: [{ topicName: "t", partitionIndex: 2 }] };
  assert.equal(toHex(encode(writeControlledShutdownResponse, 2, value)), toHex(response));
  assert.deepEqual(decode(readControlledShutdownResponse, 1, response), value);
  // v0 (header without client id) is outside the supported range.
  assert.throws(() => decode(readControlledShutdownRequest, 0, hex("00000003")), WireError);
});
