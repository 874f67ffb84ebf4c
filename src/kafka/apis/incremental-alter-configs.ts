/**
 * IncrementalAlterConfigs (key 44), versions 0–1 (v1 flexible): change single config entries of a
 * resource (topic = 2, broker = 4) and leave the others as they are. Operations: 0 SET, 1 DELETE
 * (back to the default), 2 APPEND and 3 SUBTRACT (list-valued configs such as cleanup.policy).
 * The response is AlterConfigs' (alter-configs.ts).
 *
 * Request v0–1  => resources [resource_type INT8 resource_name STRING
 *                             configs [name STRING config_operation INT8 value NULLABLE_STRING]]
 *                  validate_only BOOLEAN
 * Response v0–1 => throttle_time_ms INT32
 *                  responses [error_code INT16 error_message NULLABLE_STRING resource_type INT8
 *                             resource_name STRING]
 *
 * @example
 * ```ts
 * writeIncrementalAlterConfigsRequest(writer, 1, {
 *   resources: [{
 *     resourceType: 2, resourceName: "orders",
 *     configs: [{ name: "retention.ms", operation: ConfigOperation.set, value: "60000" }],
 *   }],
 *   validateOnly: false,
 * });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey, isFlexible } from "../api-keys.ts";
import { type AlterConfigsResponse, readConfigsResponse, writeConfigsResponse } from "./alter-configs.ts";
import { checkVersion } from "./field-readers.ts";
import {
  endStruct,
  readNullableStringField,
  readStringField,
  readStructArray,
  skipStructTags,
  writeStringField,
  writeStructArray,
} from "./flexible-fields.ts";

export const ConfigOperation = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

export interface IncrementalConfigEntry {
  name: string;
  operation: number;
  value: string | null;
}

export interface IncrementalAlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: IncrementalConfigEntry[];
}

export interface IncrementalAlterConfigsRequest {
  resources: IncrementalAlterConfigsResource[];
  validateOnly: boolean;
}

export function writeIncrementalAlterConfigsRequest(
  writer: Writer,
  version: number,
  request: IncrementalAlterConfigsRequest,
): void {
  checkVersion(ApiKey.IncrementalAlterConfigs, version, "write");
  const flexible = isFlexible(ApiKey.IncrementalAlterConfigs, version);
  writeStructArray(writer, flexible, request.resources, (w, resource) => {
    w.int8(resource.resourceType);
    writeStringField(w, flexible, resource.resourceName);
    writeStructArray(w, flexible, resource.configs, (w2, config) => {
      writeStringField(w2, flexible, config.name);
      w2.int8(config.operation);
      writeStringField(w2, flexible, config.value);
    });
  });
  writer.bool(request.validateOnly);
  endStruct(writer, flexible);
}

export function readIncrementalAlterConfigsRequest(
  reader: Reader,
  version: number,
): IncrementalAlterConfigsRequest {
  checkVersion(ApiKey.IncrementalAlterConfigs, version, "read");
  const flexible = isFlexible(ApiKey.IncrementalAlterConfigs, version);
  const resources = readStructArray(reader, flexible, "resources", (r) => {
    const resourceType = r.int8();
    const resourceName = readStringField(r, flexible, "resource_name");
    const configs = readStructArray(r, flexible, "configs", (r2) => {
      const name = readStringField(r2, flexible, "configs.name");
      const operation = r2.int8();
      return { name, operation, value: readNullableStringField(r2, flexible) };
    }, 4);
    return { resourceType, resourceName, configs };
  }, 4);
  const validateOnly = reader.bool();
  skipStructTags(reader, flexible);
  return { resources, validateOnly };
}

export const writeIncrementalAlterConfigsResponse = (
  w: Writer,
  version: number,
  response: AlterConfigsResponse,
) => writeConfigsResponse(w, ApiKey.IncrementalAlterConfigs, version, response);
export const readIncrementalAlterConfigsResponse = (r: Reader, version: number) =>
  readConfigsResponse(r, ApiKey.IncrementalAlterConfigs, version);
