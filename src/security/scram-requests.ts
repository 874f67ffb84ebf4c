/**
 * What the broker does for DescribeUserScramCredentials and AlterUserScramCredentials, as
 * Kafka does it (KIP-554), apart from decoding and encoding: Describe on the Cluster to list,
 * Alter to change; per-user validation; one compare-and-set write per user, so a user's
 * changes land together or not at all.
 *
 * Per user, the first problem found is the answer and nothing of that user is written:
 * DUPLICATE_RESOURCE (a user and mechanism named twice in one request), UNSUPPORTED_SASL_MECHANISM,
 * UNACCEPTABLE_CREDENTIAL (empty name or salt, iterations outside 4096–16384, a salted password
 * of the wrong length), RESOURCE_NOT_FOUND (deleting a credential that is not there).
 *
 * @example
 * ```ts
 * const response = await alterUserScramCredentialsResponse(context, request);
 * ```
 */
import { AclOperation } from "../kafka/acl.ts";
import type {
  AlterUserScramCredentialsRequest,
  AlterUserScramCredentialsResponse,
} from "../kafka/apis/alter-user-scram-credentials.ts";
import type {
  DescribeUserScramCredentialsRequest,
  DescribeUserScramCredentialsResponse,
  DescribeUserScramCredentialsResult,
} from "../kafka/apis/describe-user-scram-credentials.ts";
import { ErrorCode } from "../kafka/errors.ts";
import { clusterAllows, type SecurityRequestContext } from "./acl-requests.ts";
import {
  changeUserCredentials,
  type CredentialChanges,
  type UserCredentialInfo,
} from "./credential-store.ts";
import { credentialFromSaltedPassword, scramMechanismOfCode } from "./scram.ts";

/** Users' credential info, from the broker's cache. */
export type CredentialDirectory = () => UserCredentialInfo[];

export function describeUserScramCredentialsResponse(
  context: SecurityRequestContext,
  request: DescribeUserScramCredentialsRequest,
  directory: CredentialDirectory,
): DescribeUserScramCredentialsResponse {
  if (!clusterAllows(context, AclOperation.Describe)) {
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      errorMessage: null,
      results: [],
    };
  }
  const known = new Map(directory().map((info) => [info.user, info]));
  const toResult = (info: UserCredentialInfo): DescribeUserScramCredentialsResult => ({
    user: info.user,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    credentialInfos: info.mechanisms.map(({ mechanism, iterations }) => ({
      mechanism: mechanism === "SCRAM-SHA-256" ? 1 : 2,
      iterations,
    })),
  });
  const wanted = request.users ?? [];
  if (wanted.length === 0) {
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      results: [...known.values()].map(toResult),
    };
  }
  const counts = new Map<string, number>();
  for (const user of wanted) counts.set(user, (counts.get(user) ?? 0) + 1);
  const results = [...counts].map(([user, count]) => {
    if (count > 1) {
      return {
        user,
        errorCode: ErrorCode.DUPLICATE_RESOURCE,
        errorMessage: "Cannot describe the same user twice",
        credentialInfos: [],
      };
    }
    const info = known.get(user);
    return info === undefined
      ? {
        user,
        errorCode: ErrorCode.RESOURCE_NOT_FOUND,
        errorMessage: "Attempt to describe a user credential that does not exist",
        credentialInfos: [],
      }
      : toResult(info);
  });
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
}

interface UserPlan {
  changes: CredentialChanges;
  error?: { errorCode: number; errorMessage: string };
}

export async function alterUserScramCredentialsResponse(
  context: SecurityRequestContext,
  request: AlterUserScramCredentialsRequest,
): Promise<AlterUserScramCredentialsResponse> {
  const users = [...new Set([...request.deletions, ...request.upsertions].map((change) => change.name))];
  if (!clusterAllows(context, AclOperation.Alter)) {
    return {
      throttleTimeMs: 0,
      results: users.map((user) => ({
        user,
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: null,
      })),
    };
  }
  const plans = new Map<string, UserPlan>(users.map((user) => [user, { changes: { set: [], remove: [] } }]));
  const seen = new Set<string>();
  const reject = (user: string, errorCode: number, errorMessage: string) => {
    const plan = plans.get(user)!;
    plan.error ??= { errorCode, errorMessage };
  };
  const mechanismOf = (user: string, code: number) => {
    const mechanism = scramMechanismOfCode(code);
    if (mechanism === undefined) {
      reject(user, ErrorCode.UNSUPPORTED_SASL_MECHANISM, `Unknown SCRAM mechanism ${code}`);
    }
    const key = `${user}\0${code}`;
    if (seen.has(key)) {
      reject(user, ErrorCode.DUPLICATE_RESOURCE, "A user credential cannot be altered twice in one request");
    }
    seen.add(key);
    if (user.length === 0) reject(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, "Username must not be empty");
    return mechanism;
  };
  for (const deletion of request.deletions) {
    const mechanism = mechanismOf(deletion.name, deletion.mechanism);
    if (mechanism) plans.get(deletion.name)!.changes.remove!.push(mechanism.name);
  }
  for (const upsertion of request.upsertions) {
    const mechanism = mechanismOf(upsertion.name, upsertion.mechanism);
    if (mechanism === undefined) continue;
    const { iterations, salt, saltedPassword } = upsertion;
    if (iterations < mechanism.minIterations) {
      reject(
        upsertion.name,
        ErrorCode.UNACCEPTABLE_CREDENTIAL,
        `Too few iterations: at least ${mechanism.minIterations}`,
      );
    } else if (iterations > mechanism.maxIterations) {
      reject(
        upsertion.name,
        ErrorCode.UNACCEPTABLE_CREDENTIAL,
        `Too many iterations: at most ${mechanism.maxIterations}`,
      );
    } else if (salt.length === 0) {
      reject(upsertion.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, "Salt must not be empty");
    } else if (saltedPassword.length !== mechanism.keyBytes) {
      reject(
        upsertion.name,
        ErrorCode.UNACCEPTABLE_CREDENTIAL,
        `A ${mechanism.name} salted password is ${mechanism.keyBytes} bytes`,
      );
    } else {
      const credential = await credentialFromSaltedPassword(mechanism, salt, saltedPassword, iterations);
      plans.get(upsertion.name)!.changes.set!.push([mechanism.name, credential]);
    }
  }
  const results = [];
  for (const [user, plan] of plans) {
    if (plan.error !== undefined) {
      results.push({ user, ...plan.error });
      continue;
    }
    try {
      const { missing } = await changeUserCredentials(context.coordination, user, plan.changes);
      results.push(
        missing.length > 0
          ? {
            user,
            errorCode: ErrorCode.RESOURCE_NOT_FOUND,
            errorMessage: `Attempt to delete a user credential that does not exist: ${missing.join(", ")}`,
          }
          : { user, errorCode: ErrorCode.NONE, errorMessage: null },
      );
    } catch (error) {
      results.push({
        user,
        errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
        errorMessage: (error as Error).message,
      });
    }
  }
  return { throttleTimeMs: 0, results };
}
