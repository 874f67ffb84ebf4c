/**
 * SecurityAdmin: ACLs and SCRAM users over the Kafka protocol (CreateAcls, DescribeAcls,
 * DeleteAcls, DescribeUserScramCredentials, AlterUserScramCredentials), against any broker.
 * Passwords never leave the client: for a new credential it picks a random salt and sends the
 * salted password (PBKDF2), from which the broker derives what it stores.
 *
 * @example
 * ```ts
 * await using admin = new SecurityAdmin({ bootstrap: "broker:9093", security });
 * await admin.upsertUserScramCredential("alice", "SCRAM-SHA-512", "wonderland");
 * await admin.createAcls([{ resourceType: ResourceType.Topic, resourceName: "orders",
 *   patternType: PatternType.Literal, principal: "User:alice", host: "*",
 *   operation: AclOperation.Write, permissionType: AclPermission.Allow }]);
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import type { AclBinding, AclBindingFilter } from "../kafka/apis/acl-fields.ts";
import { readCreateAclsResponse, writeCreateAclsRequest } from "../kafka/apis/create-acls.ts";
import { readDeleteAclsResponse, writeDeleteAclsRequest } from "../kafka/apis/delete-acls.ts";
import { readDescribeAclsResponse, writeDescribeAclsRequest } from "../kafka/apis/describe-acls.ts";
import {
  readAlterUserScramCredentialsResponse,
  writeAlterUserScramCredentialsRequest,
} from "../kafka/apis/alter-user-scram-credentials.ts";
import {
  readDescribeUserScramCredentialsResponse,
  writeDescribeUserScramCredentialsRequest,
} from "../kafka/apis/describe-user-scram-credentials.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { describeBinding as describe } from "../security/acl-bindings.ts";
import {
  checkIterations,
  SALT_BYTES,
  saltedPassword,
  scramMechanismNamed,
  scramMechanismOfCode,
} from "../security/scram.ts";
import type { Reader } from "../wire/reader.ts";
import type { Writer } from "../wire/writer.ts";
import { Cluster, type ClusterOptions } from "./cluster.ts";

export type ScramMechanismName = "SCRAM-SHA-256" | "SCRAM-SHA-512";

/** A user and the mechanisms (with iteration counts) it has credentials for. */
export interface UserScramCredentials {
  user: string;
  mechanisms: { mechanism: ScramMechanismName; iterations: number }[];
}

export class SecurityAdmin {
  readonly cluster: Cluster;

  constructor(options: ClusterOptions) {
    this.cluster = new Cluster(options);
  }

  /** Store ACL bindings; throws the first refusal, naming the binding. */
  async createAcls(bindings: AclBinding[]): Promise<void> {
    const response = await this.#request(
      ApiKey.CreateAcls,
      (w, v) => writeCreateAclsRequest(w, v, { creations: bindings }),
      readCreateAclsResponse,
    );
    response.results.forEach((result, i) => {
      if (result.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(
          result.errorCode,
          `${describe(bindings[i])}${result.errorMessage ? `: ${result.errorMessage}` : ""}`,
        );
      }
    });
  }

  /** The stored bindings matching a filter. */
  async describeAcls(filter: AclBindingFilter): Promise<AclBinding[]> {
    const response = await this.#request(
      ApiKey.DescribeAcls,
      (w, v) => writeDescribeAclsRequest(w, v, { filter }),
      readDescribeAclsResponse,
    );
    if (response.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(response.errorCode, response.errorMessage ?? "DescribeAcls");
    }
    return response.resources.flatMap(({ acls, ...pattern }) =>
      acls.map((entry) => ({ ...pattern, ...entry }))
    );
  }

  /** Delete every binding matching any filter; resolves to what was deleted. */
  async deleteAcls(filters: AclBindingFilter[]): Promise<AclBinding[]> {
    const response = await this.#request(
      ApiKey.DeleteAcls,
      (w, v) => writeDeleteAclsRequest(w, v, { filters }),
      readDeleteAclsResponse,
    );
    const deleted: AclBinding[] = [];
    for (const result of response.filterResults) {
      if (result.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(result.errorCode, result.errorMessage ?? "DeleteAcls");
      }
      for (const { errorCode, errorMessage, ...binding } of result.matchingAcls) {
        if (errorCode !== ErrorCode.NONE) {
          throw new KafkaError(errorCode, `${describe(binding)}: ${errorMessage ?? ""}`);
        }
        deleted.push(binding);
      }
    }
    return deleted;
  }

  /** Users with SCRAM credentials (all, or the named ones; an unknown name is RESOURCE_NOT_FOUND). */
  async describeUserScramCredentials(users?: string[]): Promise<UserScramCredentials[]> {
    const response = await this.#request(
      ApiKey.DescribeUserScramCredentials,
      (w, v) => writeDescribeUserScramCredentialsRequest(w, v, { users: users ?? null }),
      readDescribeUserScramCredentialsResponse,
    );
    if (response.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(response.errorCode, response.errorMessage ?? "DescribeUserScramCredentials");
    }
    return response.results.map((result) => {
      if (result.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(
          result.errorCode,
          `user "${result.user}"${result.errorMessage ? `: ${result.errorMessage}` : ""}`,
        );
      }
      return {
        user: result.user,
        mechanisms: result.credentialInfos.flatMap(({ mechanism, iterations }) => {
          const scram = scramMechanismOfCode(mechanism);
          return scram === undefined ? [] : [{ mechanism: scram.name, iterations }];
        }),
      };
    }).sort((a, b) => a.user < b.user ? -1 : a.user > b.user ? 1 : 0);
  }

  /** Create or replace a user's credential for one mechanism. */
  async upsertUserScramCredential(
    user: string,
    mechanism: ScramMechanismName,
    password: string,
    iterations = 4096,
  ): Promise<void> {
    const scram = scramMechanismNamed(mechanism);
    if (scram === undefined) throw new TypeError(`Unknown SCRAM mechanism ${mechanism}`);
    checkIterations(scram, iterations);
    const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
    const salted = await saltedPassword(scram, password, salt, iterations);
    await this.#alter({
      deletions: [],
      upsertions: [{ name: user, mechanism: scram.code, iterations, salt, saltedPassword: salted }],
    });
  }

  /** Remove a user's credential for one mechanism (RESOURCE_NOT_FOUND when there is none). */
  async deleteUserScramCredential(user: string, mechanism: ScramMechanismName): Promise<void> {
    const scram = scramMechanismNamed(mechanism);
    if (scram === undefined) throw new TypeError(`Unknown SCRAM mechanism ${mechanism}`);
    await this.#alter({ deletions: [{ name: user, mechanism: scram.code }], upsertions: [] });
  }

  close(): void {
    this.cluster.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  async #alter(request: Parameters<typeof writeAlterUserScramCredentialsRequest>[2]): Promise<void> {
    const response = await this.#request(
      ApiKey.AlterUserScramCredentials,
      (w, v) => writeAlterUserScramCredentialsRequest(w, v, request),
      readAlterUserScramCredentialsResponse,
    );
    for (const result of response.results) {
      if (result.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(
          result.errorCode,
          `user "${result.user}"${result.errorMessage ? `: ${result.errorMessage}` : ""}`,
        );
      }
    }
  }

  async #request<T>(
    apiKey: number,
    write: (writer: Writer, version: number) => void,
    read: (reader: Reader, version: number) => T,
  ): Promise<T> {
    const connection = await this.cluster.anyConnection();
    const version = connection.versionFor(apiKey);
    return await connection.request(apiKey, version, (w) => write(w, version), (r) => read(r, version));
  }
}
