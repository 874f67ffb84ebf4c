/**
 * Untrusted bytes: for every API codec on this branch and every version, every truncation of
 * a valid body and many random corruptions of it either decode or throw WireError — never
 * another exception type, never a hang or a huge allocation.
 */
import assert from "node:assert/strict";
import * as alterUserScramCredentials from "../../src/kafka/apis/alter-user-scram-credentials.ts";
import * as controlledShutdown from "../../src/kafka/apis/controlled-shutdown.ts";
import * as createAcls from "../../src/kafka/apis/create-acls.ts";
import * as deleteAcls from "../../src/kafka/apis/delete-acls.ts";
import * as describeAcls from "../../src/kafka/apis/describe-acls.ts";
import * as describeUserScramCredentials from "../../src/kafka/apis/describe-user-scram-credentials.ts";
import * as saslAuthenticate from "../../src/kafka/apis/sasl-authenticate.ts";
import * as saslHandshake from "../../src/kafka/apis/sasl-handshake.ts";
import * as deleteGroups from "../../src/kafka/apis/delete-groups.ts";
import * as describeGroups from "../../src/kafka/apis/describe-groups.ts";
import * as describeLogDirs from "../../src/kafka/apis/describe-log-dirs.ts";
import * as findCoordinator from "../../src/kafka/apis/find-coordinator.ts";
import * as heartbeat from "../../src/kafka/apis/heartbeat.ts";
import * as joinGroup from "../../src/kafka/apis/join-group.ts";
import * as leaderAndIsr from "../../src/kafka/apis/leader-and-isr.ts";
import * as leaveGroup from "../../src/kafka/apis/leave-group.ts";
import * as listGroups from "../../src/kafka/apis/list-groups.ts";
import * as offsetCommit from "../../src/kafka/apis/offset-commit.ts";
import * as offsetFetch from "../../src/kafka/apis/offset-fetch.ts";
import * as offsetForLeaderEpoch from "../../src/kafka/apis/offset-for-leader-epoch.ts";
import * as stopReplica from "../../src/kafka/apis/stop-replica.ts";
import * as syncGroup from "../../src/kafka/apis/sync-group.ts";
import * as updateMetadata from "../../src/kafka/apis/update-metadata.ts";
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from "../../src/kafka/consumer-protocol.ts";
import { Reader } from "../../src/wire/reader.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { bytesOf, encode, type ReadFn, versions, type WriteFn } from "./codec-harness.ts";

interface Case {
  name: string;
  min: number;
  max: number;
  // deno-lint-ignore no-explicit-any
  pairs: [WriteFn<any>, ReadFn<any>, unknown][];
}

const partitionState = {
  topicName: "tópic",
  partitionIndex: 1,
  controllerEpoch: 2,
  leader: 3,
  leaderEpoch: 4,
  isr: [3, 1],
  zkVersion: 5,
  replicas: [3, 1, 2],
  isNew: true,
  offlineReplicas: [2],
};

const aclBinding = {
  resourceType: 2,
  resourceName: "t",
  patternType: 3,
  principal: "User:a",
  host: "*",
  operation: 3,
  permissionType: 3,
};

const CASES: Case[] = [
  {
    name: "FindCoordinator",
    min: 0,
    max: 2,
    pairs: [
      [findCoordinator.writeFindCoordinatorRequest, findCoordinator.readFindCoordinatorRequest, { key: "g" }],
      [findCoordinator.writeFindCoordinatorResponse, findCoordinator.readFindCoordinatorResponse, {
        throttleTimeMs: 1,
        errorCode: 0,
        errorMessage: "m",
        nodeId: 1,
        host: "h",
        port: 2,
      }],
    ],
  },
  {
    name: "JoinGroup",
    min: 0,
    max: 5,
    pairs: [
      [joinGroup.writeJoinGroupRequest, joinGroup.readJoinGroupRequest, {
        groupId: "g",
        sessionTimeoutMs: 1,
        rebalanceTimeoutMs: 2,
        memberId: "m",
        groupInstanceId: "i",
        protocolType: "consumer",
        protocols: [{ name: "range", metadata: bytesOf(0, 1, 2) }],
      }],
      [joinGroup.writeJoinGroupResponse, joinGroup.readJoinGroupResponse, {
        throttleTimeMs: 1,
        errorCode: 0,
        generationId: 1,
        protocolName: "range",
        leader: "m",
        memberId: "m",
        members: [{ memberId: "m", groupInstanceId: "i", metadata: bytesOf(5) }],
      }],
    ],
  },
  {
    name: "SyncGroup",
    min: 0,
    max: 3,
    pairs: [
      [syncGroup.writeSyncGroupRequest, syncGroup.readSyncGroupRequest, {
        groupId: "g",
        generationId: 1,
        memberId: "m",
        groupInstanceId: "i",
        assignments: [{ memberId: "m", assignment: bytesOf(1, 2) }],
      }],
      [syncGroup.writeSyncGroupResponse, syncGroup.readSyncGroupResponse, {
        errorCode: 0,
        assignment: bytesOf(1),
      }],
    ],
  },
  {
    name: "Heartbeat",
    min: 0,
    max: 3,
    pairs: [
      [heartbeat.writeHeartbeatRequest, heartbeat.readHeartbeatRequest, {
        groupId: "g",
        generationId: 1,
        memberId: "m",
        groupInstanceId: "i",
      }],
      [heartbeat.writeHeartbeatResponse, heartbeat.readHeartbeatResponse, {
        throttleTimeMs: 1,
        errorCode: 27,
      }],
    ],
  },
  {
    name: "LeaveGroup",
    min: 0,
    max: 3,
    pairs: [
      [leaveGroup.writeLeaveGroupRequest, leaveGroup.readLeaveGroupRequest, { groupId: "g", memberId: "m" }],
      [leaveGroup.writeLeaveGroupResponse, leaveGroup.readLeaveGroupResponse, {
        errorCode: 0,
        members: [{ memberId: "m", groupInstanceId: null, errorCode: 0 }],
      }],
    ],
  },
  {
    name: "OffsetCommit",
    min: 0,
    max: 5,
    pairs: [
      [offsetCommit.writeOffsetCommitRequest, offsetCommit.readOffsetCommitRequest, {
        groupId: "g",
        generationId: 1,
        memberId: "m",
        retentionTimeMs: 5,
        topics: [{
          name: "t",
          partitions: [{ partitionIndex: 0, committedOffset: 9, commitTimestamp: 3, committedMetadata: "x" }],
        }],
      }],
      [offsetCommit.writeOffsetCommitResponse, offsetCommit.readOffsetCommitResponse, {
        throttleTimeMs: 0,
        topics: [{ name: "t", partitions: [{ partitionIndex: 0, errorCode: 0 }] }],
      }],
    ],
  },
  {
    name: "OffsetFetch",
    min: 0,
    max: 4,
    pairs: [
      [offsetFetch.writeOffsetFetchRequest, offsetFetch.readOffsetFetchRequest, {
        groupId: "g",
        topics: [{ name: "t", partitionIndexes: [0, 1] }],
      }],
      [offsetFetch.writeOffsetFetchResponse, offsetFetch.readOffsetFetchResponse, {
        topics: [{
          name: "t",
          partitions: [{ partitionIndex: 0, committedOffset: 5, metadata: "", errorCode: 0 }],
        }],
        errorCode: 0,
      }],
    ],
  },
  {
    name: "DescribeGroups",
    min: 0,
    max: 4,
    pairs: [
      [describeGroups.writeDescribeGroupsRequest, describeGroups.readDescribeGroupsRequest, {
        groups: ["a", "b"],
        includeAuthorizedOperations: true,
      }],
      [describeGroups.writeDescribeGroupsResponse, describeGroups.readDescribeGroupsResponse, {
        groups: [{
          errorCode: 0,
          groupId: "g",
          groupState: "Stable",
          protocolType: "consumer",
          protocolData: "range",
          members: [{
            memberId: "m",
            groupInstanceId: "i",
            clientId: "c",
            clientHost: "h",
            memberMetadata: bytesOf(1),
            memberAssignment: bytesOf(2),
          }],
        }],
      }],
    ],
  },
  {
    name: "ListGroups",
    min: 0,
    max: 2,
    pairs: [
      [listGroups.writeListGroupsResponse, listGroups.readListGroupsResponse, {
        errorCode: 0,
        groups: [{ groupId: "g", protocolType: "consumer" }],
      }],
    ],
  },
  {
    name: "DeleteGroups",
    min: 0,
    max: 1,
    pairs: [
      [deleteGroups.writeDeleteGroupsRequest, deleteGroups.readDeleteGroupsRequest, {
        groupsNames: ["a", "b"],
      }],
      [deleteGroups.writeDeleteGroupsResponse, deleteGroups.readDeleteGroupsResponse, {
        throttleTimeMs: 0,
        results: [{ groupId: "a", errorCode: 69 }],
      }],
    ],
  },
  {
    name: "DescribeLogDirs",
    min: 0,
    max: 1,
    pairs: [
      [describeLogDirs.writeDescribeLogDirsRequest, describeLogDirs.readDescribeLogDirsRequest, {
        topics: [{ topic: "t", partitions: [0, 1] }],
      }],
      [describeLogDirs.writeDescribeLogDirsResponse, describeLogDirs.readDescribeLogDirsResponse, {
        throttleTimeMs: 0,
        results: [{
          errorCode: 0,
          logDir: "/d",
          topics: [{
            name: "t",
            partitions: [{ partitionIndex: 0, partitionSize: 9, offsetLag: 0, isFutureKey: false }],
          }],
        }],
      }],
    ],
  },
  {
    name: "LeaderAndIsr",
    min: 0,
    max: 1,
    pairs: [
      [leaderAndIsr.writeLeaderAndIsrRequest, leaderAndIsr.readLeaderAndIsrRequest, {
        controllerId: 1,
        controllerEpoch: 2,
        ungroupedPartitionStates: [partitionState],
        liveLeaders: [{ brokerId: 3, hostName: "h", port: 9 }],
      }],
      [leaderAndIsr.writeLeaderAndIsrResponse, leaderAndIsr.readLeaderAndIsrResponse, {
        errorCode: 0,
        partitionErrors: [{ topicName: "t", partitionIndex: 0, errorCode: 0 }],
      }],
    ],
  },
  {
    name: "StopReplica",
    min: 0,
    max: 1,
    pairs: [
      [stopReplica.writeStopReplicaRequest, stopReplica.readStopReplicaRequest, {
        controllerId: 1,
        controllerEpoch: 2,
        brokerEpoch: 3,
        deletePartitions: true,
        topics: [{ name: "t", partitionIndexes: [0, 1] }],
      }],
      [stopReplica.writeStopReplicaResponse, stopReplica.readStopReplicaResponse, {
        errorCode: 0,
        partitionErrors: [{ topicName: "t", partitionIndex: 0, errorCode: 0 }],
      }],
    ],
  },
  {
    name: "UpdateMetadata",
    min: 0,
    max: 5,
    pairs: [
      [updateMetadata.writeUpdateMetadataRequest, updateMetadata.readUpdateMetadataRequest, {
        controllerId: 1,
        controllerEpoch: 2,
        brokerEpoch: 3,
        ungroupedPartitionStates: [partitionState],
        liveBrokers: [{
          id: 3,
          endpoints: [{ port: 9, host: "h", listener: "PLAINTEXT", securityProtocol: 0 }],
          rack: "r",
        }],
      }],
    ],
  },
  {
    name: "ControlledShutdown",
    min: 1,
    max: 2,
    pairs: [
      [controlledShutdown.writeControlledShutdownRequest, controlledShutdown.readControlledShutdownRequest, {
        brokerId: 1,
        brokerEpoch: 2,
      }],
      [
        controlledShutdown.writeControlledShutdownResponse,
        controlledShutdown.readControlledShutdownResponse,
        {
          errorCode: 0,
          remainingPartitions: [{ topicName: "t", partitionIndex: 1 }],
        },
      ],
    ],
  },
  {
    name: "OffsetForLeaderEpoch",
    min: 0,
    max: 3,
    pairs: [
      [
        offsetForLeaderEpoch.writeOffsetForLeaderEpochRequest,
        offsetForLeaderEpoch.readOffsetForLeaderEpochRequest,
        {
          replicaId: 1,
          topics: [{ topic: "t", partitions: [{ partition: 0, currentLeaderEpoch: 2, leaderEpoch: 1 }] }],
        },
      ],
      [
        offsetForLeaderEpoch.writeOffsetForLeaderEpochResponse,
        offsetForLeaderEpoch.readOffsetForLeaderEpochResponse,
        {
          topics: [{
            topic: "t",
            partitions: [{ errorCode: 0, partition: 0, leaderEpoch: 1, endOffset: 10 }],
          }],
        },
      ],
    ],
  },
  {
    name: "SaslHandshake",
    min: 0,
    max: 1,
    pairs: [
      [saslHandshake.writeSaslHandshakeRequest, saslHandshake.readSaslHandshakeRequest, {
        mechanism: "PLAIN",
      }],
      [saslHandshake.writeSaslHandshakeResponse, saslHandshake.readSaslHandshakeResponse, {
        errorCode: 0,
        mechanisms: ["PLAIN", "SCRAM-SHA-512"],
      }],
    ],
  },
  {
    name: "SaslAuthenticate",
    min: 0,
    max: 2,
    pairs: [
      [saslAuthenticate.writeSaslAuthenticateRequest, saslAuthenticate.readSaslAuthenticateRequest, {
        authBytes: bytesOf(1, 2, 3),
      }],
      [saslAuthenticate.writeSaslAuthenticateResponse, saslAuthenticate.readSaslAuthenticateResponse, {
        errorCode: 58,
        errorMessage: "no",
        authBytes: bytesOf(4),
        sessionLifetimeMs: 1,
      }],
    ],
  },
  {
    name: "CreateAcls / DescribeAcls / DeleteAcls",
    min: 0,
    max: 3,
    pairs: [
      [createAcls.writeCreateAclsRequest, createAcls.readCreateAclsRequest, { creations: [aclBinding] }],
      [createAcls.writeCreateAclsResponse, createAcls.readCreateAclsResponse, {
        throttleTimeMs: 0,
        results: [{ errorCode: 0, errorMessage: "m" }],
      }],
      [describeAcls.writeDescribeAclsRequest, describeAcls.readDescribeAclsRequest, { filter: aclBinding }],
      [describeAcls.writeDescribeAclsResponse, describeAcls.readDescribeAclsResponse, {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        resources: [{ ...aclBinding, acls: [aclBinding] }],
      }],
      [deleteAcls.writeDeleteAclsRequest, deleteAcls.readDeleteAclsRequest, { filters: [aclBinding] }],
      [deleteAcls.writeDeleteAclsResponse, deleteAcls.readDeleteAclsResponse, {
        throttleTimeMs: 0,
        filterResults: [{
          errorCode: 0,
          errorMessage: null,
          matchingAcls: [{ errorCode: 0, errorMessage: null, ...aclBinding }],
        }],
      }],
    ],
  },
  {
    name: "Describe/AlterUserScramCredentials",
    min: 0,
    max: 0,
    pairs: [
      [
        describeUserScramCredentials.writeDescribeUserScramCredentialsRequest,
        describeUserScramCredentials.readDescribeUserScramCredentialsRequest,
        { users: ["a"] },
      ],
      [
        describeUserScramCredentials.writeDescribeUserScramCredentialsResponse,
        describeUserScramCredentials.readDescribeUserScramCredentialsResponse,
        {
          throttleTimeMs: 0,
          errorCode: 0,
          errorMessage: null,
          results: [{
            user: "a",
            errorCode: 0,
            errorMessage: null,
            credentialInfos: [{ mechanism: 2, iterations: 1 }],
          }],
        },
      ],
      [
        alterUserScramCredentials.writeAlterUserScramCredentialsRequest,
        alterUserScramCredentials.readAlterUserScramCredentialsRequest,
        {
          deletions: [{ name: "b", mechanism: 1 }],
          upsertions: [{
            name: "a",
            mechanism: 2,
            iterations: 1,
            salt: bytesOf(1),
            saltedPassword: bytesOf(2),
          }],
        },
      ],
      [
        alterUserScramCredentials.writeAlterUserScramCredentialsResponse,
        alterUserScramCredentials.readAlterUserScramCredentialsResponse,
        { throttleTimeMs: 0, results: [{ user: "a", errorCode: 0, errorMessage: null }] },
      ],
    ],
  },
];

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decoding must either succeed or throw WireError. */
function decodeOrWireError(decode: () => unknown, what: string): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof WireError)) {
      assert.fail(`${what}: threw ${error instanceof Error ? error.name : typeof error}: ${error}`);
    }
  }
}

function corruptions(bytes: Uint8Array, next: () => number, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const copy = bytes.slice();
    const flips = 1 + Math.floor(next() * 3);
    for (let f = 0; f < flips; f++) {
      const at = Math.floor(next() * copy.length);
      // Favour the values that break length fields: 0xff (negative) and 0x7f (huge).
      const choice = next();
      copy[at] = choice < 0.3 ? 0xff : choice < 0.5 ? 0x7f : choice < 0.6 ? 0x80 : Math.floor(next() * 256);
    }
    out.push(copy);
  }
  return out;
}

Deno.test("API readers throw WireError on every truncation of a valid body", () => {
  for (const c of CASES) {
    for (const v of versions(c.min, c.max)) {
      for (const [write, read, value] of c.pairs) {
        const bytes = encode(write, v, value);
        for (let cut = 0; cut < bytes.length; cut++) {
          assert.throws(
            () => {
              const reader = new Reader(bytes.subarray(0, cut));
              read(reader, v);
              reader.expectEnd("body");
            },
            WireError,
            `${c.name} v${v} cut at ${cut}`,
          );
        }
      }
    }
  }
});

Deno.test("API readers survive random corruption with WireError or a value", () => {
  const next = random(20261122);
  for (const c of CASES) {
    for (const v of versions(c.min, c.max)) {
      for (const [write, read, value] of c.pairs) {
        for (const bad of corruptions(encode(write, v, value), next, 200)) {
          decodeOrWireError(() => read(new Reader(bad), v), `${c.name} v${v}`);
        }
      }
    }
  }
});

Deno.test("Consumer protocol readers survive truncation and corruption", () => {
  const next = random(7);
  const samples = [
    ...versions(0, 3).map((version) =>
      encodeSubscription({
        version,
        topics: ["a", "b"],
        userData: bytesOf(1),
        ownedPartitions: [{ topic: "a", partitions: [0] }],
        generationId: 2,
        rackId: "r",
      })
    ),
    encodeAssignment({
      version: 1,
      assignedPartitions: [{ topic: "a", partitions: [0, 1] }],
      userData: null,
    }),
  ];
  for (const bytes of samples) {
    for (let cut = 1; cut < bytes.length; cut++) {
      decodeOrWireError(() => decodeSubscription(bytes.subarray(0, cut)), "subscription prefix");
      decodeOrWireError(() => decodeAssignment(bytes.subarray(0, cut)), "assignment prefix");
    }
    for (const bad of corruptions(bytes, next, 300)) {
      decodeOrWireError(() => decodeSubscription(bad), "subscription");
      decodeOrWireError(() => decodeAssignment(bad), "assignment");
    }
  }
});
