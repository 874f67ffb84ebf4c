/** CreatePartitions: grow a topic to `count` partitions (explicit or staggered assignment). */
import {
  type CreatePartitionsTopicResult,
  readCreatePartitionsRequest,
  writeCreatePartitionsResponse,
} from "../../kafka/apis/create-partitions.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { addPartitions } from "../topic-admin.ts";
import { withTimeout } from "./create-topics.ts";

export function createPartitionsHandler(context: BrokerContext): RequestHandler {
  return async ({ header, body }) => {
    const version = header.apiVersion;
    const request = readCreatePartitionsRequest(body, version);
    const results: CreatePartitionsTopicResult[] = [];
    for (const topic of request.topics) {
      const explicit = topic.assignments === null ? null : topic.assignments.map((a) => a.brokerIds);
      const outcome = await addPartitions(
        context.coordination,
        context.metadata.snapshot,
        topic.name,
        topic.count,
        explicit,
        request.validateOnly,
      );
      results.push({ name: topic.name, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage });
    }
    if (!request.validateOnly) {
      await withTimeout(context.metadata.refresh(), Math.min(Math.max(request.timeoutMs, 0), 30_000));
    }
    return (writer) => writeCreatePartitionsResponse(writer, version, { throttleTimeMs: 0, results });
  };
}
