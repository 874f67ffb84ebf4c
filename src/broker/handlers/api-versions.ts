/**
 * ApiVersions: the versions this broker implements (SUPPORTED_APIS), with Produce listed from
 * version 0 as Kafka 4.0 does, so that librdkafka enables compression (see AdvertiseOptions).
 * Produce 0-2 requests themselves are still refused by the connection layer.
 */
import {
  advertisedApiVersions,
  readApiVersionsRequest,
  writeApiVersionsResponse,
} from "../../kafka/apis/api-versions.ts";
import type { RequestHandler } from "../connection.ts";

export function apiVersionsHandler(): RequestHandler {
  const apiKeys = advertisedApiVersions({ produceFromVersion0: true });
  return ({ header, body }) => {
    readApiVersionsRequest(body, header.apiVersion);
    return (writer) =>
      writeApiVersionsResponse(writer, header.apiVersion, { errorCode: 0, apiKeys, throttleTimeMs: 0 });
  };
}
