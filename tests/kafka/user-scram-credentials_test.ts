/** DescribeUserScramCredentials (50) and AlterUserScramCredentials (51): version 0, flexible. */
import assert from "node:assert/strict";
import {
  readDescribeUserScramCredentialsRequest,
  readDescribeUserScramCredentialsResponse,
  writeDescribeUserScramCredentialsRequest,
  writeDescribeUserScramCredentialsResponse,
} from "../../src/kafka/apis/describe-user-scram-credentials.ts";
import {
  readAlterUserScramCredentialsRequest,
  readAlterUserScramCredentialsResponse,
  writeAlterUserScramCredentialsRequest,
  writeAlterUserScramCredentialsResponse,
} from "../../src/kafka/apis/alter-user-scram-credentials.ts";
import { WireError } from "../../src/wire/mod.ts";
import { bytesOf, decode, encode, hex, roundTrip, toHex } from "./codec-harness.ts";

Deno.test("DescribeUserScramCredentials round-trips", () => {
  for (const users of [null, [], ["alice", "bob"]]) {
    const request = { users };
    assert.deepEqual(
      roundTrip(
        writeDescribeUserScramCredentialsRequest,
        readDescribeUserScramCredentialsRequest,
        0,
        request,
      ),
      request,
    );
  }
  const response = {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    results: [
      {
        user: "alice",
        errorCode: 0,
        errorMessage: null,
        credentialInfos: [{ mechanism: 2, iterations: 4096 }],
      },
      { user: "carol", errorCode: 91, errorMessage: "no such user", credentialInfos: [] },
    ],
  };
  assert.deepEqual(
    roundTrip(
      writeDescribeUserScramCredentialsResponse,
      readDescribeUserScramCredentialsResponse,
      0,
      response,
    ),
    response,
  );
});

Deno.test("AlterUserScramCredentials round-trips", () => {
  const request = {
    deletions: [{ name: "bob", mechanism: 1 }],
    upsertions: [{
      name: "alice",
      mechanism: 2,
      iterations: 8192,
      salt: bytesOf(1, 2, 3),
      saltedPassword: bytesOf(4, 5, 6, 7),
    }],
  };
  assert.deepEqual(
    roundTrip(writeAlterUserScramCredentialsRequest, readAlterUserScramCredentialsRequest, 0, request),
    request,
  );
  const response = {
    throttleTimeMs: 0,
    results: [{ user: "alice", errorCode: 0, errorMessage: null }, {
      user: "bob",
      errorCode: 91,
      errorMessage: "gone",
    }],
  };
  assert.deepEqual(
    roundTrip(writeAlterUserScramCredentialsResponse, readAlterUserScramCredentialsResponse, 0, response),
    response,
  );
});

Deno.test("SCRAM credential codecs match hand-derived bytes", () => {
  // users: null compact array = 00; then the top-level tag section.
  assert.equal(toHex(encode(writeDescribeUserScramCredentialsRequest, 0, { users: null })), "0000");
  assert.equal(toHex(encode(writeDescribeUserScramCredentialsRequest, 0, { users: ["a"] })), "0202610000");
  const alter = hex("01 02 02 61 02 00001000 02 aa 02 bb 00 00");
  assert.deepEqual(decode(readAlterUserScramCredentialsRequest, 0, alter), {
    deletions: [],
    upsertions: [{
      name: "a",
      mechanism: 2,
      iterations: 4096,
      salt: bytesOf(0xaa),
      saltedPassword: bytesOf(0xbb),
    }],
  });
});

Deno.test("SCRAM credential codecs reject malformed input and other versions", () => {
  assert.throws(() => decode(readAlterUserScramCredentialsRequest, 0, hex("00 01 00")), WireError);
  assert.throws(() => decode(readDescribeUserScramCredentialsRequest, 1, hex("00 00")), WireError);
  assert.throws(
    () => decode(readDescribeUserScramCredentialsResponse, 0, hex("00000000 0000 00 7f")),
    WireError,
  );
});
