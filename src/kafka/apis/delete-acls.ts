/**
 * DeleteAcls (key 31), versions 0–3: remove every ACL binding matching each filter, and say
 * which ones went. v1 adds pattern types, v2 is flexible, v3 allows the User resource type.
 *
 * Request v0–3  => filters [filter]                          (filter: see acl-fields.ts)
 * Response v0–3 => throttle_time_ms INT32
 *                  filter_results [error_code INT16 error_message NULLABLE_STRING
 *                                  matching_acls [error_code INT16 error_message NULLABLE_STRING
 *                                                 binding]]
 *
 * One filter result per filter, in order.
 *
 * @example
 * ```ts
 * writeDeleteAclsRequest(writer, 1, { filters: [filter] });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey, isFlexible } from "../api-keys.ts";
import {
  type AclBinding,
  type AclBindingFilter,
  MIN_ACL_FIELDS_BYTES,
  readAclBinding,
  readAclFilter,
  writeAclFields,
} from "./acl-fields.ts";
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

export interface DeleteAclsRequest {
  filters: AclBindingFilter[];
}

/** A binding the filter matched, and whether deleting it worked. */
export interface DeleteAclsMatchingAcl extends AclBinding, ErrorFields {}

export interface DeleteAclsFilterResult extends ErrorFields {
  matchingAcls: DeleteAclsMatchingAcl[];
}

export interface DeleteAclsResponse {
  throttleTimeMs: number;
  filterResults: DeleteAclsFilterResult[];
}

const flexibleAt = (version: number) => isFlexible(ApiKey.DeleteAcls, version);

export function writeDeleteAclsRequest(writer: Writer, version: number, request: DeleteAclsRequest): void {
  checkVersion(ApiKey.DeleteAcls, version, "write");
  const flexible = flexibleAt(version);
  writeStructArray(
    writer,
    flexible,
    request.filters,
    (w, filter) => writeAclFields(w, version, flexible, filter),
  );
  endStruct(writer, flexible);
}

export function readDeleteAclsRequest(reader: Reader, version: number): DeleteAclsRequest {
  checkVersion(ApiKey.DeleteAcls, version, "read");
  const flexible = flexibleAt(version);
  const filters = readStructArray(
    reader,
    flexible,
    "filters",
    (r) => readAclFilter(r, version, flexible),
    MIN_ACL_FIELDS_BYTES,
  );
  skipStructTags(reader, flexible);
  return { filters };
}

export function writeDeleteAclsResponse(writer: Writer, version: number, response: DeleteAclsResponse): void {
  checkVersion(ApiKey.DeleteAcls, version, "write");
  const flexible = flexibleAt(version);
  writer.int32(response.throttleTimeMs);
  writeStructArray(writer, flexible, response.filterResults, (w, result) => {
    writeErrorFields(w, flexible, result);
    writeStructArray(w, flexible, result.matchingAcls, (w2, acl) => {
      writeErrorFields(w2, flexible, acl);
      writeAclFields(w2, version, flexible, acl);
    });
  });
  endStruct(writer, flexible);
}

export function readDeleteAclsResponse(reader: Reader, version: number): DeleteAclsResponse {
  checkVersion(ApiKey.DeleteAcls, version, "read");
  const flexible = flexibleAt(version);
  const throttleTimeMs = reader.int32();
  const filterResults = readStructArray(reader, flexible, "filter_results", (r) => {
    const errors = readErrorFields(r, flexible);
    const matchingAcls = readStructArray(r, flexible, "matching_acls", (r2) => {
      const aclErrors = readErrorFields(r2, flexible);
      return { ...aclErrors, ...readAclBinding(r2, version, flexible) };
    }, MIN_ACL_FIELDS_BYTES + 3);
    return { ...errors, matchingAcls };
  }, 4);
  skipStructTags(reader, flexible);
  return { throttleTimeMs, filterResults };
}
