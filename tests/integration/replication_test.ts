/**
 * Replication with real processes: three brokers and the built-in coordinator on 127.0.0.1.
 * Followers are paused with SIGSTOP (so the coordinator session outlives the pause, the
 * session timeout is long) and killed with SIGKILL.
 */
import assert from "node:assert/strict";
import { startCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";
import { encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import { text } from "./broker-harness.ts";
import {
  batchOf,
  clientOf,
  createAssignedTopic,
  describePartition,
  fetchAs,
  produceWithTimeout,
  sameBytes,
  segmentBytes,
  waitForIsr,
} from "./replication-harness.ts";
import { partitionState, waitForControllerFailover, waitForLiveBrokers } from "./controller-failover.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const REQUEST_TIMED_OUT = 7;
const NOT_ENOUGH_REPLICAS = 19;
const NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20;

Deno.test(
  "RF 3: acks=all records are on all three logs; consumers never see above the HWM",
  options,
  async () => {
    await using cluster = await startCluster({
      brokers: 3,
      brokerArgs: ["--replica-lag-time-max-ms", "30000", "--session-timeout-ms", "30000"],
    });
    await using leader = await clientOf(cluster, 1);
    await createAssignedTopic(leader, "basics", [[1, 2, 3]]);
    await waitForIsr(leader, "basics", 0, [1, 2, 3]);

    for (let i = 0; i < 20; i++) {
      const answer = await leader.produce("basics", 0, batchOf([`a${i}`, `b${i}`]), -1);
      assert.deepEqual([answer.errorCode, answer.baseOffset], [0, 2 * i]);
    }
    // Acknowledged with acks=all: every replica has them, byte for byte as the leader stored them.
    const leaderBytes = await segmentBytes(cluster.broker(1).dataDir, "basics", 0);
    for (const id of [2, 3]) {
      await eventually(
        `broker ${id}'s log to equal the leader's`,
        async () => sameBytes(await segmentBytes(cluster.broker(id).dataDir, "basics", 0), leaderBytes),
      );
    }

    // Followers paused: an acks=1 write lands on the leader only, so it is not committed.
    cluster.broker(2).program.signal("SIGSTOP");
    cluster.broker(3).program.signal("SIGSTOP");
    const uncommitted = await leader.produce("basics", 0, batchOf(["only-on-leader"]), 1);
    assert.deepEqual([uncommitted.errorCode, uncommitted.baseOffset], [0, 40]);
    const fetched = await leader.fetch("basics", 0, 40);
    assert.equal(fetched.highWatermark, 40);
    assert.equal(fetched.records?.length ?? 0, 0, "a consumer must not read above the HWM");
    const impostor = await fetchAs(leader, "basics", 0, 40, 9);
    assert.equal(impostor.records?.length ?? 0, 0, "a replica_id that is no replica reads as a consumer");
    assert.equal((await leader.readAll("basics", 0)).length, 40);
    // acks=all cannot complete while the ISR members are paused: it times out, unacknowledged.
    const timedOut = await produceWithTimeout(leader, "basics", 0, batchOf(["timed-out"]), 1_000);
    assert.equal(timedOut.errorCode, REQUEST_TIMED_OUT);

    cluster.broker(2).program.signal("SIGCONT");
    cluster.broker(3).program.signal("SIGCONT");
    const all = await eventually("the write to commit once followers resume", async () => {
      const records = await leader.readAll("basics", 0);
      return records.length === 42 ? records : undefined;
    });
    assert.deepEqual(all.slice(40).map((r) => text(r.value)), ["only-on-leader", "timed-out"]);
  },
);

Deno.test(
  "ISR shrinks on SIGSTOP and expands on SIGCONT; acks=all obeys min.insync.replicas",
  options,
  async () => {
    await using cluster = await startCluster({
      brokers: 3,
      brokerArgs: ["--replica-lag-time-max-ms", "5000", "--session-timeout-ms", "30000"],
    });
    await using leader = await clientOf(cluster, 1);
    await createAssignedTopic(leader, "isr", [[1, 2, 3]], { "min.insync.replicas": "2" });
    await waitForIsr(leader, "isr", 0, [1, 2, 3]);
    assert.equal((await leader.produce("isr", 0, batchOf(["first"]), -1)).errorCode, 0);

    cluster.broker(3).program.signal("SIGSTOP");
    await waitForIsr(leader, "isr", 0, [1, 2]);
    assert.equal((await leader.produce("isr", 0, batchOf(["two in sync"]), -1)).errorCode, 0);

    // Broker 2 pauses right after: the write passes the ISR check, then waits for broker 2 until
    // the ISR shrinks to [1] — stored, committed by the smaller ISR, but not acknowledged.
    cluster.broker(2).program.signal("SIGSTOP");
    const shrunkMeanwhile = await leader.produce("isr", 0, batchOf(["after append"]), -1);
    assert.equal(shrunkMeanwhile.errorCode, NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    await waitForIsr(leader, "isr", 0, [1]);
    const refused = await leader.produce("isr", 0, batchOf(["refused"]), -1);
    assert.equal(refused.errorCode, NOT_ENOUGH_REPLICAS);
    // acks=1 does not care about min.insync.replicas.
    assert.equal((await leader.produce("isr", 0, batchOf(["acks=1"]), 1)).errorCode, 0);

    cluster.broker(2).program.signal("SIGCONT");
    cluster.broker(3).program.signal("SIGCONT");
    await waitForIsr(leader, "isr", 0, [1, 2, 3]);
    const state = await describePartition(leader, "isr", 0);
    assert.deepEqual([state.leader, state.leaderEpoch], [1, 0], "ISR changes keep leader and epoch");
    assert.equal((await leader.produce("isr", 0, batchOf(["back"]), -1)).errorCode, 0);
    const values = (await leader.readAll("isr", 0)).map((r) => text(r.value));
    assert.deepEqual(values, ["first", "two in sync", "after append", "acks=1", "back"]);
  },
);

Deno.test(
  "a leader's unreplicated tail is truncated by leader epoch after failover and restart",
  options,
  async () => {
    await using cluster = await startCluster({
      brokers: 3,
      // Long lag: the ISR keeps the paused followers, so the controller may elect either; the
      // test needs no particular one (it reads which one from the partition state).
      brokerArgs: ["--replica-lag-time-max-ms", "60000", "--session-timeout-ms", "4000"],
    });
    await waitForLiveBrokers(cluster, 1, [1, 2, 3]);
    {
      await using oldLeader = await clientOf(cluster, 1);
      await createAssignedTopic(oldLeader, "diverge", [[1, 2, 3]]);
      await waitForIsr(oldLeader, "diverge", 0, [1, 2, 3]);
      for (let i = 0; i < 5; i++) {
        assert.equal((await oldLeader.produce("diverge", 0, batchOf([`committed-${i}`]), -1)).errorCode, 0);
      }
      cluster.broker(2).program.signal("SIGSTOP");
      cluster.broker(3).program.signal("SIGSTOP");
      // A follower's fetch parked at the leader before the pause may still carry the first write
      // into its socket; a paused follower sends no further fetch, so later writes reach no one.
      assert.equal((await oldLeader.produce("diverge", 0, batchOf(["maybe"]), 1)).errorCode, 0);
      for (let i = 0; i < 3; i++) {
        const answer = await oldLeader.produce("diverge", 0, batchOf([`lost-${i}`, `lost-${i}b`]), 1);
        assert.deepEqual([answer.errorCode, answer.baseOffset], [0, 6 + 2 * i]);
      }
    }
    const before = await partitionState(cluster, "diverge", 0);
    assert.equal(before.leader, 1);
    await cluster.broker(1).program.stop("SIGKILL");
    cluster.broker(2).program.signal("SIGCONT");
    cluster.broker(3).program.signal("SIGCONT");

    // The controller elects broker 2 or 3 in a later epoch once broker 1's session has ended.
    const moved = await waitForControllerFailover(cluster, "diverge", 0, 1, before.leaderEpoch);
    const newLeaderId = moved.leader;
    await using newLeader = await clientOf(cluster, newLeaderId);
    await eventually("the new leader to accept acks=all writes", async () => {
      const answer = await newLeader.produce("diverge", 0, batchOf(["after-failover"]), -1);
      return answer.errorCode === 0 ? answer : undefined;
    });

    // Broker 1 comes back once its old session is gone, follows, and truncates the lost tail.
    await eventually("broker 1's session to end", async () => {
      const metadata = await newLeader.metadata([]);
      return !metadata.brokers.some((b) => b.nodeId === 1);
    }, 60_000);
    await cluster.startBroker(1, cluster.broker(1).port);
    await waitForIsr(newLeader, "diverge", 0, [1, 2, 3]);
    assert.equal((await newLeader.produce("diverge", 0, batchOf(["last"]), -1)).errorCode, 0);

    const values = (await newLeader.readAll("diverge", 0)).map((r) => text(r.value));
    const maybe = values.includes("maybe") ? ["maybe"] : [];
    const committed = [0, 1, 2, 3, 4].map((i) => `committed-${i}`);
    assert.deepEqual(values, [...committed, ...maybe, "after-failover", "last"]);
    const leaderBytes = await segmentBytes(cluster.broker(newLeaderId).dataDir, "diverge", 0);
    await eventually(
      "broker 1's log to match the new leader's byte for byte",
      async () => sameBytes(await segmentBytes(cluster.broker(1).dataDir, "diverge", 0), leaderBytes),
    );
    const truncatedTo = 5 + maybe.length;
    assert.match(
      cluster.broker(1).program.stderr,
      new RegExp(`diverge:0: truncated from 12 to ${truncatedTo}`),
    );
  },
);

Deno.test(
  "a batch larger than a follower's fetch size still replicates (one whole batch per response)",
  options,
  async () => {
    await using cluster = await startCluster({ brokers: 2 });
    await using leader = await clientOf(cluster, 1);
    await createAssignedTopic(leader, "big", [[1, 2]], { "max.message.bytes": String(16 * 1_048_576) });
    await waitForIsr(leader, "big", 0, [1, 2]);
    // 12 MiB of random (incompressible, uncompressed anyway) bytes: above the followers' 10 MiB
    // fetch budget and 1 MiB partition budget.
    const value = new Uint8Array(12 * 1_048_576);
    for (let i = 0; i < value.length; i += 65_536) crypto.getRandomValues(value.subarray(i, i + 65_536));
    const batch = encodeRecordBatch({ records: [{ key: null, value, timestamp: Date.now() }] });
    const answer = await produceWithTimeout(leader, "big", 0, batch, 60_000);
    assert.equal(answer.errorCode, 0, "acknowledged only once broker 2 fetched it");
    assert.ok(sameBytes(
      await segmentBytes(cluster.broker(2).dataDir, "big", 0),
      await segmentBytes(cluster.broker(1).dataDir, "big", 0),
    ));
  },
);

Deno.test(
  "the leader adopts the controller's removal of a dead follower: acks=all resumes before the lag time",
  options,
  async () => {
    await using cluster = await startCluster({
      brokers: 3,
      // The leader would drop the follower itself only after a minute.
      brokerArgs: ["--replica-lag-time-max-ms", "60000", "--session-timeout-ms", "4000"],
    });
    await using leader = await clientOf(cluster, 1);
    await createAssignedTopic(leader, "adopt", [[1, 2, 3]], { "min.insync.replicas": "2" });
    await waitForIsr(leader, "adopt", 0, [1, 2, 3]);
    assert.equal((await leader.produce("adopt", 0, batchOf(["before"]), -1)).errorCode, 0);

    await cluster.broker(3).program.stop("SIGKILL");
    await waitForIsr(leader, "adopt", 0, [1, 2]); // the controller, once broker 3's session ended
    const state = await describePartition(leader, "adopt", 0);
    assert.deepEqual([state.leader, state.leaderEpoch], [1, 0]);
    const answer = await eventually("acks=all to be acknowledged without broker 3", async () => {
      const result = await produceWithTimeout(leader, "adopt", 0, batchOf(["after"]), 5_000);
      return result.errorCode === 0 ? result : undefined;
    }, 30_000);
    assert.equal(answer.errorCode, 0);
  },
);
