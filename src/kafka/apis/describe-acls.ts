/**
 * DescribeAcls (key 29), versions 0–3: the ACL bindings matching one filter, grouped by
 * resource pattern. v1 adds pattern types, v2 is flexible, v3 allows the User resource type.
 *
 * Request v0–3  => filter                                   (filter: see acl-fields.ts)
 * Response v0–3 => throttle_time_ms INT32 error_code INT16 error_message NULLABLE_STRING
 *                  resources [resource_type INT8 resource_name STRING pattern_type INT8 (v1+)
 *                             acls [principal STRING host STRING operation INT8 permission_type INT8]]
 *
 * @example
 * ```ts
 * writeDescribeAclsRequest(writer, 1, { filter: anyAcl });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey, isFlexible } from "../api-keys.ts";
import {
  type AclBindingFilter,
  readAclFilter,
  readEntryFields,
  readResourceFields,
  writeAclFields,
  writeEntryFields,
  writeResourceFields,
} from "./acl-fields.ts";
import { checkVersion } from "./field-readers.ts";
import {
  endStruct,
  readErrorFields,
  readStructArray,
  skipStructTags,
  writeErrorFields,
  writeStructArray,
} from "./flexible-fields.ts";

export interface DescribeAclsRequest {
  filter: AclBindingFilter;
}

/** One access control entry of a described resource. */
export interface AclDescription {
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A resource pattern and its entries. */
export interface DescribeAclsResource {
  resourceType: number;
  resourceName: string;
  /** v1+; LITERAL (3) when read from v0. */
  patternType: number;
  acls: AclDescription[];
}

export interface DescribeAclsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  resources: DescribeAclsResource[];
}

const flexibleAt = (version: number) => isFlexible(ApiKey.DescribeAcls, version);

export function writeDescribeAclsRequest(
  writer: Writer,
  version: number,
  request: DescribeAclsRequest,
): void {
  checkVersion(ApiKey.DescribeAcls, version, "write");
  const flexible = flexibleAt(version);
  writeAclFields(writer, version, flexible, request.filter);
  endStruct(writer, flexible);
}

export function readDescribeAclsRequest(reader: Reader, version: number): DescribeAclsRequest {
  checkVersion(ApiKey.DescribeAcls, version, "read");
  const flexible = flexibleAt(version);
  const filter = readAclFilter(reader, version, flexible);
  skipStructTags(reader, flexible);
  return { filter };
}

export function writeDescribeAclsResponse(
  writer: Writer,
  version: number,
  response: DescribeAclsResponse,
): void {
  checkVersion(ApiKey.DescribeAcls, version, "write");
  const flexible = flexibleAt(version);
  writer.int32(response.throttleTimeMs);
  writeErrorFields(writer, flexible, response);
  writeStructArray(writer, flexible, response.resources, (w, resource) => {
    writeResourceFields(w, version, flexible, resource);
    writeStructArray(w, flexible, resource.acls, (w2, acl) => writeEntryFields(w2, flexible, acl));
  });
  endStruct(writer, flexible);
}

export function readDescribeAclsResponse(reader: Reader, version: number): DescribeAclsResponse {
  checkVersion(ApiKey.DescribeAcls, version, "read");
  const flexible = flexibleAt(version);
  const throttleTimeMs = reader.int32();
  const { errorCode, errorMessage } = readErrorFields(reader, flexible);
  const resources = readStructArray(reader, flexible, "resources", (r) => {
    const resource = readResourceFields(r, version, flexible);
    const acls = readStructArray(r, flexible, "acls", (r2) => readEntryFields(r2, flexible), 4);
    return { ...resource, acls };
  }, 4);
  skipStructTags(reader, flexible);
  return { throttleTimeMs, errorCode, errorMessage, resources };
}
