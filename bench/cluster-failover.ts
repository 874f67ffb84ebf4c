/**
 * Failover through the controller, end to end: 3 brokers with a short coordinator session
 * timeout, a partition with replication factor 3 and min.insync.replicas=2 whose leader is not
 * the controller (and then one whose leader is the controller itself). The clock starts at the
 * SIGKILL of the leader and stops at the first acks=all write acknowledged by the new leader:
 * session expiry + the controller's election and LeaderAndIsr + the client finding the leader.
 * `deno task bench cluster` runs it after the replication figures; alone: `deno task bench
 * cluster-failover`.
 */
import { startCluster, type TestCluster } from "../tests/helpers/cluster.ts";
import { RawKafka } from "../tests/integration/broker-harness.ts";
import { createAssignedTopic, waitForIsr } from "../tests/integration/replication-harness.ts";
import { ClusterProbe } from "../tests/integration/controller-harness.ts";
import { encodeRecordBatch } from "../src/kafka/record-batch.ts";

const SESSION_TIMEOUT_MS = 3000;
const ROUNDS = 3;

export async function run(): Promise<void> {
  const rows: { what: string; ms: number[] }[] = [
    { what: "leader (not the controller) SIGKILLed", ms: [] },
    { what: "leader that is also the controller SIGKILLed", ms: [] },
  ];
  for (let round = 0; round < ROUNDS; round++) {
    rows[0].ms.push(await measure(false, round));
    rows[1].ms.push(await measure(true, round));
  }
  console.log(
    `\nfailover through the controller, session timeout ${SESSION_TIMEOUT_MS} ms, ${ROUNDS} rounds\n`,
  );
  console.log("| SIGKILL of | min ms | median ms | max ms | minus session timeout (median) |");
  console.log("|---|---:|---:|---:|---:|");
  for (const row of rows) {
    const sorted = [...row.ms].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(
      `| ${row.what} | ${sorted[0].toFixed(0)} | ${median.toFixed(0)} | ${sorted.at(-1)!.toFixed(0)} | ${
        (median - SESSION_TIMEOUT_MS).toFixed(0)
      } |`,
    );
  }
}

/** One cluster, one kill; milliseconds from SIGKILL to the first acks=all ack of the new leader. */
async function measure(killController: boolean, round: number): Promise<number> {
  await using cluster = await startCluster({
    brokers: 3,
    brokerArgs: ["--session-timeout-ms", String(SESSION_TIMEOUT_MS)],
  });
  await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
  const controller = await probe.waitForController();
  const others = [1, 2, 3].filter((id) => id !== controller.brokerId);
  const leader = killController ? controller.brokerId : others[round % 2];
  const replicas = [leader, ...[1, 2, 3].filter((id) => id !== leader)];
  {
    await using admin = await RawKafka.connect(cluster.broker(leader).port);
    await createAssignedTopic(admin, "failover", [replicas], { "min.insync.replicas": "2" });
    await waitForIsr(admin, "failover", 0, [1, 2, 3]);
  }
  await warmUp(cluster, leader);
  const killedAt = performance.now();
  await cluster.broker(leader).program.stop("SIGKILL");
  for (let i = 0;; i++) {
    const state = await probe.state("failover", 0);
    if (state && state.leader > 0 && state.leader !== leader) {
      try {
        await using client = await RawKafka.connect(cluster.broker(state.leader).port);
        for (let attempt = 0; attempt < 200; attempt++) {
          const answer = await client.produce(
            "failover",
            0,
            encodeRecordBatch({ records: [{ value: "x" }] }),
            -1,
          );
          if (answer.errorCode === 0) return performance.now() - killedAt;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } catch { /* not ready yet: look again */ }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A few acks=all writes first, so the measured one is not the partition's first. */
async function warmUp(cluster: TestCluster, leader: number): Promise<void> {
  await using client = await RawKafka.connect(cluster.broker(leader).port);
  for (let i = 0; i < 10; i++) {
    const answer = await client.produce("failover", 0, encodeRecordBatch({ records: [{ value: "w" }] }), -1);
    if (answer.errorCode !== 0) throw new Error(`Warm-up write failed: ${answer.errorCode}`);
  }
}

if (import.meta.main) await run();
