import assert from "node:assert/strict";
import {
  readSaslHandshakeRequest,
  readSaslHandshakeResponse,
  writeSaslHandshakeRequest,
  writeSaslHandshakeResponse,
} from "../../src/kafka/apis/sasl-handshake.ts";
import { WireError } from "../../src/wire/mod.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("SaslHandshake round-trips every version", () => {
  const request = { mechanism: "SCRAM-SHA-512" };
  const response = { errorCode: 33, mechanisms: ["PLAIN", "SCRAM-SHA-256"] };
  for (const v of versions(0, 1)) {
    assert.deepEqual(roundTrip(writeSaslHandshakeRequest, readSaslHandshakeRequest, v, request), request);
    assert.deepEqual(roundTrip(writeSaslHandshakeResponse, readSaslHandshakeResponse, v, response), response);
  }
});

Deno.test("SaslHandshake matches hand-derived bytes", () => {
  // "PLAIN": int16 length 5 and the ASCII bytes.
  assert.equal(toHex(encode(writeSaslHandshakeRequest, 1, { mechanism: "PLAIN" })), "0005504c41494e");
  const response = hex("0000 00000001 0005 504c41494e");
  assert.deepEqual(decode(readSaslHandshakeResponse, 0, response), { errorCode: 0, mechanisms: ["PLAIN"] });
});

Deno.test("SaslHandshake rejects a null mechanism and unknown versions", () => {
  assert.throws(() => decode(readSaslHandshakeRequest, 1, hex("ffff")), WireError);
  assert.throws(() => decode(readSaslHandshakeRequest, 2, hex("0000")), WireError);
  assert.throws(() => encode(writeSaslHandshakeRequest, 2, { mechanism: "PLAIN" }), RangeError);
});
