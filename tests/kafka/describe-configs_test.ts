import assert from "node:assert/strict";
import {
  ConfigResourceType,
  ConfigSource,
  type DescribeConfigsResourceResult,
  type DescribeConfigsResponse,
  readDescribeConfigsRequest,
  readDescribeConfigsResponse,
  writeDescribeConfigsRequest,
  writeDescribeConfigsResponse,
} from "../../src/kafka/apis/describe-configs.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

Deno.test("DescribeConfigs round-trips every version", () => {
  const request = {
    resources: [
      { resourceType: ConfigResourceType.topic, resourceName: "orders", configurationKeys: ["retention.ms"] },
      { resourceType: ConfigResourceType.broker, resourceName: "1", configurationKeys: null },
    ],
    includeSynonyms: true,
    includeDocumentation: true,
  };
  const config = {
    name: "retention.ms",
    value: "1000",
    readOnly: false,
    isDefault: false,
    configSource: ConfigSource.dynamicTopicConfig,
    isSensitive: false,
    synonyms: [{ name: "log.retention.ms", value: null, source: ConfigSource.staticBrokerConfig }],
    configType: 5,
    documentation: "How long to keep data",
  };
  const defaulted = {
    ...config,
    name: "segment.bytes",
    isDefault: true,
    configSource: ConfigSource.defaultConfig,
  };
  const response: DescribeConfigsResponse = {
    throttleTimeMs: 0,
    results: [{
      errorCode: 0,
      errorMessage: null,
      resourceType: 2,
      resourceName: "orders",
      configs: [config, defaulted],
    }],
  };
  for (const v of versions(0, 3)) {
    assert.deepEqual(roundTrip(writeDescribeConfigsRequest, readDescribeConfigsRequest, v, request), {
      ...request,
      includeSynonyms: v >= 1,
      includeDocumentation: v >= 3,
    }, `request v${v}`);
    const carried = (c: DescribeConfigsResourceResult) => ({
      ...c,
      configSource: v >= 1 ? c.configSource : -1,
      synonyms: v >= 1 ? c.synonyms : [],
      configType: v >= 3 ? c.configType : 0,
      documentation: v >= 3 ? c.documentation : null,
    });
    assert.deepEqual(roundTrip(writeDescribeConfigsResponse, readDescribeConfigsResponse, v, response), {
      ...response,
      results: [{ ...response.results[0], configs: [carried(config), carried(defaulted)] }],
    }, `response v${v}`);
  }
});

Deno.test("DescribeConfigs matches hand-derived bytes", () => {
  const v1Request = hex("00000001 02 0001 74 ffffffff 00");
  assert.deepEqual(decode(readDescribeConfigsRequest, 1, v1Request), {
    resources: [{ resourceType: 2, resourceName: "t", configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  // v1 response: one topic result with config a=b, read-only false, source 5 (default), not
  // sensitive, no synonyms.
  const v1 = hex("00000000 00000001 0000 ffff 02 0001 74 00000001 0001 61 0001 62 00 05 00 00000000");
  const parsed = decode(readDescribeConfigsResponse, 1, v1);
  assert.deepEqual(parsed.results[0].configs[0], {
    name: "a",
    value: "b",
    readOnly: false,
    isDefault: true,
    configSource: 5,
    isSensitive: false,
    synonyms: [],
    configType: 0,
    documentation: null,
  });
  assert.equal(toHex(encode(writeDescribeConfigsResponse, 1, parsed)), toHex(v1));
  // v0 writes is_default in place of config_source and has no synonyms.
  assert.equal(
    toHex(encode(writeDescribeConfigsResponse, 0, parsed)),
    toHex(hex("00000000 00000001 0000 ffff 02 0001 74 00000001 0001 61 0001 62 00 01 00")),
  );
});
