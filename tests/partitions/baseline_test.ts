/**
 * The partition suite's machinery end to end, without faults: the cluster in namespaces, the
 * acks=all workload, the final read, the clean stop and the replica comparison give a clean
 * report; and the same comparison catches one flipped byte in one replica.
 */
import assert from "node:assert/strict";
import { NETNS_PEERS } from "../helpers/netns.ts";
import { peerTest } from "../helpers/peers.ts";
import { check, formatReport } from "./checker.ts";
import { NetnsCluster } from "./netns-cluster.ts";
import {
  createTopic,
  finalRead,
  replicaImages,
  stopBrokersCleanly,
  waitForQuiet,
  Workload,
} from "./workload.ts";
import { partitionDirName } from "../../src/storage/segment-names.ts";

const TOPIC = "baseline";
const PARTITIONS = [0, 1, 2];

peerTest(
  "without faults the workload, final read and replica comparison find nothing wrong",
  NETNS_PEERS,
  async () => {
    await using cluster = await NetnsCluster.start({ brokerArgs: ["--session-timeout-ms", "3000"] });
    await createTopic(cluster, TOPIC, PARTITIONS.length, { "min.insync.replicas": "2" });
    const workload = await Workload.start(cluster, { topic: TOPIC, partitions: PARTITIONS });
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const { produced, reads } = await workload.stop();
    await waitForQuiet(cluster, TOPIC);
    const final = await finalRead(cluster, TOPIC, PARTITIONS);
    await stopBrokersCleanly(cluster);
    const replicas = await replicaImages(cluster, TOPIC, PARTITIONS);
    const history = { produced, reads, final, replicas, faults: [], endTime: workload.stoppedAt };
    const report = check(history, { idempotent: false });
    console.log(formatReport(report));
    assert.equal(report.valid, true, `${report.problems.join("\n")}\n${workload.output()}`);
    for (const partition of PARTITIONS) {
      assert.ok(
        produced.some((e) => e.type === "ok" && e.partition === partition),
        `nothing acknowledged on ${partition}`,
      );
      assert.ok(reads.some((r) => r.partition === partition), `nothing read from ${partition}`);
    }
    assert.equal(replicas.length, 9, "three replicas of each of three partitions");
    assert.equal(report.counts.reads, 2 * report.counts.finalRecords, "both consumers read everything");

    // One flipped byte in one replica is caught.
    const broker = cluster.broker(3);
    const dir = `${broker.dataDir}/${partitionDirName(TOPIC, 0)}`;
    const segment = `${dir}/${
      [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".log")).sort()[0]
    }`;
    const bytes = await Deno.readFile(segment);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    await Deno.writeFile(segment, bytes);
    const damaged = check({ ...history, replicas: await replicaImages(cluster, TOPIC, PARTITIONS) }, {
      idempotent: false,
    });
    assert.deepEqual(damaged.anomalies.replicasDiffer.map((d) => d.partition), [0]);
  },
);
