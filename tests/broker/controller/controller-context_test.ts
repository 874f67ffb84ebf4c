/**
 * The controller's in-memory cluster state (ControllerContext) against a real coordinator: it
 * follows every kind of change — brokers leaving, topics created, grown and deleted, a leader's
 * own ISR change — without re-reading the whole tree, and after a controller failover the new
 * controller's state equals a fresh read. Each event costs the controller work in proportion to
 * what it changed, not to the 2,000 partitions around it. The brokers are registrations only:
 * the controller's requests to them fail and are retried, which changes nothing in the
 * coordinator. A reassignment naming a broker registered after the controller's last look at
 * /brokers/ids is accepted (the controller reads the brokers again before refusing).
 */
import assert from "node:assert/strict";
import { startCoordinator } from "../../../src/coordinator/mod.ts";
import { ZooKeeperClient } from "../../../src/zk/client/mod.ts";
import { Controller } from "../../../src/broker/controller/controller.ts";
import { ClusterTreeReader, type ClusterView } from "../../../src/broker/cluster-tree.ts";
import { ErrorCode } from "../../../src/kafka/errors.ts";
import {
  BROKER_IDS_PATH,
  brokerIdPath,
  CONTROLLER_EPOCH_PATH,
  encodeBrokerEndpoint,
  encodePartitionList,
  encodePartitionState,
  encodeTopicAssignment,
  encodeTopicConfig,
  ISR_CHANGE_PREFIX,
  partitionsPath,
  partitionStatePath,
  PERSISTENT_PATHS,
  topicConfigPath,
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

function startController(
  zk: ZooKeeperClient,
  epoch: number,
  epochZkVersion: number,
  requestTimeoutMs = 500,
): Controller {
  return new Controller(zk, {
    brokerId: 1,
    epoch,
    epochZkVersion,
    requestTimeoutMs,
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

/** A coordinator with the cluster's paths and brokers registered (sessions only, at brokerPort). */
async function registered(brokerIds: number[], brokerPort: number) {
  const dataDir = await Deno.makeTempDir({ prefix: "vltava-context-" });
  const coordinator = await startCoordinator({ port: 0, dataDir });
  const clients: ZooKeeperClient[] = [];
  const connect = async () => {
    const zk = await ZooKeeperClient.connect(`127.0.0.1:${coordinator.port}`, { sessionTimeoutMs: 10_000 });
    clients.push(zk);
    return zk;
  };
  const close = async () => {
    for (const zk of clients) await zk.close().catch(() => {});
    await coordinator.close();
    await Deno.remove(dataDir, { recursive: true });
  };
  try {
    const admin = await connect();
    for (const path of PERSISTENT_PATHS) await admin.mkdirp(path);
    await admin.create(CONTROLLER_EPOCH_PATH, "1");
    const brokers = new Map<number, ZooKeeperClient>();
    for (const id of brokerIds) {
      const zk = await connect();
      const endpoint = encodeBrokerEndpoint({
        brokerId: id,
        host: "127.0.0.1",
        port: brokerPort,
        rack: null,
      });
      await zk.create(brokerIdPath(id), endpoint, { ephemeral: true });
      brokers.set(id, zk);
    }
    const reader = new ClusterTreeReader(admin, { log: () => {} });
    return { admin, connect, brokers, reader, close };
  } catch (error) {
    await close();
    throw error;
  }
}

Deno.test(
  "the controller's in-memory state follows every change and equals a fresh read after failover",
  options,
  async () => {
    const { admin, connect, brokers, reader, close } = await registered([1, 2, 3], 1);
    const controllers: Controller[] = [];
    try {
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
      await close();
    }
  },
);

Deno.test(
  "a controller event costs work for the partitions it changes, not for the whole cluster",
  options,
  async () => {
    let controller: Controller | undefined;
    // The brokers' port: takes the controller's requests and never answers within the test, so
    // no request fails (a failed one makes the controller re-send that broker everything, which
    // is a cost of the failure, not of the event measured).
    const sink = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of sink) {
        held.push(conn);
        // Read and drop, so the controller's writes never stall on a full socket.
        conn.readable.pipeTo(new WritableStream()).catch(() => {});
      }
    })();
    const { admin, connect, brokers, reader, close } = await registered([1, 2, 3, 4], sink.addr.port)
      .catch((error) => {
        sink.close();
        throw error;
      });
    try {
      const big = 2_000;
      // Broker 3 holds only "small"'s replicas, broker 4 none: events on them touch little.
      await admin.create(topicConfigPath("big"), encodeTopicConfig({}));
      await admin.create(topicPath("big"), encodeTopicAssignment(Array.from({ length: big }, () => [1, 2])));
      await admin.create(partitionsPath("big"));
      await admin.create(topicConfigPath("small"), encodeTopicConfig({}));
      await admin.create(topicPath("small"), encodeTopicAssignment([[2, 3], [3, 2]]));
      await admin.create(partitionsPath("small"));

      controller = startController(await connect(), 1, 0, 600_000);
      await controller.start();
      await agrees(controller, reader, "the first run");
      assert.ok(
        controller.workDone >= big,
        `the first run looks at every partition (${controller.workDone})`,
      );
      const costs: Record<string, number> = {};
      const cost = async (what: string, event: () => Promise<void>) => {
        const before = controller!.workDone;
        await event();
        await agrees(controller!, reader, what);
        costs[what] = controller!.workDone - before;
      };
      const setState = async (topic: string, partition: number, leader: number, isr: number[]) => {
        const { stat } = await admin.getData(partitionStatePath(topic, partition));
        const state = { leader, leaderEpoch: 5, isr, controllerEpoch: 1 };
        await admin.setData(partitionStatePath(topic, partition), encodePartitionState(state), stat.version);
        await admin.create(ISR_CHANGE_PREFIX, encodePartitionList([{ topic, partition }]), {
          sequential: true,
        });
      };
      const state = (topic: string, partition: number) =>
        controller!.context!.topics.get(topic)!.states[partition]!.state;

      await cost("a leader's ISR change", () => setState("big", 7, 1, [1]));
      assert.deepEqual(state("big", 7).isr, [1]);

      await cost("a preferred election of one partition", async () => {
        await setState("big", 9, 2, [1, 2]);
        await agrees(controller!, reader, "the leader moved off its preferred replica");
        const outcomes = await controller!.electLeaders(
          "preferred",
          [{ topic: "big", partition: 9 }],
          20_000,
        );
        assert.equal(outcomes?.get("big:9"), "elected");
      });
      assert.equal(state("big", 9).leader, 1);

      await cost("a reassignment started", async () => {
        const outcomes = await controller!.reassign([{ topic: "big", partition: 5, target: [1, 4] }], 20_000);
        assert.deepEqual(outcomes?.get("big:5"), { errorCode: 0, errorMessage: null });
      });
      assert.deepEqual(controller.context!.topics.get("big")!.assignment[5], [1, 4, 2]);
      // The new replica joins the ISR (its leader says so): the reassignment completes.
      await cost("a reassignment completed", () => setState("big", 5, 1, [1, 2, 4]));
      assert.deepEqual(controller.context!.topics.get("big")!.assignment[5], [1, 4]);
      assert.deepEqual(await controller.listReassignments(), []);

      await cost("a config change", async () => {
        const { stat } = await admin.getData(topicConfigPath("small"));
        await admin.setData(
          topicConfigPath("small"),
          encodeTopicConfig({ "unclean.leader.election.enable": "true" }),
          stat.version,
        );
      });
      await cost("a broker leaving", () => brokers.get(3)!.close());
      assert.equal(state("small", 1).leader, 2, "broker 3's partition led elsewhere");
      await cost("a broker with no replicas leaving", () => brokers.get(4)!.close());

      // A handful of looks per partition changed (decide, advance, announce), never the cluster.
      for (const [what, work] of Object.entries(costs)) {
        assert.ok(work <= 20, `${what} cost ${work} partition looks in a cluster of ${big + 2}`);
      }
    } finally {
      await controller?.stop();
      sink.close();
      await accepting.catch(() => {});
      for (const conn of held) {
        try {
          conn.close();
        } catch {
          // Closed already by the controller's side going away: nothing to release.
        }
      }
      await close();
    }
  },
);

Deno.test(
  "a reassignment to a broker registered after the controller's last look re-reads the brokers first",
  options,
  async () => {
    const { admin, connect, reader, close } = await registered([1, 2, 3], 1);
    let controller: Controller | undefined;
    try {
      await admin.create(topicPath("m"), encodeTopicAssignment([[1, 2]]));
      await admin.create(partitionsPath("m"));
      // The controller's client never hears of /brokers/ids changes: its view lags the tree, as it
      // does for a moment whenever a broker registers (its metadata can show the newcomer first).
      const zk = await connect();
      const deaf = new Proxy(zk, {
        get(target, property) {
          if (property === "getChildren") {
            return (path: string, watcher?: unknown) =>
              target.getChildren(path, path === BROKER_IDS_PATH ? undefined : watcher as never);
          }
          const value = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      controller = startController(deaf, 1, 0);
      await controller.start();
      await agrees(controller, reader, "the first run");
      const newcomer = await connect();
      await newcomer.create(
        brokerIdPath(4),
        encodeBrokerEndpoint({ brokerId: 4, host: "127.0.0.1", port: 1, rack: null }),
        { ephemeral: true },
      );
      const started = await controller.reassign([{ topic: "m", partition: 0, target: [4, 1] }], 20_000);
      assert.deepEqual(started?.get("m:0"), { errorCode: 0, errorMessage: null });
      const refused = await controller.reassign([{ topic: "m", partition: 0, target: [9, 1] }], 20_000);
      assert.equal(refused?.get("m:0")?.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
      assert.match(refused?.get("m:0")?.errorMessage ?? "", /unknown broker 9 \(registered: 1, 2, 3, 4\)/);
    } finally {
      await controller?.stop();
      await close();
    }
  },
);
