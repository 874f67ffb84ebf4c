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
import { ClusterTreeReader, mapBounded } from "../cluster-tree.ts";
import {
  BROKER_REGISTERED_PATH,
  brokerRegisteredPath,
  CONTROLLER_EPOCH_PATH,
  CONTROLLER_PATH,
  decodeBrokerEndpoint,
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

/** Data of a node, or null when it is missing or unreadable (a status read never fails on one). */
async function data(zk: ZooKeeperClient, path: string): Promise<Uint8Array | null> {
  try {
    return (await zk.getData(path)).data;
  } catch {
    // Missing or unreadable: the status shows it as unknown.
    return null;
  }
}

/** Read the status; brokers sorted by id. */
export async function readClusterStatus(zk: ZooKeeperClient): Promise<ClusterStatus> {
  // Malformed znodes are skipped by the reader; the status is for eyes, not for decisions.
  const view = await new ClusterTreeReader(zk, { log: () => {} }).read();
  let registered: string[] = [];
  try {
    registered = await zk.getChildren(BROKER_REGISTERED_PATH);
  } catch {
    // No broker ever registered: only live ones (none) are listed.
  }
  const offline = registered.map(Number).filter((id) => Number.isSafeInteger(id) && !view.brokers.has(id));
  const offlineData = await mapBounded(offline, (id) => data(zk, brokerRegisteredPath(id)));
  const brokers: BrokerStatus[] = [...view.brokers.values()].map((endpoint) => ({
    brokerId: endpoint.brokerId,
    host: endpoint.host,
    port: endpoint.port,
    live: true,
    partitionsLed: 0,
  }));
  offline.forEach((brokerId, i) => {
    try {
      const endpoint = decodeBrokerEndpoint(brokerId, offlineData[i]);
      brokers.push({ brokerId, host: endpoint.host, port: endpoint.port, live: false, partitionsLed: 0 });
    } catch {
      // Unreadable registration: listed with an unknown address rather than hidden.
      brokers.push({ brokerId, host: "?", port: 0, live: false, partitionsLed: 0 });
    }
  });
  brokers.sort((a, b) => a.brokerId - b.brokerId);
  const byId = new Map(brokers.map((broker) => [broker.brokerId, broker]));
  let partitions = 0;
  let offlinePartitions = 0;
  let underReplicatedPartitions = 0;
  for (const topic of view.topics.values()) {
    topic.assignment.forEach((replicas, partition) => {
      partitions++;
      const state = topic.states[partition]?.state;
      const leader = state && view.brokers.has(state.leader) ? state.leader : -1;
      const isrSize = state ? state.isr.filter((id) => view.brokers.has(id)).length : 0;
      if (leader < 0) offlinePartitions++;
      else if (isrSize < replicas.length) underReplicatedPartitions++;
      const broker = byId.get(leader);
      if (broker) broker.partitionsLed++;
    });
  }
  let controllerEpoch = -1;
  try {
    controllerEpoch = decodeControllerEpoch(await data(zk, CONTROLLER_EPOCH_PATH));
  } catch {
    // No controller was ever elected: -1.
  }
  const controller = decodeController(await data(zk, CONTROLLER_PATH));
  return { brokers, controller, controllerEpoch, partitions, offlinePartitions, underReplicatedPartitions };
}
