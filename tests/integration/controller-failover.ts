/**
 * Failover through the real controller, for the failover tests: read a partition's state znode
 * (what the controller writes with its CAS writes) from the coordinator the brokers use — the
 * built-in one or a real ZooKeeper — and wait there until the controller has elected a new leader
 * after the old one was SIGKILLed. The test never writes the partition state itself.
 */
import assert from "node:assert/strict";
import { ZooKeeperClient } from "../../src/zk/client/client.ts";
import { decodePartitionState, type PartitionState } from "../../src/broker/zk-layout.ts";
import { eventually } from "../helpers/program.ts";
import type { TestCluster } from "../helpers/cluster.ts";
import { RawKafka } from "./broker-harness.ts";

/** The partition state as the controller last wrote it to the coordinator. */
export async function partitionState(
  cluster: TestCluster,
  topic: string,
  partition: number,
): Promise<PartitionState> {
  await using zk = await ZooKeeperClient.connect(cluster.coordinatorAddress, { sessionTimeoutMs: 10_000 });
  const path = `/brokers/topics/${topic}/partitions/${partition}/state`;
  const { data } = await zk.getData(path);
  return decodePartitionState(path, data);
}

/**
 * Wait until the controller has moved the partition's leadership off `oldLeader` (SIGKILLed by
 * the caller) to a live broker, in a later leader epoch, with the dead broker out of the ISR.
 * Generous by default: the controller acts only once the dead broker's session has expired, and
 * a killed controller must first be replaced.
 */
export async function waitForControllerFailover(
  cluster: TestCluster,
  topic: string,
  partition: number,
  oldLeader: number,
  oldEpoch: number,
  timeoutMs = 120_000,
): Promise<PartitionState> {
  const state = await eventually(
    `the controller to elect a new leader of ${topic}:${partition} (was broker ${oldLeader})`,
    async () => {
      const state = await partitionState(cluster, topic, partition);
      return state.leader >= 0 && state.leader !== oldLeader ? state : undefined;
    },
    timeoutMs,
    250,
  );
  assert.ok(state.leaderEpoch > oldEpoch, `leader epoch ${state.leaderEpoch} not above ${oldEpoch}`);
  assert.ok(!state.isr.includes(oldLeader), `dead broker ${oldLeader} still in ISR ${state.isr}`);
  return state;
}

/**
 * Wait until broker `via` knows every broker in `ids` as live. A broker prints "listening" before
 * its registration reaches the others' views, and CreateTopics with an explicit assignment
 * rightly refuses a broker it does not know yet (INVALID_REPLICA_ASSIGNMENT).
 */
export function waitForLiveBrokers(
  cluster: TestCluster,
  via: number,
  ids: number[],
  timeoutMs = 60_000,
): Promise<true> {
  return eventually(`broker ${via} to see brokers ${ids} live`, async () => {
    await using client = await RawKafka.connect(cluster.broker(via).port);
    const live = new Set((await client.metadata([])).brokers.map((b) => b.nodeId));
    return ids.every((id) => live.has(id)) || undefined;
  }, timeoutMs);
}
