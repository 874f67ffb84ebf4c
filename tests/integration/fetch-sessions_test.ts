/**
 * Fetch sessions (KIP-227) over the wire against a real broker: a full fetch with epoch 0 gets a
 * session; an incremental fetch with nothing new carries no partition; a produced record brings
 * back only its partition; a forgotten partition stays out; a wrong epoch and an unknown session
 * get their top-level errors and no partitions; epoch -1 closes the session. And followers'
 * sessions on an idle cluster: the leader reads nothing of an unchanged partition, yet the ISR
 * holds past replica.lag.time.max.ms and a follower that stops still leaves it.
 */
import assert from "node:assert/strict";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { type FetchRequest, readFetchResponse, writeFetchRequest } from "../../src/kafka/apis/fetch.ts";
import { startCluster } from "../helpers/cluster.ts";
import { ClusterProbe } from "./controller-harness.ts";
import { delay } from "../helpers/program.ts";
import { type RawKafka, text } from "./broker-harness.ts";
import {
  batchOf,
  clientOf,
  createAssignedTopic,
  describePartition,
  waitForIsr,
} from "./replication-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

function sessionFetch(
  client: RawKafka,
  sessionId: number,
  sessionEpoch: number,
  partitions: { partition: number; fetchOffset: number }[],
  forgotten: number[] = [],
) {
  const request: FetchRequest = {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1_048_576,
    isolationLevel: 0,
    sessionId,
    sessionEpoch,
    topics: partitions.length === 0 ? [] : [{
      topic: "sessions",
      partitions: partitions.map((p) => ({
        ...p,
        currentLeaderEpoch: -1,
        logStartOffset: -1,
        partitionMaxBytes: 1_048_576,
      })),
    }],
    forgottenTopicsData: forgotten.length === 0 ? [] : [{ topic: "sessions", partitions: forgotten }],
    rackId: "",
  };
  return client.request(
    ApiKey.Fetch,
    11,
    (w) => writeFetchRequest(w, 11, request),
    (r) => readFetchResponse(r, 11),
  );
}

/** The partition indexes an answer carries, sorted. */
function answered(response: Awaited<ReturnType<typeof sessionFetch>>): number[] {
  return response.responses.flatMap((t) => t.partitions.map((p) => p.partitionIndex)).sort((a, b) => a - b);
}

Deno.test(
  "fetch sessions: created, incremental answers carry only what changed, bad epochs refused",
  options,
  async () => {
    await using cluster = await startCluster({ brokers: 1 });
    await using client = await clientOf(cluster, 1);
    await createAssignedTopic(client, "sessions", [[1], [1], [1]]);
    for (const partition of [0, 1, 2]) await waitForIsr(client, "sessions", partition, [1]);

    // Without a session (epoch -1) nothing is kept: the answer names no session.
    const sessionless = await sessionFetch(client, 0, -1, [{ partition: 0, fetchOffset: 0 }]);
    assert.equal(sessionless.sessionId, 0);

    const full = await sessionFetch(
      client,
      0,
      0,
      [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0 })),
    );
    assert.equal(full.errorCode, 0);
    assert.ok(full.sessionId! > 0, "a full fetch with epoch 0 creates a session");
    assert.deepEqual(answered(full), [0, 1, 2], "a full answer carries every partition");
    const id = full.sessionId!;

    const idle = await sessionFetch(client, id, 1, []);
    assert.equal(idle.errorCode, 0);
    assert.equal(idle.sessionId, id);
    assert.deepEqual(answered(idle), [], "nothing changed: no partition in the answer");

    assert.equal((await client.produce("sessions", 1, batchOf(["one"]))).errorCode, 0);
    const changed = await sessionFetch(client, id, 2, []);
    assert.deepEqual(answered(changed), [1], "only the partition that got a record");
    const one = changed.responses[0].partitions[0];
    assert.equal(one.highWatermark, 1);
    assert.ok((one.records?.length ?? 0) > 0, "the record comes with it");

    // The fetcher moves on in partition 1 and forgets partition 2: a record there stays unsaid.
    assert.equal((await client.produce("sessions", 2, batchOf(["two"]))).errorCode, 0);
    const moved = await sessionFetch(client, id, 3, [{ partition: 1, fetchOffset: 1 }], [2]);
    assert.deepEqual(answered(moved), [], "partition 1 is caught up, partition 2 is forgotten");

    const replayed = await sessionFetch(client, id, 3, []);
    assert.equal(replayed.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    assert.deepEqual(answered(replayed), []);
    const unknown = await sessionFetch(client, id + 1, 1, []);
    assert.equal(unknown.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);

    // The refused request did not move the epoch: 4 is still the one expected.
    assert.deepEqual(answered(await sessionFetch(client, id, 4, [])), []);
    // Epoch -1 closes the session (a full fetch without one); it is gone afterwards.
    const closing = await sessionFetch(client, id, -1, [{ partition: 2, fetchOffset: 0 }]);
    assert.equal(closing.sessionId, 0);
    assert.deepEqual(answered(closing), [2]);
    const closed = await sessionFetch(client, id, 5, []);
    assert.equal(closed.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  },
);

Deno.test(
  "idle followers' sessions: the ISR holds past the lag time, a write after it commits, a stopped follower leaves",
  options,
  async () => {
    const lagMs = 1_000;
    await using cluster = await startCluster({
      brokers: 3,
      brokerArgs: ["--replica-lag-time-max-ms", String(lagMs), "--session-timeout-ms", "30000"],
    });
    await using leader = await clientOf(cluster, 1);
    const partitions = [0, 1, 2, 3, 4, 5];
    await createAssignedTopic(leader, "idle", partitions.map(() => [1, 2, 3]));
    for (const partition of partitions) {
      assert.equal((await leader.produce("idle", partition, batchOf(["before"]), -1)).errorCode, 0);
    }
    for (const partition of partitions) await waitForIsr(leader, "idle", partition, [1, 2, 3]);

    // Three lag periods with nothing written: the followers' fetches name no partition and the
    // leader reads none, but their sessions still count as fetching.
    await delay(3 * lagMs + 500);
    const shrinks = cluster.brokers.flatMap((b) => `${b.program.stdout}${b.program.stderr}`.split("\n"))
      .filter((line) => line.includes("(shrink"));
    assert.deepEqual(shrinks, [], "no follower of an idle partition left the ISR");
    for (const partition of partitions) {
      assert.deepEqual((await describePartition(leader, "idle", partition)).isr, [1, 2, 3]);
      assert.equal((await leader.produce("idle", partition, batchOf(["after"]), -1)).errorCode, 0);
      const values = (await leader.readAll("idle", partition)).map((r) => text(r.value));
      assert.deepEqual(values, ["before", "after"]);
    }

    // A follower that stops is still caught by the lag check, with nothing written: its session
    // no longer fetches, so nobody vouches for it. Back, it rejoins. (Not the controller: the
    // leader's metadata learns the new ISR from it.)
    await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
    const stopped = (await probe.waitForController()).brokerId === 3 ? 2 : 3;
    cluster.broker(stopped).program.signal("SIGSTOP");
    try {
      await waitForIsr(leader, "idle", 0, [1, 2, 3].filter((id) => id !== stopped), 20_000);
    } finally {
      cluster.broker(stopped).program.signal("SIGCONT");
    }
    await waitForIsr(leader, "idle", 0, [1, 2, 3]);
  },
);
