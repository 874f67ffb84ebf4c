/**
 * AlterConfigs and IncrementalAlterConfigs codecs: every version round-trips (flexible and not),
 * and the v1 request bytes are the ones Kafka's schema lays out.
 */
import assert from "node:assert/strict";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import {
  readAlterConfigsRequest,
  readAlterConfigsResponse,
  writeAlterConfigsRequest,
  writeAlterConfigsResponse,
} from "../../src/kafka/apis/alter-configs.ts";
import {
  ConfigOperation,
  readIncrementalAlterConfigsRequest,
  readIncrementalAlterConfigsResponse,
  writeIncrementalAlterConfigsRequest,
  writeIncrementalAlterConfigsResponse,
} from "../../src/kafka/apis/incremental-alter-configs.ts";
import { encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

const response = {
  throttleTimeMs: 3,
  responses: [
    { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: "orders" },
    { errorCode: 40, errorMessage: "Unknown topic config nope", resourceType: 2, resourceName: "audit" },
  ],
};

Deno.test("AlterConfigs round-trips every version", () => {
  const request = {
    resources: [{
      resourceType: 2,
      resourceName: "orders",
      configs: [{ name: "retention.ms", value: "60000" }, { name: "segment.bytes", value: null }],
    }],
    validateOnly: true,
  };
  for (const v of versions(0, 2)) {
    assert.deepEqual(
      roundTrip(writeAlterConfigsRequest, readAlterConfigsRequest, v, request),
      request,
      `v${v}`,
    );
    assert.deepEqual(roundTrip(writeAlterConfigsResponse, readAlterConfigsResponse, v, response), response);
  }
});

Deno.test("AlterConfigs v1 request bytes follow the schema", () => {
  const bytes = encode(writeAlterConfigsRequest, 1, {
    resources: [{ resourceType: 2, resourceName: "t", configs: [{ name: "a", value: "1" }] }],
    validateOnly: false,
  });
  // resources[1]: type 2, name "t", configs[1]: name "a", value "1"; validate_only false
  assert.equal(toHex(bytes), toHex(hex("00000001 02 0001 74 00000001 0001 61 0001 31 00")));
});

Deno.test("IncrementalAlterConfigs round-trips every version; v1 is flexible", () => {
  const request = {
    resources: [{
      resourceType: 2,
      resourceName: "orders",
      configs: [
        { name: "retention.ms", operation: ConfigOperation.set, value: "60000" },
        { name: "segment.bytes", operation: ConfigOperation.delete, value: null },
        { name: "cleanup.policy", operation: ConfigOperation.append, value: "compact" },
      ],
    }],
    validateOnly: false,
  };
  for (const v of versions(0, 1)) {
    assert.deepEqual(
      roundTrip(writeIncrementalAlterConfigsRequest, readIncrementalAlterConfigsRequest, v, request),
      request,
      `v${v}`,
    );
    assert.deepEqual(
      roundTrip(writeIncrementalAlterConfigsResponse, readIncrementalAlterConfigsResponse, v, response),
      response,
    );
  }
  const flexible = encode(writeIncrementalAlterConfigsRequest, 1, {
    resources: [{ resourceType: 2, resourceName: "t", configs: [] }],
    validateOnly: true,
  });
  // compact array of 1 (2), type 2, compact "t" (02 74), empty configs (01), tags, validate, tags
  assert.equal(toHex(flexible), "0202027401000100");
  assert.equal(ApiKey.IncrementalAlterConfigs, 44);
});
