/**
 * TxnOffsetCommit v0-3: a transactional producer commits a group's offsets inside its
 * transaction (consume-transform-produce). The group coordinator appends them to the group's
 * `__consumer_offsets` partition as a transactional batch of the producer and keeps them pending:
 * OffsetFetch sees them only once the transaction's COMMIT marker reaches that partition.
 * Authorization as Kafka's: Write on the transactional id, Read on the group, Read on each topic;
 * partitions that do not exist answer UNKNOWN_TOPIC_OR_PARTITION.
 */
import {
  readTxnOffsetCommitRequest,
  type TxnOffsetCommitRequest,
  writeTxnOffsetCommitResponse,
} from "../../kafka/apis/txn-offset-commit.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, type AuthorizationContext } from "../authorization.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";
import { commitExisting } from "./offset-commit.ts";

export function txnOffsetCommitHandler(groups: GroupApi, auth: AuthorizationContext = {}): RequestHandler {
  return async (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readTxnOffsetCommitRequest(body, version);
    const refuse = (errorCode: number, topic: TxnOffsetCommitRequest["topics"][number]) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    });
    const refusal =
      !allowed(auth, request_, AclOperation.Write, ResourceType.TransactionalId, request.transactionalId)
        ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        : !allowed(auth, request_, AclOperation.Read, ResourceType.Group, request.groupId)
        ? ErrorCode.GROUP_AUTHORIZATION_FAILED
        : ErrorCode.NONE;
    if (refusal) {
      const topics = request.topics.map((topic) => refuse(refusal, topic));
      return (writer) => writeTxnOffsetCommitResponse(writer, version, { throttleTimeMs: 0, topics });
    }
    const readable = (name: string) => allowed(auth, request_, AclOperation.Read, ResourceType.Topic, name);
    const committed = await commitExisting(
      groups,
      { ...request, topics: request.topics.filter((topic) => readable(topic.name)) },
      (known) => groups.coordinator.commitTxnOffsets(known),
    );
    const topics = request.topics.map((topic) =>
      readable(topic.name)
        ? committed.find((done) => done.name === topic.name)!
        : refuse(ErrorCode.TOPIC_AUTHORIZATION_FAILED, topic)
    );
    return (writer) => writeTxnOffsetCommitResponse(writer, version, { throttleTimeMs: 0, topics });
  };
}
