/**
 * The replication APIs of one broker over the wire: LeaderAndIsr, StopReplica and UpdateMetadata
 * fenced by one controller epoch, Fetch fenced by current leader epoch, OffsetForLeaderEpoch answering where
 * each epoch ended.
 */
import assert from "node:assert/strict";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { readLeaderAndIsrResponse, writeLeaderAndIsrRequest } from "../../src/kafka/apis/leader-and-isr.ts";
import { readStopReplicaResponse, writeStopReplicaRequest } from "../../src/kafka/apis/stop-replica.ts";
import {
  readUpdateMetadataResponse,
  writeUpdateMetadataRequest,
} from "../../src/kafka/apis/update-metadata.ts";
import {
  readOffsetForLeaderEpochResponse,
  writeOffsetForLeaderEpochRequest,
} from "../../src/kafka/apis/offset-for-leader-epoch.ts";
import { startCluster } from "../helpers/cluster.ts";
import type { RawKafka } from "./broker-harness.ts";
import { batchOf, clientOf, createAssignedTopic, waitForIsr } from "./replication-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

function leaderAndIsr(client: RawKafka, controllerEpoch: number, leaderEpoch: number) {
  const request = {
    controllerId: 1,
    controllerEpoch,
    ungroupedPartitionStates: [{
      topicName: "fenced",
      partitionIndex: 0,
      controllerEpoch,
      leader: 1,
      leaderEpoch,
      isr: [1],
      zkVersion: 0,
      replicas: [1],
      isNew: false,
    }],
    liveLeaders: [{ brokerId: 1, hostName: "127.0.0.1", port: 0 }],
  };
  return client.request(
    ApiKey.LeaderAndIsr,
    1,
    (w) => writeLeaderAndIsrRequest(w, 1, request),
    (r) => readLeaderAndIsrResponse(r, 1),
  );
}

function updateMetadata(client: RawKafka, controllerEpoch: number) {
  return client.request(
    ApiKey.UpdateMetadata,
    4,
    (w) =>
      writeUpdateMetadataRequest(w, 4, {
        controllerId: 1,
        controllerEpoch,
        ungroupedPartitionStates: [],
        liveBrokers: [],
      }),
    (r) => readUpdateMetadataResponse(r, 4),
  );
}

function fetchWithEpoch(client: RawKafka, currentLeaderEpoch: number, replicaId = -1) {
  return client.fetch("fenced", 0, 0, {
    maxBytes: 1_048_576,
    partitionMaxBytes: 1_048_576,
    replicaId,
    currentLeaderEpoch,
  });
}

async function endOffsetFor(client: RawKafka, leaderEpoch: number, currentLeaderEpoch = -1) {
  const response = await client.request(
    ApiKey.OffsetForLeaderEpoch,
    3,
    (w) =>
      writeOffsetForLeaderEpochRequest(w, 3, {
        replicaId: -1,
        topics: [{ topic: "fenced", partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }],
      }),
    (r) => readOffsetForLeaderEpochResponse(r, 3),
  );
  const answer = response.topics[0].partitions[0];
  return [answer.errorCode, answer.leaderEpoch, answer.endOffset];
}

Deno.test(
  "controller and leader epochs fence LeaderAndIsr, StopReplica, Fetch and OffsetForLeaderEpoch",
  options,
  async () => {
    await using cluster = await startCluster({ brokers: 1 });
    await using client = await clientOf(cluster, 1);
    await createAssignedTopic(client, "fenced", [[1]]);
    await waitForIsr(client, "fenced", 0, [1]);
    assert.equal((await client.produce("fenced", 0, batchOf(["a", "b", "c"]), -1)).errorCode, 0);

    // The controller (epoch 5) makes broker 1 leader in epoch 3; writes go into epoch 3.
    const accepted = await leaderAndIsr(client, 5, 3);
    assert.equal(accepted.errorCode, ErrorCode.NONE);
    assert.deepEqual(accepted.partitionErrors.map((p) => p.errorCode), [ErrorCode.NONE]);
    const produced = await client.produce("fenced", 0, batchOf(["d", "e"]), -1);
    assert.deepEqual([produced.errorCode, produced.baseOffset], [0, 3]);

    // An older controller epoch is refused; an older leader epoch is ignored.
    assert.equal((await leaderAndIsr(client, 4, 9)).errorCode, ErrorCode.STALE_CONTROLLER_EPOCH);
    const staleEpoch = await leaderAndIsr(client, 5, 2);
    assert.deepEqual(staleEpoch.partitionErrors.map((p) => p.errorCode), [ErrorCode.FENCED_LEADER_EPOCH]);
    const staleStop = await client.request(ApiKey.StopReplica, 0, (w) =>
      writeStopReplicaRequest(w, 0, {
        controllerId: 1,
        controllerEpoch: 4,
        deletePartitions: false,
        ungroupedPartitions: [{ topicName: "fenced", partitionIndex: 0 }],
      }), (r) => readStopReplicaResponse(r, 0));
    assert.equal(staleStop.errorCode, ErrorCode.STALE_CONTROLLER_EPOCH);

    // One fence for every controller request: a newer epoch heard through UpdateMetadata makes an
    // older controller's LeaderAndIsr stale too, and an older UpdateMetadata is refused.
    assert.equal((await updateMetadata(client, 7)).errorCode, ErrorCode.NONE);
    assert.equal((await leaderAndIsr(client, 6, 9)).errorCode, ErrorCode.STALE_CONTROLLER_EPOCH);
    assert.equal((await updateMetadata(client, 6)).errorCode, ErrorCode.STALE_CONTROLLER_EPOCH);

    // Fetch: the current epoch reads; an older one is fenced, a newer one unknown.
    assert.equal((await fetchWithEpoch(client, 3)).errorCode, ErrorCode.NONE);
    assert.equal((await fetchWithEpoch(client, 2)).errorCode, ErrorCode.FENCED_LEADER_EPOCH);
    assert.equal((await fetchWithEpoch(client, 4)).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);

    // Epoch 0 ended where epoch 3 began (offset 3); epochs 1–2 never led, so they answer epoch 0's
    // end; the current epoch ends at the log end.
    assert.deepEqual(await endOffsetFor(client, 0), [ErrorCode.NONE, 0, 3]);
    assert.deepEqual(await endOffsetFor(client, 2), [ErrorCode.NONE, 0, 3]);
    assert.deepEqual(await endOffsetFor(client, 3), [ErrorCode.NONE, 3, 5]);
    assert.deepEqual((await endOffsetFor(client, 3, 1))[0], ErrorCode.FENCED_LEADER_EPOCH);
    assert.deepEqual((await endOffsetFor(client, 3, 7))[0], ErrorCode.UNKNOWN_LEADER_EPOCH);
  },
);
