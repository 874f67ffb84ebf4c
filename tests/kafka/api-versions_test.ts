import assert from "node:assert/strict";
import {
  advertisedApiVersions,
  readApiVersionsRequest,
  readApiVersionsResponse,
  writeApiVersionsRequest,
  writeApiVersionsResponse,
} from "../../src/kafka/apis/api-versions.ts";
import { SUPPORTED_APIS } from "../../src/kafka/api-keys.ts";
import { WireError } from "../../src/wire/mod.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("ApiVersions round-trips every version", () => {
  const request = { clientSoftwareName: "vltava", clientSoftwareVersion: "0.1.0" };
  const response = {
    errorCode: 0,
    apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 7 }, { apiKey: 18, minVersion: 0, maxVersion: 3 }],
    throttleTimeMs: 5,
  };
  for (const v of versions(0, 3)) {
    assert.deepEqual(
      roundTrip(writeApiVersionsRequest, readApiVersionsRequest, v, request),
      v >= 3 ? request : { clientSoftwareName: "", clientSoftwareVersion: "" },
      `request v${v}`,
    );
    assert.deepEqual(
      roundTrip(writeApiVersionsResponse, readApiVersionsResponse, v, response),
      { ...response, throttleTimeMs: v >= 1 ? 5 : 0 },
      `response v${v}`,
    );
  }
});

Deno.test("ApiVersions matches hand-derived bytes", () => {
  // v3 request as librdkafka 2.0.2 sends it: two compact strings (length + 1) and an empty tag section.
  const v3Request = hex("0b 6c696272646b61666b61  06 322e302e32  00");
  const librdkafka = { clientSoftwareName: "librdkafka", clientSoftwareVersion: "2.0.2" };
  assert.deepEqual(decode(readApiVersionsRequest, 3, v3Request), librdkafka);
  assert.equal(toHex(encode(writeApiVersionsRequest, 3, librdkafka)), toHex(v3Request));
  assert.equal(toHex(encode(writeApiVersionsRequest, 2, librdkafka)), "");

  const apiKeys = [{ apiKey: 0, minVersion: 3, maxVersion: 7 }, { apiKey: 18, minVersion: 0, maxVersion: 3 }];
  assert.equal(
    toHex(encode(writeApiVersionsResponse, 3, { errorCode: 0, apiKeys, throttleTimeMs: 0 })),
    toHex(hex("0000  03  0000 0003 0007 00  0012 0000 0003 00  00000000  00")),
  );
  assert.equal(
    toHex(encode(writeApiVersionsResponse, 0, { errorCode: 35, apiKeys })),
    toHex(hex("0023  00000002  0000 0003 0007  0012 0000 0003")),
  );
  assert.deepEqual(decode(readApiVersionsResponse, 1, hex("0000 00000001 0003 0000 0008 00000064")), {
    errorCode: 0,
    apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 8 }],
    throttleTimeMs: 100,
  });
  // A v3 response from a real broker carries tagged fields (supported features, tag 0): skipped.
  const tagged = hex("0000 02 0012 0000 0003 00 00000000 01 00 03 02 aa bb");
  assert.deepEqual(decode(readApiVersionsResponse, 3, tagged), {
    errorCode: 0,
    apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
    throttleTimeMs: 0,
  });
});

Deno.test("ApiVersions rejects malformed input and unsupported versions", () => {
  assert.throws(() => decode(readApiVersionsRequest, 3, hex("00 00 00")), WireError); // null name
  assert.throws(() => decode(readApiVersionsResponse, 0, hex("0000 7fffffff 0000")), WireError);
  assert.throws(() => decode(readApiVersionsRequest, 4, hex("")), WireError);
  assert.throws(() => encode(writeApiVersionsRequest, 4, {}), RangeError);
});

Deno.test("advertisedApiVersions is exactly SUPPORTED_APIS", () => {
  const advertised = advertisedApiVersions();
  assert.equal(advertised.length, SUPPORTED_APIS.length);
  assert.deepEqual(advertised.find((a) => a.apiKey === 1), { apiKey: 1, minVersion: 4, maxVersion: 11 });
  assert.deepEqual(advertised.find((a) => a.apiKey === 0), { apiKey: 0, minVersion: 3, maxVersion: 7 });
  const quirk = advertisedApiVersions({ produceFromVersion0: true });
  assert.deepEqual(quirk.find((a) => a.apiKey === 0), { apiKey: 0, minVersion: 0, maxVersion: 7 });
  assert.deepEqual(quirk.filter((a) => a.apiKey !== 0), advertised.filter((a) => a.apiKey !== 0));
});
