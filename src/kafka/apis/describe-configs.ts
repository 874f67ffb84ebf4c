/**
 * DescribeConfigs (key 32), versions 0–3: configuration of topics (resource type 2) and
 * brokers (4). None of these versions is flexible.
 *
 * Request v0    => resources [resource_type INT8 resource_name STRING
 *                             configuration_keys [STRING] (nullable: null = all keys)]
 * Request v1–2  => resources include_synonyms BOOLEAN
 * Request v3    => resources include_synonyms include_documentation BOOLEAN
 *
 * Response v0   => throttle_time_ms INT32
 *                  results [error_code INT16 error_message NULLABLE_STRING resource_type INT8
 *                           resource_name STRING
 *                           configs [name STRING value NULLABLE_STRING read_only BOOLEAN
 *                                    is_default BOOLEAN is_sensitive BOOLEAN]]
 * Response v1–2 => ... configs [name value read_only config_source INT8 is_sensitive
 *                               synonyms [name STRING value NULLABLE_STRING source INT8]]
 * Response v3   => ... configs [name value read_only config_source is_sensitive synonyms
 *                               config_type INT8 documentation NULLABLE_STRING]
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion, readArray, readString } from "./field-readers.ts";

/** Resource types used with DescribeConfigs. */
export const ConfigResourceType = { topic: 2, broker: 4 } as const;

/** Config sources (v1+): where a value comes from. */
export const ConfigSource = {
  unknown: 0,
  dynamicTopicConfig: 1,
  dynamicBrokerConfig: 2,
  dynamicDefaultBrokerConfig: 3,
  staticBrokerConfig: 4,
  defaultConfig: 5,
} as const;

export interface DescribeConfigsResource {
  resourceType: number;
  resourceName: string;
  /** null = all keys. */
  configurationKeys: string[] | null;
}

export interface DescribeConfigsRequest {
  resources: DescribeConfigsResource[];
  /** v1+; default false. */
  includeSynonyms?: boolean;
  /** v3+; default false. */
  includeDocumentation?: boolean;
}

export interface DescribeConfigsSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribeConfigsResourceResult {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** v0 on the wire; readers of v1+ derive it (configSource === defaultConfig); writers of v0 fall back to that. */
  isDefault?: boolean;
  /** v1+; readers of v0 give -1 (the schema's placeholder: v0 does not say). */
  configSource?: number;
  isSensitive: boolean;
  /** v1+; default []. */
  synonyms?: DescribeConfigsSynonym[];
  /** v3+; default 0 (unknown). */
  configType?: number;
  /** v3+; default null. */
  documentation?: string | null;
}

export interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribeConfigsResourceResult[];
}

export interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: DescribeConfigsResult[];
}

export function writeDescribeConfigsRequest(
  writer: Writer,
  version: number,
  request: DescribeConfigsRequest,
): void {
  checkVersion(ApiKey.DescribeConfigs, version, "write");
  writer.array(request.resources, (w, resource) => {
    w.int8(resource.resourceType).string(resource.resourceName);
    w.array(resource.configurationKeys, (w2, key) => w2.string(key));
  });
  if (version >= 1) writer.bool(request.includeSynonyms ?? false);
  if (version >= 3) writer.bool(request.includeDocumentation ?? false);
}

export function readDescribeConfigsRequest(reader: Reader, version: number): DescribeConfigsRequest {
  checkVersion(ApiKey.DescribeConfigs, version, "read");
  const resources = readArray(reader, "resources", (r) => {
    const resourceType = r.int8();
    const resourceName = readString(r, "resource_name");
    const configurationKeys = r.array((r2) => readString(r2, "configuration_keys"), 2);
    return { resourceType, resourceName, configurationKeys };
  }, 7);
  const includeSynonyms = version >= 1 ? reader.bool() : false;
  const includeDocumentation = version >= 3 ? reader.bool() : false;
  return { resources, includeSynonyms, includeDocumentation };
}

export function writeDescribeConfigsResponse(
  writer: Writer,
  version: number,
  response: DescribeConfigsResponse,
): void {
  checkVersion(ApiKey.DescribeConfigs, version, "write");
  writer.int32(response.throttleTimeMs);
  writer.array(response.results, (w, result) => {
    w.int16(result.errorCode).string(result.errorMessage).int8(result.resourceType).string(
      result.resourceName,
    );
    w.array(result.configs, (w2, config) => writeConfig(w2, version, config));
  });
}

function writeConfig(writer: Writer, version: number, config: DescribeConfigsResourceResult): void {
  writer.string(config.name).string(config.value).bool(config.readOnly);
  if (version === 0) {
    writer.bool(config.isDefault ?? config.configSource === ConfigSource.defaultConfig);
  } else {
    writer.int8(config.configSource ?? -1);
  }
  writer.bool(config.isSensitive);
  if (version >= 1) {
    writer.array(config.synonyms ?? [], (w, s) => w.string(s.name).string(s.value).int8(s.source));
  }
  if (version >= 3) writer.int8(config.configType ?? 0).string(config.documentation ?? null);
}

export function readDescribeConfigsResponse(reader: Reader, version: number): DescribeConfigsResponse {
  checkVersion(ApiKey.DescribeConfigs, version, "read");
  const throttleTimeMs = reader.int32();
  const results = readArray(reader, "results", (r) => {
    const errorCode = r.int16();
    const errorMessage = r.string();
    const resourceType = r.int8();
    const resourceName = readString(r, "resource_name");
    const configs = readArray(r, "configs", (r2) => readConfig(r2, version), 8);
    return { errorCode, errorMessage, resourceType, resourceName, configs };
  }, 9);
  return { throttleTimeMs, results };
}

function readConfig(reader: Reader, version: number): DescribeConfigsResourceResult {
  const name = readString(reader, "name");
  const value = reader.string();
  const readOnly = reader.bool();
  let isDefault: boolean;
  let configSource: number;
  if (version === 0) {
    isDefault = reader.bool();
    configSource = -1; // the schema's placeholder: v0 does not say where a value comes from
  } else {
    configSource = reader.int8();
    isDefault = configSource === ConfigSource.defaultConfig;
  }
  const isSensitive = reader.bool();
  const synonyms = version >= 1
    ? readArray(reader, "synonyms", (r) => {
      const synonymName = readString(r, "name");
      return { name: synonymName, value: r.string(), source: r.int8() };
    }, 5)
    : [];
  const configType = version >= 3 ? reader.int8() : 0;
  const documentation = version >= 3 ? reader.string() : null;
  return { name, value, readOnly, isDefault, configSource, isSensitive, synonyms, configType, documentation };
}
