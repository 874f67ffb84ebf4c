import assert from "node:assert/strict";
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  type MetadataResponse,
  readMetadataRequest,
  readMetadataResponse,
  writeMetadataRequest,
  writeMetadataResponse,
} from "../../src/kafka/apis/metadata.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

const OMITTED = AUTHORIZED_OPERATIONS_OMITTED;

Deno.test("Metadata requests round-trip every version", () => {
  const request = {
    topics: ["orders", "payments"],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: true,
    includeTopicAuthorizedOperations: true,
  };
  for (const v of versions(0, 8)) {
    assert.deepEqual(roundTrip(writeMetadataRequest, readMetadataRequest, v, request), {
      topics: ["orders", "payments"],
      allowAutoTopicCreation: v >= 4 ? false : true,
      includeClusterAuthorizedOperations: v >= 8,
      includeTopicAuthorizedOperations: v >= 8,
    }, `request v${v}`);
    const all = roundTrip(writeMetadataRequest, readMetadataRequest, v, { topics: null });
    assert.equal(all.topics, null, `all topics v${v}`);
    const none = roundTrip(writeMetadataRequest, readMetadataRequest, v, { topics: [] });
    assert.deepEqual(none.topics, v === 0 ? null : [], `no topics v${v}`); // v0: empty means all
  }
});

Deno.test("Metadata responses round-trip every version", () => {
  const response: MetadataResponse = {
    throttleTimeMs: 7,
    brokers: [{ nodeId: 1, host: "127.0.0.1", port: 9092, rack: "r1" }, {
      nodeId: 2,
      host: "h2",
      port: 9093,
      rack: null,
    }],
    clusterId: "vltava-cluster",
    controllerId: 2,
    topics: [{
      errorCode: 0,
      name: "orders",
      isInternal: true,
      partitions: [{
        errorCode: 0,
        partitionIndex: 0,
        leaderId: 1,
        leaderEpoch: 4,
        replicaNodes: [1, 2],
        isrNodes: [1],
        offlineReplicas: [2],
      }],
      topicAuthorizedOperations: 248,
    }, { errorCode: 3, name: "missing", isInternal: false, partitions: [], topicAuthorizedOperations: 0 }],
    clusterAuthorizedOperations: 1024,
  };
  for (const v of versions(0, 8)) {
    const expected: MetadataResponse = {
      throttleTimeMs: v >= 3 ? 7 : 0,
      brokers: response.brokers.map((b) => ({ ...b, rack: v >= 1 ? b.rack : null })),
      clusterId: v >= 2 ? "vltava-cluster" : null,
      controllerId: v >= 1 ? 2 : -1,
      topics: response.topics.map((t) => ({
        ...t,
        isInternal: v >= 1 ? t.isInternal : false,
        topicAuthorizedOperations: v >= 8 ? t.topicAuthorizedOperations : OMITTED,
        partitions: t.partitions.map((p) => ({
          ...p,
          leaderEpoch: v >= 7 ? p.leaderEpoch : -1,
          offlineReplicas: v >= 5 ? p.offlineReplicas : [],
        })),
      })),
      clusterAuthorizedOperations: v >= 8 ? 1024 : OMITTED,
    };
    assert.deepEqual(roundTrip(writeMetadataResponse, readMetadataResponse, v, response), expected, `v${v}`);
  }
});

Deno.test("Metadata matches hand-derived bytes", () => {
  assert.equal(toHex(encode(writeMetadataRequest, 0, { topics: ["t"] })), "00000001000174");
  assert.equal(toHex(encode(writeMetadataRequest, 1, { topics: null })), "ffffffff");
  assert.equal(toHex(encode(writeMetadataRequest, 0, { topics: null })), "00000000");
  assert.equal(toHex(encode(writeMetadataRequest, 4, { topics: ["t"] })), "0000000100017401");
  assert.equal(
    toHex(encode(writeMetadataRequest, 8, { topics: [], allowAutoTopicCreation: false })),
    "00000000000000",
  );
  // v1: one broker (no rack), controller 1, topic "t" with one partition led by 1.
  const v1 = hex(
    "00000001  00000001 0009 3132372e302e302e31 00002384 ffff" +
      "  00000001" +
      "  00000001  0000 0001 74 00  00000001  0000 00000000 00000001 00000001 00000001 00000001 00000001",
  );
  const value = {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: "127.0.0.1", port: 9092, rack: null }],
    clusterId: null,
    controllerId: 1,
    topics: [{
      errorCode: 0,
      name: "t",
      isInternal: false,
      partitions: [{
        errorCode: 0,
        partitionIndex: 0,
        leaderId: 1,
        leaderEpoch: -1,
        replicaNodes: [1],
        isrNodes: [1],
        offlineReplicas: [],
      }],
      topicAuthorizedOperations: OMITTED,
    }],
    clusterAuthorizedOperations: OMITTED,
  };
  assert.deepEqual(decode(readMetadataResponse, 1, v1), value);
  assert.equal(toHex(encode(writeMetadataResponse, 1, value)), toHex(v1));
  // v7 adds leader_epoch after leader_id and offline_replicas (v5) after isr_nodes.
  const v7 = encode(writeMetadataResponse, 7, value);
  assert.ok(
    toHex(v7).endsWith(
      "0000" + "00000000" + "00000001" + "ffffffff" + "0000000100000001" + "0000000100000001" + "00000000",
    ),
  );
});
