/** DeleteTopics: remove each topic's znodes; brokers close and delete its logs when they see it gone. */
import {
  type DeletableTopicResult,
  readDeleteTopicsRequest,
  writeDeleteTopicsResponse,
} from "../../kafka/apis/delete-topics.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { deleteTopic } from "../topic-admin.ts";
import { withTimeout } from "./create-topics.ts";

export function deleteTopicsHandler(context: BrokerContext): RequestHandler {
  return async ({ header, body }) => {
    const version = header.apiVersion;
    const request = readDeleteTopicsRequest(body, version);
    const responses: DeletableTopicResult[] = [];
    for (const name of request.topicNames) {
      const outcome = await deleteTopic(context.coordination, name);
      responses.push({ name, errorCode: outcome.errorCode });
    }
    await withTimeout(context.metadata.refresh(), Math.min(Math.max(request.timeoutMs, 0), 30_000));
    return (writer) => writeDeleteTopicsResponse(writer, version, { throttleTimeMs: 0, responses });
  };
}
