/**
 * The group coordinator's broker is SIGKILLed in a three-broker cluster: the controller moves
 * leadership of its `__consumer_offsets` partition, the new leader loads the groups from its
 * replica of the log, members find the new coordinator and keep consuming, and the offsets
 * committed before the kill are still there.
 */
import assert from "node:assert/strict";
import { createTopics, startCluster } from "../helpers/cluster.ts";
import { eventually, RunningProgram } from "../helpers/program.ts";
import { Producer } from "../../src/client/producer.ts";
import { GroupAdmin } from "../../src/client/group-admin.ts";

/** Groups start their first rebalance after this, not after the 3 s default. */
const BROKER_ARGS = ["--group-initial-rebalance-delay-ms", "500"];
const LONG = 180_000;

Deno.test({
  name: "the coordinator's broker is SIGKILLed among three: the group moves, committed offsets survive",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using cluster = await startCluster({ brokers: 3, brokerArgs: BROKER_ARGS });
    const bootstrap = cluster.bootstrap;
    await createTopics(bootstrap, [{ name: "moves", partitions: 6, replicationFactor: 3 }]);
    const member = (i: number) =>
      new RunningProgram([
        "consume",
        "moves",
        "--group",
        "movers",
        "--from-beginning",
        "--session-timeout-ms",
        "6000",
        "--commit-interval-ms",
        "200",
        "--bootstrap",
        bootstrap,
      ], { MEMBER: String(i) });
    await using a = member(1);
    await using b = member(2);
    const values = () => [a, b].flatMap((m) => m.stdout.split("\n").filter((l) => l !== ""));
    const produce = async (from: number, to: number) => {
      await using producer = new Producer({ bootstrap, acks: -1 });
      await Promise.all(
        Array.from(
          { length: to - from },
          (_, i) => producer.send({ topic: "moves", partition: (from + i) % 6, value: `v${from + i}` }),
        ),
      );
    };
    const allSeen = (n: number) =>
      eventually(
        `v0..v${n - 1} consumed`,
        () => {
          const seen = new Set(values());
          for (let i = 0; i < n; i++) if (!seen.has(`v${i}`)) return false;
          return true;
        },
        LONG,
        200,
      );

    const groups = new GroupAdmin({ bootstrap });
    try {
      await eventually(
        "the group is stable with two members",
        async () => {
          const d = await groups.describeGroup("movers");
          return d.state === "Stable" && d.members.length === 2;
        },
        LONG,
        300,
      );
      await produce(0, 300);
      await allSeen(300);
      const committed = await eventually(
        "everything committed",
        async () => {
          const d = await groups.describeGroup("movers");
          return d.totalLag === 0 && d.offsets.length === 6 ? d : undefined;
        },
        LONG,
        300,
      );
      const coordinator = committed.coordinator;
      await cluster.broker(coordinator).program.stop("SIGKILL");

      const moved = await eventually(
        "a new coordinator serves the group",
        async () => {
          const d = await groups.describeGroup("movers");
          return d.coordinator !== coordinator ? d : undefined;
        },
        LONG,
        500,
      );
      for (const before of committed.offsets) {
        const after = moved.offsets.find((o) => o.topic === before.topic && o.partition === before.partition);
        assert.ok(
          after && after.committedOffset >= before.committedOffset,
          `offset of partition ${before.partition}`,
        );
      }
      await produce(300, 600);
      await allSeen(600);
    } finally {
      groups.close();
    }
  },
});
