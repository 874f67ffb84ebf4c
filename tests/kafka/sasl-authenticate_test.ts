import assert from "node:assert/strict";
import {
  readSaslAuthenticateRequest,
  readSaslAuthenticateResponse,
  writeSaslAuthenticateRequest,
  writeSaslAuthenticateResponse,
} from "../../src/kafka/apis/sasl-authenticate.ts";
import { WireError } from "../../src/wire/mod.ts";
import { bytesOf, decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("SaslAuthenticate round-trips every version", () => {
  const request = { authBytes: bytesOf(0x6e, 0x2c, 0x2c) };
  const response = {
    errorCode: 58,
    errorMessage: "bad proof",
    authBytes: bytesOf(1, 2, 3),
    sessionLifetimeMs: 3_600_000,
  };
  for (const v of versions(0, 2)) {
    assert.deepEqual(
      roundTrip(writeSaslAuthenticateRequest, readSaslAuthenticateRequest, v, request),
      request,
    );
    assert.deepEqual(
      roundTrip(writeSaslAuthenticateResponse, readSaslAuthenticateResponse, v, response),
      { ...response, sessionLifetimeMs: v >= 1 ? 3_600_000 : 0 },
      `response v${v}`,
    );
  }
});

Deno.test("SaslAuthenticate matches hand-derived bytes", () => {
  const token = bytesOf(0xaa, 0xbb);
  assert.equal(toHex(encode(writeSaslAuthenticateRequest, 1, { authBytes: token })), "00000002aabb");
  // v2: compact bytes (length + 1 = 3) and an empty tag section.
  assert.equal(toHex(encode(writeSaslAuthenticateRequest, 2, { authBytes: token })), "03aabb00");
  const v2Response = hex("0000 00 03 aabb 0000000000000000 00");
  assert.deepEqual(decode(readSaslAuthenticateResponse, 2, v2Response), {
    errorCode: 0,
    errorMessage: null,
    authBytes: token,
    sessionLifetimeMs: 0,
  });
  const v0Response = hex("003a 0002 6e6f 00000000");
  assert.deepEqual(decode(readSaslAuthenticateResponse, 0, v0Response), {
    errorCode: 58,
    errorMessage: "no",
    authBytes: new Uint8Array(),
    sessionLifetimeMs: 0,
  });
});

Deno.test("SaslAuthenticate rejects null tokens and lengths past the input", () => {
  assert.throws(() => decode(readSaslAuthenticateRequest, 0, hex("ffffffff")), WireError);
  assert.throws(() => decode(readSaslAuthenticateRequest, 2, hex("00 00")), WireError);
  assert.throws(() => decode(readSaslAuthenticateRequest, 1, hex("7fffffff 00")), WireError);
});
