/**
 * AlterUserScramCredentials (key 51), version 0 (flexible): create, replace or delete SCRAM
 * credentials. The client sends the salted password (PBKDF2 of the password, never the
 * password itself); the broker derives and stores the stored and server keys.
 *
 * Request v0  => deletions [name COMPACT_STRING mechanism INT8 TAG_BUFFER]
 *                upsertions [name COMPACT_STRING mechanism INT8 iterations INT32
 *                            salt COMPACT_BYTES salted_password COMPACT_BYTES TAG_BUFFER]
 *                TAG_BUFFER
 * Response v0 => throttle_time_ms INT32
 *                results [user COMPACT_STRING error_code INT16 error_message COMPACT_NULLABLE_STRING
 *                         TAG_BUFFER] TAG_BUFFER
 *
 * One result per user touched. Errors: UNSUPPORTED_SASL_MECHANISM (33), RESOURCE_NOT_FOUND
 * (91: deleting a credential that is not there), DUPLICATE_RESOURCE (92: a user and mechanism
 * named twice), UNACCEPTABLE_CREDENTIAL (93: iterations out of bounds, empty salt or name).
 *
 * @example
 * ```ts
 * writeAlterUserScramCredentialsRequest(writer, 0, { deletions: [], upsertions: [upsertion] });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import {
  type ErrorFields,
  readBytesField,
  readErrorFields,
  readStringField,
  readStructArray,
  writeErrorFields,
  writeStructArray,
} from "./flexible-fields.ts";

export interface ScramCredentialDeletion {
  name: string;
  mechanism: number;
}

export interface ScramCredentialUpsertion {
  name: string;
  mechanism: number;
  iterations: number;
  salt: Uint8Array;
  saltedPassword: Uint8Array;
}

export interface AlterUserScramCredentialsRequest {
  deletions: ScramCredentialDeletion[];
  upsertions: ScramCredentialUpsertion[];
}

export interface AlterUserScramCredentialsResult extends ErrorFields {
  user: string;
}

export interface AlterUserScramCredentialsResponse {
  throttleTimeMs: number;
  results: AlterUserScramCredentialsResult[];
}

export function writeAlterUserScramCredentialsRequest(
  writer: Writer,
  version: number,
  request: AlterUserScramCredentialsRequest,
): void {
  checkVersion(ApiKey.AlterUserScramCredentials, version, "write");
  writeStructArray(writer, true, request.deletions, (w, d) => w.compactString(d.name).int8(d.mechanism));
  writeStructArray(writer, true, request.upsertions, (w, u) => {
    w.compactString(u.name).int8(u.mechanism).int32(u.iterations);
    w.compactBytes(u.salt).compactBytes(u.saltedPassword);
  });
  writer.emptyTags();
}

export function readAlterUserScramCredentialsRequest(
  reader: Reader,
  version: number,
): AlterUserScramCredentialsRequest {
  checkVersion(ApiKey.AlterUserScramCredentials, version, "read");
  const deletions = readStructArray(reader, true, "deletions", (r) => {
    const name = readStringField(r, true, "deletions.name");
    return { name, mechanism: r.int8() };
  }, 3);
  const upsertions = readStructArray(reader, true, "upsertions", (r) => {
    const name = readStringField(r, true, "upsertions.name");
    const mechanism = r.int8();
    const iterations = r.int32();
    const salt = readBytesField(r, true, "upsertions.salt");
    const saltedPassword = readBytesField(r, true, "upsertions.salted_password");
    return { name, mechanism, iterations, salt, saltedPassword };
  }, 9);
  reader.skipTags();
  return { deletions, upsertions };
}

export function writeAlterUserScramCredentialsResponse(
  writer: Writer,
  version: number,
  response: AlterUserScramCredentialsResponse,
): void {
  checkVersion(ApiKey.AlterUserScramCredentials, version, "write");
  writer.int32(response.throttleTimeMs);
  writeStructArray(writer, true, response.results, (w, result) => {
    w.compactString(result.user);
    writeErrorFields(w, true, result);
  });
  writer.emptyTags();
}

export function readAlterUserScramCredentialsResponse(
  reader: Reader,
  version: number,
): AlterUserScramCredentialsResponse {
  checkVersion(ApiKey.AlterUserScramCredentials, version, "read");
  const throttleTimeMs = reader.int32();
  const results = readStructArray(reader, true, "results", (r) => {
    const user = readStringField(r, true, "results.user");
    return { user, ...readErrorFields(r, true) };
  }, 5);
  reader.skipTags();
  return { throttleTimeMs, results };
}
