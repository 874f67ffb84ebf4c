/**
 * The cluster as the coordinator records it, for operators (`vltava cluster describe
 * --coordinator`, the `vltava dev` status table): every broker that ever registered, live or
 * offline; the controller and its epoch; how many partitions each broker leads, and how many
 * partitions are offline or under-replicated. Reads only; malformed znodes are skipped.
 *
 * @example
 * ```ts
 * await using zk = await ZooKeeperClient.connect("127.0.0.1:2181");
 * const status = await readClusterStatus(zk);
 * console.log(status.controller?.brokerId, status.brokers.map((b) => `${b.brokerId}:${b.live}`));
 * ```
 */
import type { ZooKeeperClient } from "../../zk/client/mod.ts";
import {
  BROKER_IDS_PATH,
  BROKER_REGISTERED_PATH,
  brokerIdPath,
  brokerRegisteredPath,
  CONTROLLER_EPOCH_PATH,
  CONTROLLER_PATH,
  decodeBrokerEndpoint,
  decodePartitionState,
  decodeTopicAssignment,
  partitionStatePath,
  topicPath,
  TOPICS_PATH,
} from "../zk-layout.ts";
import { decodeController, decodeControllerEpoch } from "./controller-znodes.ts";

export interface BrokerStatus {
  brokerId: number;
  host: string;
  port: number;
  live: boolean;
  /** Partitions whose state names this broker as leader. */
  partitionsLed: number;
}

export interface ClusterStatus {
  brokers: BrokerStatus[];
  controller: { brokerId: number; epoch: number } | null;
  /** The value of /controller_epoch (-1 before any election). */
  controllerEpoch: number;
  partitions: number;
  offlinePartitions: number;
  underReplicatedPartitions: number;
}

async function children(zk: ZooKeeperClient, path: string): Promise<string[]> {
  try {
    return await zk.getChildren(path);
  } catch {
    return [];
  }
}

async function data(zk: ZooKeeperClient, path: string): Promise<Uint8Array | null> {
  try {
    return (await zk.getData(path)).data;
  } catch {
    return null;
  }
}

/** Read the status; brokers sorted by id. */
export async function readClusterStatus(zk: ZooKeeperClient): Promise<ClusterStatus> {
  const live = new Set((await children(zk, BROKER_IDS_PATH)).map(Number));
  const ids = new Set([...(await children(zk, BROKER_REGISTERED_PATH)).map(Number), ...live]);
  const brokers: BrokerStatus[] = [];
  for (const brokerId of [...ids].filter(Number.isSafeInteger).sort((a, b) => a - b)) {
    const bytes = await data(
      zk,
      live.has(brokerId) ? brokerIdPath(brokerId) : brokerRegisteredPath(brokerId),
    );
    try {
      const endpoint = decodeBrokerEndpoint(brokerId, bytes);
      brokers.push({
        brokerId,
        host: endpoint.host,
        port: endpoint.port,
        live: live.has(brokerId),
        partitionsLed: 0,
      });
    } catch {
      brokers.push({ brokerId, host: "?", port: 0, live: live.has(brokerId), partitionsLed: 0 });
    }
  }
  let partitions = 0;
  let offlinePartitions = 0;
  let underReplicatedPartitions = 0;
  for (const topic of await children(zk, TOPICS_PATH)) {
    let assignment: number[][];
    try {
      assignment = decodeTopicAssignment(topic, await data(zk, topicPath(topic)));
    } catch {
      continue;
    }
    for (let partition = 0; partition < assignment.length; partition++) {
      partitions++;
      let leader = -1;
      let isrSize = 0;
      try {
        const state = decodePartitionState(topic, await data(zk, partitionStatePath(topic, partition)));
        leader = live.has(state.leader) ? state.leader : -1;
        isrSize = state.isr.filter((id) => live.has(id)).length;
      } catch { /* no state yet: offline */ }
      if (leader < 0) offlinePartitions++;
      else if (isrSize < assignment[partition].length) underReplicatedPartitions++;
      const broker = brokers.find((b) => b.brokerId === leader);
      if (broker) broker.partitionsLed++;
    }
  }
  let controllerEpoch = -1;
  try {
    controllerEpoch = decodeControllerEpoch(await data(zk, CONTROLLER_EPOCH_PATH));
  } catch { /* none yet */ }
  const controller = decodeController(await data(zk, CONTROLLER_PATH));
  return { brokers, controller, controllerEpoch, partitions, offlinePartitions, underReplicatedPartitions };
}
