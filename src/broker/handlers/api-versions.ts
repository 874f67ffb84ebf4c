/** ApiVersions: the versions this broker implements (exactly SUPPORTED_APIS). */
import {
  advertisedApiVersions,
  readApiVersionsRequest,
  writeApiVersionsResponse,
} from "../../kafka/apis/api-versions.ts";
import type { RequestHandler } from "../connection.ts";

export function apiVersionsHandler(): RequestHandler {
  const apiKeys = advertisedApiVersions();
  return ({ header, body }) => {
    readApiVersionsRequest(body, header.apiVersion);
    return (writer) =>
      writeApiVersionsResponse(writer, header.apiVersion, { errorCode: 0, apiKeys, throttleTimeMs: 0 });
  };
}
