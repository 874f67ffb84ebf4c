/**
 * DescribeUserScramCredentials (key 50), version 0 (flexible): which SCRAM mechanisms each
 * user has credentials for, and their iteration counts (never salts or keys).
 *
 * Request v0  => users COMPACT_NULLABLE_ARRAY[name COMPACT_STRING TAG_BUFFER] TAG_BUFFER
 *                (null or empty = every user)
 * Response v0 => throttle_time_ms INT32 error_code INT16 error_message COMPACT_NULLABLE_STRING
 *                results [user COMPACT_STRING error_code INT16 error_message COMPACT_NULLABLE_STRING
 *                         credential_infos [mechanism INT8 iterations INT32 TAG_BUFFER] TAG_BUFFER]
 *                TAG_BUFFER
 *
 * Mechanism codes: 1 SCRAM-SHA-256, 2 SCRAM-SHA-512. An unknown user named in the request
 * gets RESOURCE_NOT_FOUND (91).
 *
 * @example
 * ```ts
 * writeDescribeUserScramCredentialsRequest(writer, 0, { users: null });
 * ```
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { ApiKey } from "../api-keys.ts";
import { checkVersion } from "./field-readers.ts";
import {
  type ErrorFields,
  readErrorFields,
  readStringField,
  readStructArray,
  writeErrorFields,
  writeStructArray,
} from "./flexible-fields.ts";

export interface DescribeUserScramCredentialsRequest {
  /** null (or empty) = every user. */
  users: string[] | null;
}

export interface ScramCredentialInfo {
  mechanism: number;
  iterations: number;
}

export interface DescribeUserScramCredentialsResult extends ErrorFields {
  user: string;
  credentialInfos: ScramCredentialInfo[];
}

export interface DescribeUserScramCredentialsResponse extends ErrorFields {
  throttleTimeMs: number;
  results: DescribeUserScramCredentialsResult[];
}

export function writeDescribeUserScramCredentialsRequest(
  writer: Writer,
  version: number,
  request: DescribeUserScramCredentialsRequest,
): void {
  checkVersion(ApiKey.DescribeUserScramCredentials, version, "write");
  writer.compactArray(request.users, (w, name) => w.compactString(name).emptyTags());
  writer.emptyTags();
}

export function readDescribeUserScramCredentialsRequest(
  reader: Reader,
  version: number,
): DescribeUserScramCredentialsRequest {
  checkVersion(ApiKey.DescribeUserScramCredentials, version, "read");
  const users = reader.compactArray((r) => {
    const name = readStringField(r, true, "users.name");
    r.skipTags();
    return name;
  }, 2);
  reader.skipTags();
  return { users };
}

export function writeDescribeUserScramCredentialsResponse(
  writer: Writer,
  version: number,
  response: DescribeUserScramCredentialsResponse,
): void {
  checkVersion(ApiKey.DescribeUserScramCredentials, version, "write");
  writer.int32(response.throttleTimeMs);
  writeErrorFields(writer, true, response);
  writeStructArray(writer, true, response.results, (w, result) => {
    w.compactString(result.user);
    writeErrorFields(w, true, result);
    writeStructArray(
      w,
      true,
      result.credentialInfos,
      (w2, info) => w2.int8(info.mechanism).int32(info.iterations),
    );
  });
  writer.emptyTags();
}

export function readDescribeUserScramCredentialsResponse(
  reader: Reader,
  version: number,
): DescribeUserScramCredentialsResponse {
  checkVersion(ApiKey.DescribeUserScramCredentials, version, "read");
  const throttleTimeMs = reader.int32();
  const { errorCode, errorMessage } = readErrorFields(reader, true);
  const results = readStructArray(reader, true, "results", (r) => {
    const user = readStringField(r, true, "results.user");
    const errors = readErrorFields(r, true);
    const credentialInfos = readStructArray(r, true, "credential_infos", (r2) => ({
      mechanism: r2.int8(),
      iterations: r2.int32(),
    }), 6);
    return { user, ...errors, credentialInfos };
  }, 5);
  reader.skipTags();
  return { throttleTimeMs, errorCode, errorMessage, results };
}
