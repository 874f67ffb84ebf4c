/**
 * The controller's in-memory cluster state (ControllerContext) against a real coordinator: it
 * follows every kind of change — brokers leaving, topics created, grown and deleted, a leader's
 * own ISR change — without re-reading the whole tree, and after a controller failover the new
 * controller's state equals a fresh read. The brokers are registrations only: the controller's
 * requests to them fail and are retried, which changes nothing in the coordinator.
 */
import assert from "node:assert/strict";
import { startCoordinator } from "../../../src/coordinator/mod.ts";
import { ZooKeeperClient } from "../../../src/zk/client/mod.ts";
import { Controller } from "../../../src/broker/controller/controller.ts";
import { ClusterTreeReader, type ClusterView } from "../../../src/broker/cluster-tree.ts";
import {
  brokerIdPath,
  CONTROLLER_EPOCH_PATH,
  encodeBrokerEndpoint,
  encodePartitionList,
  encodePartitionState,
  encodeTopicAssignment,
  ISR_CHANGE_PREFIX,
  partitionsPath,
  partitionStatePath,
  PERSISTENT_PATHS,
  topicPath,
} from "../../../src/broker/zk-layout.ts";
import { eventually } from "../../helpers/program.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

/** A view as plain data, in a stable order (the controller id is not part of the context). */
function plain(view: ClusterView | null) {
  if (view === null) return null;
  const sorted = <T>(map: Map<number | string, T>) =>
    [...map].sort(([a], [b]) => String(a).localeCompare(String(b)));
  return {
    brokers: sorted(view.brokers),
    registrations: sorted(view.registrations),
    topics: sorted(view.topics).map((
      [name, topic],
    ) => [name, { ...topic, reassignments: [...topic.reassignments] }]),
    offlineReplicas: sorted(view.offlineReplicas).map(([id, keys]) => [id, [...keys].sort()]),
  };
}

function startController(zk: ZooKeeperClient, epoch: number, epochZkVersion: number): Controller {
  return new Controller(zk, {
    brokerId: 1,
    epoch,
    epochZkVersion,
    requestTimeoutMs: 500,
    // No periodic full read during the test: only the incremental path can keep it current.
    resyncIntervalMs: 3_600_000,
    onFenced: () => {},
    log: () => {},
  });
}

/** Wait until the controller's context equals a fresh read of the coordinator. */
async function agrees(controller: Controller, reader: ClusterTreeReader, what: string): Promise<void> {
  let last = "";
  try {
    await eventually(`the controller's context to equal a fresh read after ${what}`, async () => {
      await controller.trigger();
      const fresh = JSON.stringify(plain(await reader.read()));
      last = JSON.stringify(plain(controller.context));
      return fresh === last;
    }, 20_000);
  } catch (error) {
    assert.fail(
      `${(error as Error).message}\ncontext: ${last}\nfresh:   ${JSON.stringify(plain(await reader.read()))}`,
    );
  }
}

Deno.test(
  "the controller's in-memory state follows every change and equals a fresh read after failover",
  options,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "vltava-context-" });
    const coordinator = await startCoordinator({ port: 0, dataDir });
    const address = `127.0.0.1:${coordinator.port}`;
    const clients: ZooKeeperClient[] = [];
    const controllers: Controller[] = [];
    try {
      const connect = async () => {
        const zk = await ZooKeeperClient.connect(address, { sessionTimeoutMs: 10_000 });
        clients.push(zk);
        return zk;
      };
      const admin = await connect();
      for (const path of PERSISTENT_PATHS) await admin.mkdirp(path);
      await admin.create(CONTROLLER_EPOCH_PATH, "1");
      const brokers = new Map<number, ZooKeeperClient>();
      for (const id of [1, 2, 3]) {
        const zk = await connect();
        await zk.create(
          brokerIdPath(id),
          encodeBrokerEndpoint({ brokerId: id, host: "127.0.0.1", port: 1, rack: null }),
          {
            ephemeral: true,
          },
        );
        brokers.set(id, zk);
      }
      const reader = new ClusterTreeReader(admin, { log: () => {} });
      const createTopic = async (name: string, assignment: number[][]) => {
        await admin.create(topicPath(name), encodeTopicAssignment(assignment));
        await admin.create(partitionsPath(name));
      };
      await createTopic(
        "a",
        Array.from({ length: 40 }, (_, p) => [1 + p % 3, 1 + (p + 1) % 3, 1 + (p + 2) % 3]),
      );

      const first = startController(await connect(), 1, 0);
      controllers.push(first);
      await first.start();
      await agrees(first, reader, "the first run");
      assert.equal(
        first.context!.topics.get("a")!.states.filter((s) => s?.state.leader !== undefined).length,
        40,
      );

      // A leader shrinks its own ISR and leaves a notification.
      const { data, stat } = await admin.getData(partitionStatePath("a", 0));
      const state = JSON.parse(new TextDecoder().decode(data!));
      await admin.setData(
        partitionStatePath("a", 0),
        encodePartitionState({
          leader: state.leader,
          leaderEpoch: state.leader_epoch,
          isr: [state.leader],
          controllerEpoch: 1,
        }),
        stat.version,
      );
      await admin.create(ISR_CHANGE_PREFIX, encodePartitionList([{ topic: "a", partition: 0 }]), {
        sequential: true,
      });
      await agrees(first, reader, "a leader's ISR change");

      await createTopic("b", [[2, 3], [3, 1]]);
      await agrees(first, reader, "a new topic");
      await admin.setData(topicPath("b"), encodeTopicAssignment([[2, 3], [3, 1], [1, 2]]));
      await agrees(first, reader, "added partitions");
      await brokers.get(3)!.close();
      await agrees(first, reader, "a broker leaving");
      await admin.deleteRecursive(topicPath("b"));
      await agrees(first, reader, "a deleted topic");

      // Failover: a new controller (epoch 2) loads the cluster once and agrees with a fresh read.
      await first.stop();
      await admin.setData(CONTROLLER_EPOCH_PATH, "2");
      const second = startController(await connect(), 2, 1);
      controllers.push(second);
      await second.start();
      await agrees(second, reader, "a controller failover");
      assert.deepEqual(plain(second.context)!.topics.map(([name]) => name), ["a"]);
    } finally {
      for (const controller of controllers) await controller.stop();
      for (const zk of clients) await zk.close().catch(() => {});
      await coordinator.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);
