/**
 * The security management APIs, keyed by API key: CreateAcls, DescribeAcls, DeleteAcls,
 * DescribeUserScramCredentials and AlterUserScramCredentials. Decoding and encoding here; the
 * checks, validation and coordinator writes are src/security's request logic (acl-requests.ts,
 * scram-requests.ts), with the caller's principal and host from the connection's session.
 * Without an authorizer the ACL APIs answer SECURITY_DISABLED, as Kafka does.
 */
import { ApiKey } from "../../kafka/api-keys.ts";
import {
  readAlterUserScramCredentialsRequest,
  writeAlterUserScramCredentialsResponse,
} from "../../kafka/apis/alter-user-scram-credentials.ts";
import { readCreateAclsRequest, writeCreateAclsResponse } from "../../kafka/apis/create-acls.ts";
import { readDeleteAclsRequest, writeDeleteAclsResponse } from "../../kafka/apis/delete-acls.ts";
import { readDescribeAclsRequest, writeDescribeAclsResponse } from "../../kafka/apis/describe-acls.ts";
import {
  readDescribeUserScramCredentialsRequest,
  writeDescribeUserScramCredentialsResponse,
} from "../../kafka/apis/describe-user-scram-credentials.ts";
import {
  createAclsResponse,
  deleteAclsResponse,
  describeAclsResponse,
  type SecurityRequestContext,
} from "../../security/acl-requests.ts";
import {
  alterUserScramCredentialsResponse,
  describeUserScramCredentialsResponse,
} from "../../security/scram-requests.ts";
import { ANONYMOUS_PRINCIPAL } from "../../security/principal.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestContext, RequestHandler } from "../connection.ts";

export function securityApiHandlers(context: BrokerContext): [number, RequestHandler][] {
  const caller = (request: RequestContext): SecurityRequestContext => ({
    principal: request.session?.principal ?? ANONYMOUS_PRINCIPAL,
    host: request.session?.host ?? "",
    authorizer: context.authorizer,
    coordination: context.coordination,
  });
  return [
    [ApiKey.CreateAcls, async (request) => {
      const version = request.header.apiVersion;
      const response = await createAclsResponse(
        caller(request),
        readCreateAclsRequest(request.body, version),
      );
      return (writer) => writeCreateAclsResponse(writer, version, response);
    }],
    [ApiKey.DescribeAcls, (request) => {
      const version = request.header.apiVersion;
      const response = describeAclsResponse(caller(request), readDescribeAclsRequest(request.body, version));
      return (writer) => writeDescribeAclsResponse(writer, version, response);
    }],
    [ApiKey.DeleteAcls, async (request) => {
      const version = request.header.apiVersion;
      const response = await deleteAclsResponse(
        caller(request),
        readDeleteAclsRequest(request.body, version),
      );
      return (writer) => writeDeleteAclsResponse(writer, version, response);
    }],
    [ApiKey.DescribeUserScramCredentials, (request) => {
      const version = request.header.apiVersion;
      const response = describeUserScramCredentialsResponse(
        caller(request),
        readDescribeUserScramCredentialsRequest(request.body, version),
        () => context.credentials?.describe() ?? [],
      );
      return (writer) => writeDescribeUserScramCredentialsResponse(writer, version, response);
    }],
    [ApiKey.AlterUserScramCredentials, async (request) => {
      const version = request.header.apiVersion;
      const response = await alterUserScramCredentialsResponse(
        caller(request),
        readAlterUserScramCredentialsRequest(request.body, version),
      );
      return (writer) => writeAlterUserScramCredentialsResponse(writer, version, response);
    }],
  ];
}
