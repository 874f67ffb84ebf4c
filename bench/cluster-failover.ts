/**
 * Failover through the controller, end to end: 3 brokers with a short coordinator session
 * timeout, a partition with replication factor 3 and min.insync.replicas=2 whose leader is not
 * the controller (and then one whose leader is the controller itself). The clock starts at the
 * SIGKILL of the leader and stops at the first acks=all write acknowledged by the new leader:
 * session expiry + the controller's election and LeaderAndIsr + the client finding the leader.
 * `deno task bench cluster-failover` (right after `cluster` in the full run).
 */
import { startCluster, type TestCluster } from "../tests/helpers/cluster.ts";
import { RawKafka } from "../tests/integration/broker-harness.ts";
import { createAssignedTopic, waitForIsr } from "../tests/integration/replication-harness.ts";
import { ClusterProbe } from "../tests/integration/controller-harness.ts";
import { encodeRecordBatch } from "../src/kafka/record-batch.ts";

const SESSION_TIMEOUT_MS = 3000;
/** Coordinator tick: sessions expire within one tick after their timeout (as in ZooKeeper). */
const TICK_MS = 500;
const ROUNDS = 3;

export async function run(): Promise<void> {
  const rows: { what: string; ms: number[]; electedMs: number[] }[] = [
    { what: "leader (not the controller) SIGKILLed", ms: [], electedMs: [] },
    { what: "leader that is also the controller SIGKILLed", ms: [], electedMs: [] },
  ];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, row] of rows.entries()) {
      const { ackMs, electedMs } = await measure(index === 1, round);
      row.ms.push(ackMs);
      row.electedMs.push(electedMs);
    }
  }
  console.log(
    `\nfailover through the controller: broker session timeout ${SESSION_TIMEOUT_MS} ms, coordinator tick ` +
      `${TICK_MS} ms, replication factor 3, min.insync.replicas 2, ${ROUNDS} rounds\n`,
  );
  console.log(
    "| SIGKILL of | new leader in the state znode, median ms | first acks=all ack: min ms | median ms | max ms |",
  );
  console.log("|---|---:|---:|---:|---:|");
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const row of rows) {
    const sorted = [...row.ms].sort((a, b) => a - b);
    console.log(
      `| ${row.what} | ${median(row.electedMs).toFixed(0)} | ${sorted[0].toFixed(0)} | ${
        median(sorted).toFixed(0)
      } | ${sorted.at(-1)!.toFixed(0)} |`,
    );
  }
}

/**
 * One cluster, one kill: milliseconds from SIGKILL until the state znode names a new leader,
 * and until the first acks=all ack of the new leader.
 */
async function measure(
  killController: boolean,
  round: number,
): Promise<{ ackMs: number; electedMs: number }> {
  await using cluster = await startFastCluster();
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
  let electedMs = -1;
  for (let i = 0;; i++) {
    const state = await probe.state("failover", 0);
    if (state && state.leader > 0 && state.leader !== leader) {
      if (electedMs < 0) electedMs = performance.now() - killedAt;
      try {
        await using client = await RawKafka.connect(cluster.broker(state.leader).port);
        for (let attempt = 0; attempt < 200; attempt++) {
          const answer = await client.produce(
            "failover",
            0,
            encodeRecordBatch({ records: [{ value: "x" }] }),
            -1,
          );
          if (answer.errorCode === 0) return { ackMs: performance.now() - killedAt, electedMs };
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } catch { /* not ready yet: look again */ }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The test cluster, with a coordinator ticking every TICK_MS (the default 2 s rounds expiry up). */
function startFastCluster(): Promise<TestCluster> {
  return startCluster({
    brokers: 3,
    brokerArgs: ["--session-timeout-ms", String(SESSION_TIMEOUT_MS)],
    coordinatorArgs: ["--tick-ms", String(TICK_MS)],
  });
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
