/**
 * Cross-check of the security API codecs against an independent implementation:
 * @platformatic/kafka's own request writers and response parsers, every version it has. Its
 * requests must parse with our readers into what it meant; our responses must parse with its
 * parsers into what we meant.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  alterUserScramCredentialsV0,
  createAclsV0,
  createAclsV1,
  createAclsV2,
  createAclsV3,
  deleteAclsV0,
  deleteAclsV1,
  deleteAclsV2,
  deleteAclsV3,
  describeAclsV0,
  describeAclsV1,
  describeAclsV2,
  describeAclsV3,
  describeUserScramCredentialsV0,
  Reader as PlatformaticReader,
  saslAuthenticateV0,
  saslAuthenticateV1,
  saslAuthenticateV2,
  saslHandshakeV0,
  saslHandshakeV1,
} from "@platformatic/kafka";
import { readSaslHandshakeRequest, writeSaslHandshakeResponse } from "../../src/kafka/apis/sasl-handshake.ts";
import {
  readSaslAuthenticateRequest,
  writeSaslAuthenticateResponse,
} from "../../src/kafka/apis/sasl-authenticate.ts";
import { readCreateAclsRequest, writeCreateAclsResponse } from "../../src/kafka/apis/create-acls.ts";
import { readDescribeAclsRequest, writeDescribeAclsResponse } from "../../src/kafka/apis/describe-acls.ts";
import { readDeleteAclsRequest, writeDeleteAclsResponse } from "../../src/kafka/apis/delete-acls.ts";
import {
  readDescribeUserScramCredentialsRequest,
  writeDescribeUserScramCredentialsResponse,
} from "../../src/kafka/apis/describe-user-scram-credentials.ts";
import {
  readAlterUserScramCredentialsRequest,
  writeAlterUserScramCredentialsResponse,
} from "../../src/kafka/apis/alter-user-scram-credentials.ts";
import { decode, encode, type ReadFn, type WriteFn } from "./codec-harness.ts";

// deno-lint-ignore no-explicit-any
type PlatformaticApi = { createRequest: (...args: any[]) => { buffer: Buffer }; parseResponse: any };

/** Their request bytes, read by us. */
function theirRequest<T>(api: PlatformaticApi, args: unknown[], read: ReadFn<T>, version: number): T {
  return decode(read, version, new Uint8Array(api.createRequest(...args).buffer));
}

/** Our response bytes, parsed by them. */
function ourResponse<T>(api: PlatformaticApi, apiKey: number, write: WriteFn<T>, version: number, value: T) {
  const bytes = encode(write, version, value);
  return api.parseResponse(0, apiKey, version, PlatformaticReader.from(Buffer.from(bytes)));
}

const binding = {
  resourceType: 2,
  resourceName: "orders-",
  resourcePatternType: 4,
  principal: "User:alice",
  host: "*",
  operation: 3,
  permissionType: 3,
};
const ours = (b: typeof binding, version: number) => ({
  resourceType: b.resourceType,
  resourceName: b.resourceName,
  patternType: version === 0 ? 3 : b.resourcePatternType,
  principal: b.principal,
  host: b.host,
  operation: b.operation,
  permissionType: b.permissionType,
});

Deno.test("SaslHandshake and SaslAuthenticate agree with @platformatic/kafka", () => {
  for (const [version, api] of [[0, saslHandshakeV0], [1, saslHandshakeV1]] as const) {
    assert.deepEqual(theirRequest(api, ["SCRAM-SHA-256"], readSaslHandshakeRequest, version), {
      mechanism: "SCRAM-SHA-256",
    });
    const parsed = ourResponse(api, 17, writeSaslHandshakeResponse, version, {
      errorCode: 0,
      mechanisms: ["PLAIN", "SCRAM-SHA-512"],
    });
    assert.deepEqual(parsed.mechanisms, ["PLAIN", "SCRAM-SHA-512"]);
  }
  const token = Buffer.from("n,,n=alice,r=abc");
  for (
    const [version, api] of [[0, saslAuthenticateV0], [1, saslAuthenticateV1], [
      2,
      saslAuthenticateV2,
    ]] as const
  ) {
    assert.deepEqual(
      theirRequest(api, [token], readSaslAuthenticateRequest, version).authBytes,
      new Uint8Array(token),
    );
    const parsed = ourResponse(api, 36, writeSaslAuthenticateResponse, version, {
      errorCode: 0,
      errorMessage: null,
      authBytes: new Uint8Array([1, 2]),
      sessionLifetimeMs: 5000,
    });
    assert.deepEqual(new Uint8Array(parsed.authBytes), new Uint8Array([1, 2]), `v${version}`);
    if (version >= 1) assert.equal(Number(parsed.sessionLifetimeMs), 5000);
  }
});

Deno.test("CreateAcls, DescribeAcls and DeleteAcls agree with @platformatic/kafka", () => {
  const create = [createAclsV0, createAclsV1, createAclsV2, createAclsV3];
  const describe = [describeAclsV0, describeAclsV1, describeAclsV2, describeAclsV3];
  const remove = [deleteAclsV0, deleteAclsV1, deleteAclsV2, deleteAclsV3];
  for (let version = 0; version <= 3; version++) {
    assert.deepEqual(theirRequest(create[version], [[binding]], readCreateAclsRequest, version), {
      creations: [ours(binding, version)],
    });
    const created = ourResponse(create[version], 30, writeCreateAclsResponse, version, {
      throttleTimeMs: 0,
      results: [{ errorCode: 0, errorMessage: null }],
    });
    assert.deepEqual(created.results, [{ errorCode: 0, errorMessage: null }]);

    const filter = { ...binding, resourceName: null, principal: null, host: null };
    const readFilter = theirRequest(describe[version], [filter], readDescribeAclsRequest, version).filter;
    assert.deepEqual(readFilter, {
      ...ours(binding, version),
      resourceName: null,
      principal: null,
      host: null,
    });
    const described = ourResponse(describe[version], 29, writeDescribeAclsResponse, version, {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      resources: [{
        resourceType: 2,
        resourceName: "orders-",
        patternType: 4,
        acls: [{ principal: "User:alice", host: "*", operation: 3, permissionType: 3 }],
      }],
    });
    assert.equal(described.resources[0].resourceName, "orders-", `describe v${version}`);
    assert.equal(described.resources[0].resourcePatternType, version === 0 ? 3 : 4);
    assert.deepEqual(described.resources[0].acls, [{
      principal: "User:alice",
      host: "*",
      operation: 3,
      permissionType: 3,
    }]);

    assert.deepEqual(theirRequest(remove[version], [[filter]], readDeleteAclsRequest, version).filters, [
      readFilter,
    ]);
    const deleted = ourResponse(remove[version], 31, writeDeleteAclsResponse, version, {
      throttleTimeMs: 0,
      filterResults: [{
        errorCode: 0,
        errorMessage: null,
        matchingAcls: [{ errorCode: 0, errorMessage: null, ...ours(binding, version) }],
      }],
    });
    const matched = deleted.filterResults[0].matchingAcls[0];
    assert.equal(matched.resourceName, "orders-", `delete v${version}`);
    assert.equal(matched.principal, "User:alice");
    assert.equal(matched.operation, 3);
  }
});

Deno.test("SCRAM credential APIs agree with @platformatic/kafka", () => {
  assert.deepEqual(
    theirRequest(
      describeUserScramCredentialsV0,
      [[{ name: "alice" }]],
      readDescribeUserScramCredentialsRequest,
      0,
    ),
    { users: ["alice"] },
  );
  const described = ourResponse(
    describeUserScramCredentialsV0,
    50,
    writeDescribeUserScramCredentialsResponse,
    0,
    {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      results: [{
        user: "alice",
        errorCode: 0,
        errorMessage: null,
        credentialInfos: [{ mechanism: 2, iterations: 4096 }],
      }],
    },
  );
  assert.deepEqual(described.results[0].credentialInfos, [{ mechanism: 2, iterations: 4096 }]);

  const upsertion = {
    name: "alice",
    mechanism: 1,
    iterations: 4096,
    salt: Buffer.from([1, 2, 3]),
    saltedPassword: Buffer.from([9, 8, 7]),
  };
  const request = theirRequest(
    alterUserScramCredentialsV0,
    [[{ name: "bob", mechanism: 2 }], [upsertion]],
    readAlterUserScramCredentialsRequest,
    0,
  );
  assert.deepEqual(request.deletions, [{ name: "bob", mechanism: 2 }]);
  assert.deepEqual(request.upsertions[0].salt, new Uint8Array([1, 2, 3]));
  assert.deepEqual(request.upsertions[0].saltedPassword, new Uint8Array([9, 8, 7]));
  const altered = ourResponse(alterUserScramCredentialsV0, 51, writeAlterUserScramCredentialsResponse, 0, {
    throttleTimeMs: 0,
    results: [{ user: "alice", errorCode: 0, errorMessage: null }],
  });
  assert.deepEqual(altered.results, [{ user: "alice", errorCode: 0, errorMessage: null }]);
});
