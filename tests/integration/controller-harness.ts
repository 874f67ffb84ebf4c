/**
 * Observing a test cluster's controller side through the coordinator: who the controller is and
 * with which epoch, each partition's state. A ZooKeeper client of the project, so the tests read
 * exactly what the brokers write.
 */
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";
import { decodePartitionState, type PartitionState, partitionStatePath } from "../../src/broker/zk-layout.ts";
import { decodeController } from "../../src/broker/controller/controller-znodes.ts";
import { eventually } from "../helpers/program.ts";

/** Short session timeout for the brokers of failover tests: death is noticed within it. */
export const FAST_SESSION_ARGS = ["--session-timeout-ms", "3000"];

export class ClusterProbe implements AsyncDisposable {
  readonly zk: ZooKeeperClient;

  private constructor(zk: ZooKeeperClient) {
    this.zk = zk;
  }

  static async connect(coordinator: string): Promise<ClusterProbe> {
    return new ClusterProbe(await ZooKeeperClient.connect(coordinator, { sessionTimeoutMs: 10_000 }));
  }

  /** The current controller, or null. */
  async controller(): Promise<{ brokerId: number; epoch: number } | null> {
    try {
      return decodeController((await this.zk.getData("/controller")).data);
    } catch {
      return null;
    }
  }

  /** Wait for a controller satisfying `accept`. */
  waitForController(
    accept: (controller: { brokerId: number; epoch: number }) => boolean = () => true,
    timeoutMs = 60_000,
  ): Promise<{ brokerId: number; epoch: number }> {
    return eventually("a controller", async () => {
      const controller = await this.controller();
      return controller && accept(controller) ? controller : undefined;
    }, timeoutMs);
  }

  async state(topic: string, partition: number): Promise<PartitionState | null> {
    try {
      const { data } = await this.zk.getData(partitionStatePath(topic, partition));
      return decodePartitionState(`${topic}-${partition}`, data);
    } catch {
      return null;
    }
  }

  async liveBrokers(): Promise<number[]> {
    return (await this.zk.getChildren("/brokers/ids")).map(Number).sort((a, b) => a - b);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.zk.close();
  }
}
