/**
 * CreateAcls (key 30), versions 0–3: add ACL bindings. v1 adds the pattern type, v2 is
 * flexible, v3 only allows the User resource type (same fields).
 *
 * Request v0–3  => creations [binding]                          (binding: see acl-fields.ts)
 * Response v0–3 => throttle_time_ms INT32 results [error_code INT16 error_message NULLABLE_STRING]
 *
 * One result per creation, in order.
 *
 * @example
 * ```ts
 * writeCreateAclsRequest(writer, 1, { creations: [binding] });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey, isFlexible } from "../api-keys.ts";
import { type AclBinding, MIN_ACL_FIELDS_BYTES, readAclBinding, writeAclFields } from "./acl-fields.ts";
import { checkVersion } from "./field-readers.ts";
import {
  endStruct,
  type ErrorFields,
  readErrorFields,
  readStructArray,
  skipStructTags,
  writeErrorFields,
  writeStructArray,
} from "./flexible-fields.ts";

export interface CreateAclsRequest {
  creations: AclBinding[];
}

export type AclCreationResult = ErrorFields;

export interface CreateAclsResponse {
  throttleTimeMs: number;
  results: AclCreationResult[];
}

const flexibleAt = (version: number) => isFlexible(ApiKey.CreateAcls, version);

export function writeCreateAclsRequest(writer: Writer, version: number, request: CreateAclsRequest): void {
  checkVersion(ApiKey.CreateAcls, version, "write");
  const flexible = flexibleAt(version);
  writeStructArray(
    writer,
    flexible,
    request.creations,
    (w, binding) => writeAclFields(w, version, flexible, binding),
  );
  endStruct(writer, flexible);
}

export function readCreateAclsRequest(reader: Reader, version: number): CreateAclsRequest {
  checkVersion(ApiKey.CreateAcls, version, "read");
  const flexible = flexibleAt(version);
  const creations = readStructArray(
    reader,
    flexible,
    "creations",
    (r) => readAclBinding(r, version, flexible),
    MIN_ACL_FIELDS_BYTES,
  );
  skipStructTags(reader, flexible);
  return { creations };
}

export function writeCreateAclsResponse(writer: Writer, version: number, response: CreateAclsResponse): void {
  checkVersion(ApiKey.CreateAcls, version, "write");
  const flexible = flexibleAt(version);
  writer.int32(response.throttleTimeMs);
  writeStructArray(writer, flexible, response.results, (w, result) => writeErrorFields(w, flexible, result));
  endStruct(writer, flexible);
}

export function readCreateAclsResponse(reader: Reader, version: number): CreateAclsResponse {
  checkVersion(ApiKey.CreateAcls, version, "read");
  const flexible = flexibleAt(version);
  const throttleTimeMs = reader.int32();
  const results = readStructArray(reader, flexible, "results", (r) => readErrorFields(r, flexible), 3);
  skipStructTags(reader, flexible);
  return { throttleTimeMs, results };
}
