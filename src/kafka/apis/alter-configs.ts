/**
 * AlterConfigs (key 33), versions 0–2 (v2 flexible): replace every dynamic config of a resource
 * (topic = 2, broker = 4) with the entries given; entries left out return to their defaults.
 * Kafka's tools moved to IncrementalAlterConfigs (incremental-alter-configs.ts), kafkajs's
 * alterConfigs still sends this one. Both share the response below.
 *
 * Request v0–2  => resources [resource_type INT8 resource_name STRING
 *                             configs [name STRING value NULLABLE_STRING]]
 *                  validate_only BOOLEAN
 * Response v0–2 => throttle_time_ms INT32
 *                  responses [error_code INT16 error_message NULLABLE_STRING resource_type INT8
 *                             resource_name STRING]
 *
 * @example
 * ```ts
 * writeAlterConfigsRequest(writer, 1, {
 *   resources: [{ resourceType: 2, resourceName: "orders", configs: [{ name: "retention.ms", value: "60000" }] }],
 *   validateOnly: false,
 * });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey, isFlexible } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import {
  endStruct,
  type ErrorFields,
  readErrorFields,
  readNullableStringField,
  readStringField,
  readStructArray,
  skipStructTags,
  writeErrorFields,
  writeStringField,
  writeStructArray,
} from "./flexible-fields.ts";

export interface AlterConfigsEntry {
  name: string;
  /** null deletes the override (same as leaving it out). */
  value: string | null;
}

export interface AlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: AlterConfigsEntry[];
}

export interface AlterConfigsRequest {
  resources: AlterConfigsResource[];
  validateOnly: boolean;
}

export interface AlterConfigsResourceResult extends ErrorFields {
  resourceType: number;
  resourceName: string;
}

/** The response of AlterConfigs and IncrementalAlterConfigs. */
export interface AlterConfigsResponse {
  throttleTimeMs: number;
  responses: AlterConfigsResourceResult[];
}

export function writeAlterConfigsRequest(
  writer: Writer,
  version: number,
  request: AlterConfigsRequest,
): void {
  checkVersion(ApiKey.AlterConfigs, version, "write");
  const flexible = isFlexible(ApiKey.AlterConfigs, version);
  writeStructArray(writer, flexible, request.resources, (w, resource) => {
    w.int8(resource.resourceType);
    writeStringField(w, flexible, resource.resourceName);
    writeStructArray(w, flexible, resource.configs, (w2, config) => {
      writeStringField(w2, flexible, config.name);
      writeStringField(w2, flexible, config.value);
    });
  });
  writer.bool(request.validateOnly);
  endStruct(writer, flexible);
}

export function readAlterConfigsRequest(reader: Reader, version: number): AlterConfigsRequest {
  checkVersion(ApiKey.AlterConfigs, version, "read");
  const flexible = isFlexible(ApiKey.AlterConfigs, version);
  const resources = readStructArray(reader, flexible, "resources", (r) => {
    const resourceType = r.int8();
    const resourceName = readStringField(r, flexible, "resource_name");
    const configs = readStructArray(r, flexible, "configs", (r2) => {
      const name = readStringField(r2, flexible, "configs.name");
      return { name, value: readNullableStringField(r2, flexible) };
    }, 3);
    return { resourceType, resourceName, configs };
  }, 4);
  const validateOnly = reader.bool();
  skipStructTags(reader, flexible);
  return { resources, validateOnly };
}

/** The response of both APIs; `apiKey` picks whose flexible versions apply. */
export function writeConfigsResponse(
  writer: Writer,
  apiKey: number,
  version: number,
  response: AlterConfigsResponse,
): void {
  checkVersion(apiKey, version, "write");
  const flexible = isFlexible(apiKey, version);
  writer.int32(response.throttleTimeMs);
  writeStructArray(writer, flexible, response.responses, (w, result) => {
    writeErrorFields(w, flexible, result);
    w.int8(result.resourceType);
    writeStringField(w, flexible, result.resourceName);
  });
  endStruct(writer, flexible);
}

export function readConfigsResponse(reader: Reader, apiKey: number, version: number): AlterConfigsResponse {
  checkVersion(apiKey, version, "read");
  const flexible = isFlexible(apiKey, version);
  const throttleTimeMs = reader.int32();
  const responses = readStructArray(reader, flexible, "responses", (r) => {
    const errors = readErrorFields(r, flexible);
    const resourceType = r.int8();
    return { ...errors, resourceType, resourceName: readStringField(r, flexible, "resource_name") };
  }, 6);
  skipStructTags(reader, flexible);
  return { throttleTimeMs, responses };
}

export const writeAlterConfigsResponse = (w: Writer, version: number, response: AlterConfigsResponse) =>
  writeConfigsResponse(w, ApiKey.AlterConfigs, version, response);
export const readAlterConfigsResponse = (r: Reader, version: number) =>
  readConfigsResponse(r, ApiKey.AlterConfigs, version);
