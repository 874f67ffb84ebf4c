/** CreateAcls (30), DescribeAcls (29) and DeleteAcls (31): one shared binding layout, four versions each. */
import assert from "node:assert/strict";
import { AclOperation, AclPermission, PatternType, ResourceType } from "../../src/kafka/acl.ts";
import {
  readCreateAclsRequest,
  readCreateAclsResponse,
  writeCreateAclsRequest,
  writeCreateAclsResponse,
} from "../../src/kafka/apis/create-acls.ts";
import {
  type DescribeAclsResponse,
  readDescribeAclsRequest,
  readDescribeAclsResponse,
  writeDescribeAclsRequest,
  writeDescribeAclsResponse,
} from "../../src/kafka/apis/describe-acls.ts";
import {
  type DeleteAclsResponse,
  readDeleteAclsRequest,
  readDeleteAclsResponse,
  writeDeleteAclsRequest,
  writeDeleteAclsResponse,
} from "../../src/kafka/apis/delete-acls.ts";
import { WireError } from "../../src/wire/mod.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

const prefixedRead = {
  resourceType: ResourceType.Topic,
  resourceName: "orders-",
  patternType: PatternType.Prefixed,
  principal: "User:alice",
  host: "*",
  operation: AclOperation.Read,
  permissionType: AclPermission.Allow,
};
const literalDeny = {
  resourceType: ResourceType.Group,
  resourceName: "billing",
  patternType: PatternType.Literal,
  principal: "User:bob",
  host: "10.0.0.1",
  operation: AclOperation.All,
  permissionType: AclPermission.Deny,
};
const anyFilter = {
  resourceType: ResourceType.Any,
  resourceName: null,
  patternType: PatternType.Any,
  principal: null,
  host: null,
  operation: AclOperation.Any,
  permissionType: AclPermission.Any,
};
/** v0 has no pattern type field: what was sent comes back LITERAL. */
const asSeenAt = <T extends { patternType: number }>(v: number, value: T): T =>
  v === 0 ? { ...value, patternType: PatternType.Literal } : value;

Deno.test("CreateAcls round-trips every version", () => {
  const response = {
    throttleTimeMs: 3,
    results: [{ errorCode: 0, errorMessage: null }, { errorCode: 42, errorMessage: "bad" }],
  };
  for (const v of versions(0, 3)) {
    const request = { creations: [prefixedRead, literalDeny] };
    assert.deepEqual(roundTrip(writeCreateAclsRequest, readCreateAclsRequest, v, request), {
      creations: [asSeenAt(v, prefixedRead), literalDeny],
    }, `request v${v}`);
    assert.deepEqual(roundTrip(writeCreateAclsResponse, readCreateAclsResponse, v, response), response);
  }
});

Deno.test("DescribeAcls round-trips every version", () => {
  const response: DescribeAclsResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    resources: [{
      resourceType: ResourceType.Topic,
      resourceName: "orders-",
      patternType: PatternType.Prefixed,
      acls: [{
        principal: "User:alice",
        host: "*",
        operation: AclOperation.Read,
        permissionType: AclPermission.Allow,
      }],
    }],
  };
  for (const v of versions(0, 3)) {
    assert.deepEqual(roundTrip(writeDescribeAclsRequest, readDescribeAclsRequest, v, { filter: anyFilter }), {
      filter: asSeenAt(v, anyFilter),
    });
    assert.deepEqual(roundTrip(writeDescribeAclsResponse, readDescribeAclsResponse, v, response), {
      ...response,
      resources: [asSeenAt(v, response.resources[0])],
    }, `response v${v}`);
  }
});

Deno.test("DeleteAcls round-trips every version", () => {
  const response: DeleteAclsResponse = {
    throttleTimeMs: 0,
    filterResults: [
      {
        errorCode: 0,
        errorMessage: null,
        matchingAcls: [{ errorCode: 0, errorMessage: null, ...literalDeny }],
      },
      { errorCode: 42, errorMessage: "invalid filter", matchingAcls: [] },
    ],
  };
  for (const v of versions(0, 3)) {
    const request = { filters: [anyFilter, { ...literalDeny, host: null }] };
    assert.deepEqual(roundTrip(writeDeleteAclsRequest, readDeleteAclsRequest, v, request), {
      filters: [asSeenAt(v, anyFilter), { ...literalDeny, host: null }],
    });
    assert.deepEqual(roundTrip(writeDeleteAclsResponse, readDeleteAclsResponse, v, response), response);
  }
});

Deno.test("ACL codecs match hand-derived bytes", () => {
  const binding = {
    resourceType: 2,
    resourceName: "t",
    patternType: 3,
    principal: "User:a",
    host: "*",
    operation: 3,
    permissionType: 3,
  };
  // v1: int32 count, int8 type, int16-length name, int8 pattern, principal, host, op, permission.
  assert.equal(
    toHex(encode(writeCreateAclsRequest, 1, { creations: [binding] })),
    toHex(hex("00000001 02 0001 74 03 0006 557365723a61 0001 2a 03 03")),
  );
  // v2 (flexible): count + 1, compact strings, a tag section per struct and at the end.
  assert.equal(
    toHex(encode(writeCreateAclsRequest, 2, { creations: [binding] })),
    toHex(hex("02 02 02 74 03 07 557365723a61 02 2a 03 03 00 00")),
  );
  // DescribeAcls v0 filter: null name, principal and host are int16 -1; no pattern type field.
  assert.deepEqual(decode(readDescribeAclsRequest, 0, hex("01 ffff ffff ffff 01 01")), {
    filter: { ...anyFilter, patternType: PatternType.Literal },
  });
  // DescribeAcls v2 filter: compact nulls are a single 00.
  assert.deepEqual(decode(readDescribeAclsRequest, 2, hex("01 00 01 00 00 01 01 00")), { filter: anyFilter });
});

Deno.test("ACL codecs reject null non-nullable fields and lying counts", () => {
  // A binding's resource name is not nullable.
  assert.throws(
    () => decode(readCreateAclsRequest, 1, hex("00000001 02 ffff 03 0000 0000 03 03")),
    WireError,
  );
  assert.throws(() => decode(readDeleteAclsRequest, 2, hex("ff ff ff ff 0f")), WireError);
  assert.throws(() => decode(readDescribeAclsResponse, 1, hex("00000000 0000 ffff 7fffffff")), WireError);
});
