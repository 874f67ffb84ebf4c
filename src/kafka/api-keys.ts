/**
 * Kafka API keys, the versions Vltava implements (every version in each range), and the
 * first flexible version of each (from apache/kafka's message schemas). ApiVersions
 * advertises exactly SUPPORTED_APIS, so a client never picks a version we cannot answer.
 */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  LeaderAndIsr: 4,
  StopReplica: 5,
  UpdateMetadata: 6,
  ControlledShutdown: 7,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  WriteTxnMarkers: 27,
  TxnOffsetCommit: 28,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  DescribeLogDirs: 35,
  SaslHandshake: 17,
  DescribeAcls: 29,
  CreateAcls: 30,
  DeleteAcls: 31,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  ElectLeaders: 43,
  IncrementalAlterConfigs: 44,
  AlterPartitionReassignments: 45,
  ListPartitionReassignments: 46,
  DescribeUserScramCredentials: 50,
  AlterUserScramCredentials: 51,
  DescribeTransactions: 65,
  ListTransactions: 66,
} as const;

export interface ApiVersionRange {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  /** First version that uses the flexible (compact + tagged fields) encoding. */
  firstFlexibleVersion: number;
}

/** What the broker implements. Edit together with the API modules in ./apis. */
export const SUPPORTED_APIS: readonly ApiVersionRange[] = [
  { apiKey: ApiKey.Produce, name: "Produce", minVersion: 0, maxVersion: 7, firstFlexibleVersion: 9 },
  { apiKey: ApiKey.Fetch, name: "Fetch", minVersion: 4, maxVersion: 11, firstFlexibleVersion: 12 },
  { apiKey: ApiKey.ListOffsets, name: "ListOffsets", minVersion: 0, maxVersion: 2, firstFlexibleVersion: 6 },
  { apiKey: ApiKey.Metadata, name: "Metadata", minVersion: 0, maxVersion: 8, firstFlexibleVersion: 9 },
  {
    apiKey: ApiKey.LeaderAndIsr,
    name: "LeaderAndIsr",
    minVersion: 0,
    maxVersion: 1,
    firstFlexibleVersion: 4,
  },
  { apiKey: ApiKey.StopReplica, name: "StopReplica", minVersion: 0, maxVersion: 1, firstFlexibleVersion: 2 },
  {
    apiKey: ApiKey.UpdateMetadata,
    name: "UpdateMetadata",
    minVersion: 0,
    maxVersion: 5,
    firstFlexibleVersion: 6,
  },
  {
    apiKey: ApiKey.ControlledShutdown,
    name: "ControlledShutdown",
    minVersion: 1,
    maxVersion: 2,
    firstFlexibleVersion: 3,
  },
  {
    apiKey: ApiKey.OffsetCommit,
    name: "OffsetCommit",
    minVersion: 0,
    maxVersion: 5,
    firstFlexibleVersion: 8,
  },
  { apiKey: ApiKey.OffsetFetch, name: "OffsetFetch", minVersion: 0, maxVersion: 7, firstFlexibleVersion: 6 },
  {
    apiKey: ApiKey.FindCoordinator,
    name: "FindCoordinator",
    minVersion: 0,
    maxVersion: 2,
    firstFlexibleVersion: 3,
  },
  { apiKey: ApiKey.JoinGroup, name: "JoinGroup", minVersion: 0, maxVersion: 5, firstFlexibleVersion: 6 },
  { apiKey: ApiKey.Heartbeat, name: "Heartbeat", minVersion: 0, maxVersion: 3, firstFlexibleVersion: 4 },
  { apiKey: ApiKey.LeaveGroup, name: "LeaveGroup", minVersion: 0, maxVersion: 3, firstFlexibleVersion: 4 },
  { apiKey: ApiKey.SyncGroup, name: "SyncGroup", minVersion: 0, maxVersion: 3, firstFlexibleVersion: 4 },
  {
    apiKey: ApiKey.DescribeGroups,
    name: "DescribeGroups",
    minVersion: 0,
    maxVersion: 4,
    firstFlexibleVersion: 5,
  },
  { apiKey: ApiKey.ListGroups, name: "ListGroups", minVersion: 0, maxVersion: 2, firstFlexibleVersion: 3 },
  { apiKey: ApiKey.ApiVersions, name: "ApiVersions", minVersion: 0, maxVersion: 3, firstFlexibleVersion: 3 },
  {
    apiKey: ApiKey.CreateTopics,
    name: "CreateTopics",
    minVersion: 0,
    maxVersion: 4,
    firstFlexibleVersion: 5,
  },
  {
    apiKey: ApiKey.DeleteTopics,
    name: "DeleteTopics",
    minVersion: 0,
    maxVersion: 3,
    firstFlexibleVersion: 4,
  },
  {
    apiKey: ApiKey.InitProducerId,
    name: "InitProducerId",
    minVersion: 0,
    maxVersion: 4,
    firstFlexibleVersion: 2,
  },
  {
    apiKey: ApiKey.AddPartitionsToTxn,
    name: "AddPartitionsToTxn",
    minVersion: 0,
    maxVersion: 3,
    firstFlexibleVersion: 3,
  },
  {
    apiKey: ApiKey.AddOffsetsToTxn,
    name: "AddOffsetsToTxn",
    minVersion: 0,
    maxVersion: 3,
    firstFlexibleVersion: 3,
  },
  { apiKey: ApiKey.EndTxn, name: "EndTxn", minVersion: 0, maxVersion: 3, firstFlexibleVersion: 3 },
  {
    apiKey: ApiKey.WriteTxnMarkers,
    name: "WriteTxnMarkers",
    minVersion: 0,
    maxVersion: 0,
    firstFlexibleVersion: 1,
  },
  {
    apiKey: ApiKey.TxnOffsetCommit,
    name: "TxnOffsetCommit",
    minVersion: 0,
    maxVersion: 3,
    firstFlexibleVersion: 3,
  },
  {
    apiKey: ApiKey.OffsetForLeaderEpoch,
    name: "OffsetForLeaderEpoch",
    minVersion: 0,
    maxVersion: 3,
    firstFlexibleVersion: 4,
  },
  {
    apiKey: ApiKey.DescribeConfigs,
    name: "DescribeConfigs",
    minVersion: 0,
    maxVersion: 3,
    firstFlexibleVersion: 4,
  },
  {
    apiKey: ApiKey.AlterConfigs,
    name: "AlterConfigs",
    minVersion: 0,
    maxVersion: 2,
    firstFlexibleVersion: 2,
  },
  {
    apiKey: ApiKey.ElectLeaders,
    name: "ElectLeaders",
    minVersion: 0,
    maxVersion: 2,
    firstFlexibleVersion: 2,
  },
  {
    apiKey: ApiKey.IncrementalAlterConfigs,
    name: "IncrementalAlterConfigs",
    minVersion: 0,
    maxVersion: 1,
    firstFlexibleVersion: 1,
  },
  {
    apiKey: ApiKey.AlterPartitionReassignments,
    name: "AlterPartitionReassignments",
    minVersion: 0,
    maxVersion: 0,
    firstFlexibleVersion: 0,
  },
  {
    apiKey: ApiKey.ListPartitionReassignments,
    name: "ListPartitionReassignments",
    minVersion: 0,
    maxVersion: 0,
    firstFlexibleVersion: 0,
  },
  {
    apiKey: ApiKey.DescribeLogDirs,
    name: "DescribeLogDirs",
    minVersion: 0,
    maxVersion: 1,
    firstFlexibleVersion: 2,
  },
  {
    apiKey: ApiKey.CreatePartitions,
    name: "CreatePartitions",
    minVersion: 0,
    maxVersion: 1,
    firstFlexibleVersion: 2,
  },
  {
    apiKey: ApiKey.DeleteGroups,
    name: "DeleteGroups",
    minVersion: 0,
    maxVersion: 1,
    firstFlexibleVersion: 2,
  },
  // No SaslHandshake version is flexible (KAFKA-9577 froze it at 1): 2 lies past the range.
  {
    apiKey: ApiKey.SaslHandshake,
    name: "SaslHandshake",
    minVersion: 0,
    maxVersion: 1,
    firstFlexibleVersion: 2,
  },
  {
    apiKey: ApiKey.SaslAuthenticate,
    name: "SaslAuthenticate",
    minVersion: 0,
    maxVersion: 2,
    firstFlexibleVersion: 2,
  },
  {
    apiKey: ApiKey.DescribeAcls,
    name: "DescribeAcls",
    minVersion: 0,
    maxVersion: 3,
    firstFlexibleVersion: 2,
  },
  { apiKey: ApiKey.CreateAcls, name: "CreateAcls", minVersion: 0, maxVersion: 3, firstFlexibleVersion: 2 },
  { apiKey: ApiKey.DeleteAcls, name: "DeleteAcls", minVersion: 0, maxVersion: 3, firstFlexibleVersion: 2 },
  {
    apiKey: ApiKey.DescribeUserScramCredentials,
    name: "DescribeUserScramCredentials",
    minVersion: 0,
    maxVersion: 0,
    firstFlexibleVersion: 0,
  },
  {
    apiKey: ApiKey.AlterUserScramCredentials,
    name: "AlterUserScramCredentials",
    minVersion: 0,
    maxVersion: 0,
    firstFlexibleVersion: 0,
  },
  {
    apiKey: ApiKey.DescribeTransactions,
    name: "DescribeTransactions",
    minVersion: 0,
    maxVersion: 0,
    firstFlexibleVersion: 0,
  },
  {
    apiKey: ApiKey.ListTransactions,
    name: "ListTransactions",
    minVersion: 0,
    maxVersion: 1,
    firstFlexibleVersion: 0,
  },
];

const BY_KEY = new Map(SUPPORTED_APIS.map((api) => [api.apiKey, api]));
const SERVED = new Set(SUPPORTED_APIS.map((api) => api.apiKey));

/** Our range for an API key, or undefined for keys we have no codec for. */
export function apiRange(apiKey: number): ApiVersionRange | undefined {
  return BY_KEY.get(apiKey);
}

/** Is this (key, version) one the broker serves? */
export function isSupported(apiKey: number, apiVersion: number): boolean {
  const range = BY_KEY.get(apiKey);
  return SERVED.has(apiKey) && range !== undefined && apiVersion >= range.minVersion &&
    apiVersion <= range.maxVersion;
}

/** Does this (key, version) use the flexible encoding (header v2 / v1, compact fields, tags)? */
export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const range = BY_KEY.get(apiKey);
  return range !== undefined && apiVersion >= range.firstFlexibleVersion;
}

/** Human name for logs and errors. */
export function apiName(apiKey: number): string {
  return BY_KEY.get(apiKey)?.name ?? `ApiKey(${apiKey})`;
}
