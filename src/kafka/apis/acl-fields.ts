/**
 * The ACL structs CreateAcls, DescribeAcls and DeleteAcls share, in both encodings: a binding
 * (resource pattern + access control entry) and a binding filter. The pattern type field
 * exists from v1; v0 means LITERAL (3), as Kafka's schemas default it. Codes are Kafka's
 * (see ../acl.ts); this module moves them and does not judge them.
 *
 * Binding (v0)  => resource_type INT8 resource_name STRING principal STRING host STRING
 *                  operation INT8 permission_type INT8
 * Binding (v1+) => resource_type resource_name resource_pattern_type INT8 principal host
 *                  operation permission_type
 * Filter        => the same with resource_name, principal and host NULLABLE (null = any)
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { PatternType } from "../acl.ts";
import { readNullableStringField, readStringField, writeStringField } from "./flexible-fields.ts";

/** A resource pattern with one access control entry. */
export interface AclBinding {
  resourceType: number;
  resourceName: string;
  /** v1+ on the wire; LITERAL (3) when read from v0. */
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** Matches bindings; null strings match anything. */
export interface AclBindingFilter {
  resourceType: number;
  resourceName: string | null;
  /** v1+ on the wire; LITERAL (3) when read from v0. */
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

/** Smallest binding or filter on the wire: three int8 codes plus three empty/null strings. */
export const MIN_ACL_FIELDS_BYTES = 6;

/** A binding or a filter (a binding is a filter without nulls, so one writer serves both). */
export function writeAclFields(
  writer: Writer,
  version: number,
  flexible: boolean,
  acl: AclBindingFilter,
): void {
  writeResourceFields(writer, version, flexible, acl);
  writeEntryFields(writer, flexible, acl);
}

/** The resource type, name and (v1+) pattern type of a binding, a filter or a described resource. */
export function writeResourceFields(
  writer: Writer,
  version: number,
  flexible: boolean,
  resource: { resourceType: number; resourceName: string | null; patternType: number },
): void {
  writer.int8(resource.resourceType);
  writeStringField(writer, flexible, resource.resourceName);
  if (version >= 1) writer.int8(resource.patternType);
}

/** Principal, host, operation and permission type of a binding, a filter or a described entry. */
export function writeEntryFields(
  writer: Writer,
  flexible: boolean,
  entry: { principal: string | null; host: string | null; operation: number; permissionType: number },
): void {
  writeStringField(writer, flexible, entry.principal);
  writeStringField(writer, flexible, entry.host);
  writer.int8(entry.operation).int8(entry.permissionType);
}

export function readResourceFields(
  reader: Reader,
  version: number,
  flexible: boolean,
): { resourceType: number; resourceName: string; patternType: number } {
  const resourceType = reader.int8();
  const resourceName = readStringField(reader, flexible, "resource_name");
  const patternType = version >= 1 ? reader.int8() : PatternType.Literal;
  return { resourceType, resourceName, patternType };
}

export function readEntryFields(
  reader: Reader,
  flexible: boolean,
): { principal: string; host: string; operation: number; permissionType: number } {
  const principal = readStringField(reader, flexible, "principal");
  const host = readStringField(reader, flexible, "host");
  return { principal, host, operation: reader.int8(), permissionType: reader.int8() };
}

export function readAclBinding(reader: Reader, version: number, flexible: boolean): AclBinding {
  const resource = readResourceFields(reader, version, flexible);
  return { ...resource, ...readEntryFields(reader, flexible) };
}

export function readAclFilter(reader: Reader, version: number, flexible: boolean): AclBindingFilter {
  const resourceType = reader.int8();
  const resourceName = readNullableStringField(reader, flexible);
  const patternType = version >= 1 ? reader.int8() : PatternType.Literal;
  const principal = readNullableStringField(reader, flexible);
  const host = readNullableStringField(reader, flexible);
  return {
    resourceType,
    resourceName,
    patternType,
    principal,
    host,
    operation: reader.int8(),
    permissionType: reader.int8(),
  };
}
