/**
 * ApiVersions: the versions this broker implements (SUPPORTED_APIS) for the API keys it has a
 * handler for — group APIs appear once the group coordinator is plugged in, so no client is told
 * about an API whose requests would close its connection. Produce is listed from version 0 as
 * Kafka 4.0 does, so that librdkafka enables compression (see AdvertiseOptions); Produce 0-2
 * requests themselves are still refused by the connection layer.
 */
import {
  advertisedApiVersions,
  readApiVersionsRequest,
  writeApiVersionsResponse,
} from "../../kafka/apis/api-versions.ts";
import type { RequestHandler } from "../connection.ts";

/** `serves(apiKey)`: whether the broker has a handler for that key (checked per request). */
export function apiVersionsHandler(serves: (apiKey: number) => boolean): RequestHandler {
  const all = advertisedApiVersions();
  return ({ header, body }) => {
    readApiVersionsRequest(body, header.apiVersion);
    const apiKeys = all.filter((api) => serves(api.apiKey));
    return (writer) =>
      writeApiVersionsResponse(writer, header.apiVersion, { errorCode: 0, apiKeys, throttleTimeMs: 0 });
  };
}
