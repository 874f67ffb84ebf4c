import assert from "node:assert/strict";
import {
  readDescribeLogDirsRequest,
  readDescribeLogDirsResponse,
  writeDescribeLogDirsRequest,
  writeDescribeLogDirsResponse,
} from "../../src/kafka/apis/describe-log-dirs.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("DescribeLogDirs round-trips every version", () => {
  const some = { topics: [{ topic: "a", partitions: [0, 2] }, { topic: "b", partitions: [] }] };
  const all = { topics: null };
  const response = {
    throttleTimeMs: 5,
    results: [{
      errorCode: 0,
      logDir: "/var/lib/vltava/broker-1",
      topics: [{
        name: "a",
        partitions: [
          { partitionIndex: 0, partitionSize: 2 ** 40 + 7, offsetLag: 0, isFutureKey: false },
          { partitionIndex: 2, partitionSize: 0, offsetLag: 12, isFutureKey: true },
        ],
      }],
    }],
  };
  for (const v of versions(0, 1)) {
    assert.deepEqual(roundTrip(writeDescribeLogDirsRequest, readDescribeLogDirsRequest, v, some), some);
    assert.deepEqual(roundTrip(writeDescribeLogDirsRequest, readDescribeLogDirsRequest, v, all), all);
    assert.deepEqual(
      roundTrip(writeDescribeLogDirsResponse, readDescribeLogDirsResponse, v, response),
      response,
    );
  }
});

Deno.test("DescribeLogDirs matches hand-derived bytes", () => {
  // topics: count 1, "t", partitions: count 1, [0]
  const request = hex("00000001 0001 74 00000001 00000000");
  const value = { topics: [{ topic: "t", partitions: [0] }] };
  assert.equal(toHex(encode(writeDescribeLogDirsRequest, 0, value)), toHex(request));
  assert.deepEqual(decode(readDescribeLogDirsRequest, 1, request), value);
  assert.equal(toHex(encode(writeDescribeLogDirsRequest, 1, { topics: null })), "ffffffff");

  const response = hex(`
    00000000
    00000001 0000 0002 2f64
      00000001 0001 74
        00000001 00000000 000000000000012c 0000000000000002 00`);
  const body = {
    throttleTimeMs: 0,
    results: [{
      errorCode: 0,
      logDir: "/d",
      topics: [{
        name: "t",
        partitions: [{ partitionIndex: 0, partitionSize: 300, offsetLag: 2, isFutureKey: false }],
      }],
    }],
  };
  assert.equal(toHex(encode(writeDescribeLogDirsResponse, 1, body)), toHex(response));
  assert.deepEqual(decode(readDescribeLogDirsResponse, 0, response), body);
});

Deno.test("DescribeLogDirs rejects versions outside 0-1 and null where the schema forbids it", () => {
  assert.throws(() => encode(writeDescribeLogDirsRequest, 2, { topics: null }), RangeError);
  assert.throws(() => decode(readDescribeLogDirsRequest, 2, hex("ffffffff")), WireError);
  // results null
  assert.throws(() => decode(readDescribeLogDirsResponse, 0, hex("00000000 ffffffff")), WireError);
});
