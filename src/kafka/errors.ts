/**
 * Kafka error codes: one table of {code, name, retriable, message}, and KafkaError, the
 * typed exception the client raises for a non-zero code. Codes travel as data in responses;
 * only the client turns them into exceptions.
 */
export interface KafkaErrorInfo {
  code: number;
  name: string;
  retriable: boolean;
  message: string;
}

const TABLE = [
  {
    code: -1,
    name: "UNKNOWN_SERVER_ERROR",
    retriable: false,
    message: "The server experienced an unexpected error",
  },
  { code: 0, name: "NONE", retriable: false, message: "No error" },
  {
    code: 1,
    name: "OFFSET_OUT_OF_RANGE",
    retriable: false,
    message: "The offset is outside the log's range",
  },
  {
    code: 2,
    name: "CORRUPT_MESSAGE",
    retriable: true,
    message: "The record batch failed its CRC or size check",
  },
  {
    code: 3,
    name: "UNKNOWN_TOPIC_OR_PARTITION",
    retriable: true,
    message: "This topic or partition does not exist",
  },
  { code: 4, name: "INVALID_FETCH_SIZE", retriable: false, message: "The requested fetch size is invalid" },
  {
    code: 5,
    name: "LEADER_NOT_AVAILABLE",
    retriable: true,
    message: "The partition has no leader right now",
  },
  {
    code: 6,
    name: "NOT_LEADER_OR_FOLLOWER",
    retriable: true,
    message: "This broker is not the leader or a follower of the partition",
  },
  { code: 7, name: "REQUEST_TIMED_OUT", retriable: true, message: "The request timed out" },
  { code: 8, name: "BROKER_NOT_AVAILABLE", retriable: false, message: "The broker is not available" },
  { code: 9, name: "REPLICA_NOT_AVAILABLE", retriable: true, message: "The replica is not available" },
  {
    code: 10,
    name: "MESSAGE_TOO_LARGE",
    retriable: false,
    message: "The record batch is larger than allowed",
  },
  {
    code: 11,
    name: "STALE_CONTROLLER_EPOCH",
    retriable: false,
    message: "The controller epoch is older than one already seen",
  },
  {
    code: 12,
    name: "OFFSET_METADATA_TOO_LARGE",
    retriable: false,
    message: "The offset metadata is too large",
  },
  { code: 13, name: "NETWORK_EXCEPTION", retriable: true, message: "The connection was closed" },
  {
    code: 14,
    name: "COORDINATOR_LOAD_IN_PROGRESS",
    retriable: true,
    message: "The coordinator is loading groups",
  },
  {
    code: 15,
    name: "COORDINATOR_NOT_AVAILABLE",
    retriable: true,
    message: "The coordinator is not available",
  },
  {
    code: 16,
    name: "NOT_COORDINATOR",
    retriable: true,
    message: "This broker is not the group's coordinator",
  },
  { code: 17, name: "INVALID_TOPIC_EXCEPTION", retriable: false, message: "The topic name is invalid" },
  {
    code: 18,
    name: "RECORD_LIST_TOO_LARGE",
    retriable: false,
    message: "The record batch list is too large",
  },
  { code: 19, name: "NOT_ENOUGH_REPLICAS", retriable: true, message: "Fewer in-sync replicas than required" },
  {
    code: 20,
    name: "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
    retriable: true,
    message: "Written, but fewer in-sync replicas than required",
  },
  { code: 21, name: "INVALID_REQUIRED_ACKS", retriable: false, message: "acks must be -1, 0 or 1" },
  { code: 22, name: "ILLEGAL_GENERATION", retriable: false, message: "The group generation is not current" },
  {
    code: 23,
    name: "INCONSISTENT_GROUP_PROTOCOL",
    retriable: false,
    message: "The member's protocols do not match the group's",
  },
  { code: 24, name: "INVALID_GROUP_ID", retriable: false, message: "The group id is invalid" },
  { code: 25, name: "UNKNOWN_MEMBER_ID", retriable: false, message: "The member id is not in the group" },
  {
    code: 26,
    name: "INVALID_SESSION_TIMEOUT",
    retriable: false,
    message: "The session timeout is out of range",
  },
  { code: 27, name: "REBALANCE_IN_PROGRESS", retriable: false, message: "The group is rebalancing" },
  {
    code: 28,
    name: "INVALID_COMMIT_OFFSET_SIZE",
    retriable: false,
    message: "The committed offset is invalid",
  },
  { code: 29, name: "TOPIC_AUTHORIZATION_FAILED", retriable: false, message: "Not authorized for the topic" },
  { code: 30, name: "GROUP_AUTHORIZATION_FAILED", retriable: false, message: "Not authorized for the group" },
  {
    code: 31,
    name: "CLUSTER_AUTHORIZATION_FAILED",
    retriable: false,
    message: "Not authorized for the cluster",
  },
  { code: 32, name: "INVALID_TIMESTAMP", retriable: false, message: "The timestamp is out of range" },
  { code: 33, name: "UNSUPPORTED_SASL_MECHANISM", retriable: false, message: "SASL mechanism not supported" },
  { code: 34, name: "ILLEGAL_SASL_STATE", retriable: false, message: "Unexpected SASL request" },
  { code: 35, name: "UNSUPPORTED_VERSION", retriable: false, message: "The API version is not supported" },
  { code: 36, name: "TOPIC_ALREADY_EXISTS", retriable: false, message: "The topic already exists" },
  { code: 37, name: "INVALID_PARTITIONS", retriable: false, message: "The number of partitions is invalid" },
  {
    code: 38,
    name: "INVALID_REPLICATION_FACTOR",
    retriable: false,
    message: "The replication factor is invalid",
  },
  {
    code: 39,
    name: "INVALID_REPLICA_ASSIGNMENT",
    retriable: false,
    message: "The replica assignment is invalid",
  },
  { code: 40, name: "INVALID_CONFIG", retriable: false, message: "The configuration is invalid" },
  { code: 41, name: "NOT_CONTROLLER", retriable: true, message: "This broker is not the controller" },
  { code: 42, name: "INVALID_REQUEST", retriable: false, message: "The request is malformed" },
  {
    code: 43,
    name: "UNSUPPORTED_FOR_MESSAGE_FORMAT",
    retriable: false,
    message: "The message format does not support this request",
  },
  {
    code: 44,
    name: "POLICY_VIOLATION",
    retriable: false,
    message: "The request breaks a limit of the cluster",
  },
  {
    code: 45,
    name: "OUT_OF_ORDER_SEQUENCE_NUMBER",
    retriable: false,
    message: "Out of order sequence number",
  },
  { code: 46, name: "DUPLICATE_SEQUENCE_NUMBER", retriable: false, message: "Duplicate sequence number" },
  { code: 47, name: "INVALID_PRODUCER_EPOCH", retriable: false, message: "The producer epoch is stale" },
  {
    code: 48,
    name: "INVALID_TXN_STATE",
    retriable: false,
    message: "The request is not valid in the transaction's current state",
  },
  {
    code: 49,
    name: "INVALID_PRODUCER_ID_MAPPING",
    retriable: false,
    message: "The producer id does not belong to the transactional id",
  },
  {
    code: 50,
    name: "INVALID_TRANSACTION_TIMEOUT",
    retriable: false,
    message: "The transaction timeout is larger than transaction.max.timeout.ms",
  },
  {
    code: 51,
    name: "CONCURRENT_TRANSACTIONS",
    retriable: true,
    message: "The previous transaction of this producer is still being completed",
  },
  {
    code: 52,
    name: "TRANSACTION_COORDINATOR_FENCED",
    retriable: false,
    message: "A newer transaction coordinator has taken over",
  },
  {
    code: 53,
    name: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
    retriable: false,
    message: "Not authorized for the transactional id",
  },
  { code: 54, name: "SECURITY_DISABLED", retriable: false, message: "Security features are disabled" },
  {
    code: 55,
    name: "OPERATION_NOT_ATTEMPTED",
    retriable: false,
    message: "Not attempted because another part of the request failed",
  },
  {
    code: 56,
    name: "KAFKA_STORAGE_ERROR",
    retriable: true,
    message: "The broker's disk failed for this partition: another replica must serve it",
  },
  { code: 58, name: "SASL_AUTHENTICATION_FAILED", retriable: false, message: "SASL authentication failed" },
  { code: 59, name: "UNKNOWN_PRODUCER_ID", retriable: false, message: "The producer id is unknown" },
  {
    code: 60,
    name: "REASSIGNMENT_IN_PROGRESS",
    retriable: false,
    message: "A partition reassignment is in progress",
  },
  { code: 68, name: "NON_EMPTY_GROUP", retriable: false, message: "The group still has members" },
  { code: 69, name: "GROUP_ID_NOT_FOUND", retriable: false, message: "The group does not exist" },
  {
    code: 70,
    name: "FETCH_SESSION_ID_NOT_FOUND",
    retriable: true,
    message: "The fetch session is unknown (evicted or closed): start a new one with a full fetch",
  },
  {
    code: 71,
    name: "INVALID_FETCH_SESSION_EPOCH",
    retriable: true,
    message: "The fetch session epoch is not the expected one: start a new session with a full fetch",
  },
  {
    code: 74,
    name: "FENCED_LEADER_EPOCH",
    retriable: true,
    message: "The leader epoch is older than the broker's",
  },
  {
    code: 75,
    name: "UNKNOWN_LEADER_EPOCH",
    retriable: true,
    message: "The leader epoch is newer than the broker's",
  },
  {
    code: 76,
    name: "UNSUPPORTED_COMPRESSION_TYPE",
    retriable: false,
    message: "Compression type not supported",
  },
  { code: 79, name: "MEMBER_ID_REQUIRED", retriable: false, message: "Rejoin with the member id given" },
  {
    code: 80,
    name: "PREFERRED_LEADER_NOT_AVAILABLE",
    retriable: true,
    message: "The preferred leader is not live or not in sync",
  },
  { code: 81, name: "GROUP_MAX_SIZE_REACHED", retriable: false, message: "The group is full" },
  { code: 82, name: "FENCED_INSTANCE_ID", retriable: false, message: "The static member was fenced" },
  {
    code: 83,
    name: "ELIGIBLE_LEADERS_NOT_AVAILABLE",
    retriable: true,
    message: "No live replica can lead the partition",
  },
  { code: 84, name: "ELECTION_NOT_NEEDED", retriable: false, message: "The partition already has a leader" },
  {
    code: 85,
    name: "NO_REASSIGNMENT_IN_PROGRESS",
    retriable: false,
    message: "No reassignment of the partition is in progress",
  },
  { code: 87, name: "INVALID_RECORD", retriable: false, message: "A record failed validation" },
  {
    code: 88,
    name: "UNSTABLE_OFFSET_COMMIT",
    retriable: true,
    message: "A transaction holding an offset commit of this partition is still open",
  },
  {
    code: 90,
    name: "PRODUCER_FENCED",
    retriable: false,
    message: "A newer producer with the same transactional id has been started",
  },
  { code: 91, name: "RESOURCE_NOT_FOUND", retriable: false, message: "The resource does not exist" },
  { code: 92, name: "DUPLICATE_RESOURCE", retriable: false, message: "The resource is named twice" },
  {
    code: 93,
    name: "UNACCEPTABLE_CREDENTIAL",
    retriable: false,
    message: "The credential does not meet the broker's requirements",
  },
  {
    code: 105,
    name: "TRANSACTIONAL_ID_NOT_FOUND",
    retriable: false,
    message: "The transactional id is not known",
  },
] as const satisfies readonly KafkaErrorInfo[];

const BY_CODE = new Map<number, KafkaErrorInfo>(TABLE.map((info) => [info.code, info]));

/** Every error name in the table, e.g. "NOT_LEADER_OR_FOLLOWER". */
export type ErrorName = typeof TABLE[number]["name"];

/** Error codes by name, e.g. `ErrorCode.NOT_LEADER_OR_FOLLOWER` = 6. */
export const ErrorCode = Object.fromEntries(TABLE.map((info) => [info.name, info.code])) as Record<
  ErrorName,
  number
>;

/** Table entry for a code; unknown codes get a generic entry rather than undefined. */
export function errorInfo(code: number): KafkaErrorInfo {
  return BY_CODE.get(code) ??
    { code, name: `ERROR_${code}`, retriable: false, message: `Kafka error ${code}` };
}

/**
 * A Kafka error code raised as an exception by the client. `retriable` says whether
 * retrying (after a metadata refresh) may succeed.
 */
export class KafkaError extends Error {
  override name = "KafkaError";
  readonly code: number;
  readonly type: string;
  readonly retriable: boolean;

  constructor(code: number, context?: string) {
    const info = errorInfo(code);
    super(context ? `${info.message} (${info.name}): ${context}` : `${info.message} (${info.name})`);
    this.code = code;
    this.type = info.name;
    this.retriable = info.retriable;
  }
}
