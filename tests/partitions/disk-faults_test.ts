/**
 * Issue 9, disk faults, with real processes and real files:
 * - a full disk: broker 3's data dir is a small tmpfs that fills while acks=all writes go on.
 *   Writes touching it fail cleanly (KAFKA_STORAGE_ERROR or a retriable error, never an unknown
 *   one), its partition's leadership moves, every partition keeps taking writes, every broker
 *   keeps running; after freeing space and restarting broker 3 it serves again and catches up;
 *   nothing acknowledged is lost and the replicas end byte-identical.
 * - a damaged segment: a follower stopped cleanly gets one bit flipped in one segment and a run of
 *   bytes zeroed in another, both in the middle of its log. On restart it notices (CRC) and
 *   re-fetches from the leader; it later leads the partition alone and serves only good bytes
 *   (the consumer checks every CRC); its bytes end identical to the others'.
 */
import assert from "node:assert/strict";
import { NETNS_PEERS } from "../helpers/netns.ts";
import { peerTest } from "../helpers/peers.ts";
import { fillTmpfs, mountTmpfs } from "../helpers/tmpfs.ts";
import { eventually } from "../helpers/program.ts";
import { check, formatReport } from "./checker.ts";
import { NetnsCluster } from "./netns-cluster.ts";
import type { ClusterView } from "./nemesis.ts";
import {
  createTopic,
  finalRead,
  replicaImages,
  stopBrokersCleanly,
  waitForQuiet,
  Workload,
} from "./workload.ts";
import { parseSegmentBaseOffset, partitionDirName } from "../../src/storage/segment-names.ts";

const BROKER_ARGS = ["--session-timeout-ms", "3000", "--replica-lag-time-max-ms", "3000"];
const COORDINATOR_ARGS = ["--tick-ms", "500"];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Errors a client may see while a disk fails and leadership moves; anything else is a bug. */
const CLEAN_FAILURES =
  /KAFKA_STORAGE_ERROR|NOT_LEADER_OR_FOLLOWER|LEADER_NOT_AVAILABLE|REQUEST_TIMED_OUT|NOT_ENOUGH_REPLICAS|RequestTimeoutError|ConnectionClosedError|BrokerUnreachableError/;

function view(cluster: NetnsCluster, topic: string): Promise<ClusterView> {
  return cluster.agent.call<ClusterView>("view", { topic });
}

peerTest(
  "a full disk fails writes cleanly, moves leadership, harms nothing else, and serves again after a restart",
  NETNS_PEERS,
  async () => {
    const TOPIC = "full-disk";
    const PARTITIONS = [0, 1, 2];
    await using disk = await mountTmpfs(8 * 1024 * 1024);
    await using cluster = await NetnsCluster.start({
      brokerArgs: BROKER_ARGS,
      coordinatorArgs: COORDINATOR_ARGS,
      brokerDataDir: (id, root) => id === 3 ? `${disk.path}/broker-3` : `${root}/broker-${id}`,
    });
    await createTopic(cluster, TOPIC, PARTITIONS.length, { "min.insync.replicas": "2" });
    const ledBy3 = (await view(cluster, TOPIC)).partitions.filter((p) => p.leader === 3).map((p) =>
      p.partition
    );
    assert.ok(ledBy3.length > 0, "broker 3 leads a partition (staggered placement)");
    const workload = await Workload.start(cluster, { topic: TOPIC, partitions: PARTITIONS, writers: 2 });
    await sleep(2_000);

    const filler = await fillTmpfs(disk.path, 32 * 1024);
    const full = Date.now();
    // Each expectation is noted and the test goes on, so one run shows everything a full disk breaks.
    const problems: string[] = [];
    // Every partition takes acks=all writes issued once the disk is full: the ones broker 3 led on
    // a new leader, the others without broker 3 in their ISR.
    const whole = await eventually(
      "every partition to take writes with broker 3's disk full",
      async () => {
        const moved = (await view(cluster, TOPIC)).partitions.every((p) =>
          !ledBy3.includes(p.partition) || p.leader !== 3
        );
        return moved && (await workload.writableSince(Date.now() - 1_000)).length === PARTITIONS.length;
      },
      60_000,
      250,
    ).catch((error: Error) => problems.push(error.message));
    const failures = [...await workload.failuresSince(full)];
    console.log(`failures since the disk filled: ${failures.map(([e, n]) => `${e} ×${n}`).join(", ")}`);
    const unclean = failures.filter(([error]) => !CLEAN_FAILURES.test(error));
    if (unclean.length > 0) {
      problems.push(
        `writes failed with errors other than storage or leadership ones: ${unclean}`,
      );
    }
    const exited = cluster.exitedBrokers();
    if (exited.length > 0) {
      problems.push(`brokers ended with broker 3's disk full: ${JSON.stringify(exited)}`);
    }
    if (whole !== true) {
      problems.push(`partitions: ${JSON.stringify((await view(cluster, TOPIC)).partitions)}`);
    }

    // Space back, broker 3 restarted: it rejoins every ISR and the partitions are whole again.
    await Deno.remove(filler);
    await cluster.broker(3).program.stop("SIGTERM", 30_000);
    await cluster.startBroker(3);
    await waitForQuiet(cluster, TOPIC, 120_000);
    const { produced, reads } = await workload.stop();
    await waitForQuiet(cluster, TOPIC);
    const final = await finalRead(cluster, TOPIC, PARTITIONS);
    await stopBrokersCleanly(cluster);
    const replicas = await replicaImages(cluster, TOPIC, PARTITIONS);
    const report = check(
      {
        produced,
        reads,
        final,
        replicas,
        faults: [{ name: "disk-full", start: full, heal: full }],
        endTime: workload.stoppedAt,
      },
      { idempotent: false },
    );
    console.log(formatReport(report));
    assert.deepEqual([...problems, ...report.problems], []);
  },
);

/** The `.log` files of a replica, in offset order. */
function segments(dataDir: string, topic: string, partition: number): string[] {
  const dir = `${dataDir}/${partitionDirName(topic, partition)}`;
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => parseSegmentBaseOffset(n) !== null)
    .sort()
    .map((name) => `${dir}/${name}`);
}

peerTest(
  "a segment damaged in the middle of a log is caught by CRC on restart and re-fetched, never served",
  NETNS_PEERS,
  async () => {
    const TOPIC = "damaged";
    await using cluster = await NetnsCluster.start({
      brokerArgs: BROKER_ARGS,
      coordinatorArgs: COORDINATOR_ARGS,
    });
    await createTopic(cluster, TOPIC, 1, { "min.insync.replicas": "2", "segment.bytes": "16384" });
    const workload = await Workload.start(cluster, {
      topic: TOPIC,
      partitions: [0],
      writers: 2,
      intervalMs: 0,
    });
    await eventually(
      "several segments on every replica",
      () => [...cluster.brokers.values()].every((b) => segments(b.dataDir, TOPIC, 0).length >= 5),
      60_000,
      250,
    );
    const { produced, reads } = await workload.stop();
    await waitForQuiet(cluster, TOPIC);

    const before = (await view(cluster, TOPIC)).partitions[0];
    const damaged = before.replicas.find((id) => id !== before.leader)!;
    const others = before.replicas.filter((id) => id !== damaged);
    await cluster.broker(damaged).program.stop("SIGTERM", 30_000);
    const files = segments(cluster.broker(damaged).dataDir, TOPIC, 0);
    const flipped = await Deno.readFile(files[1]);
    flipped[Math.floor(flipped.length / 2)] ^= 0x10;
    await Deno.writeFile(files[1], flipped);
    const torn = await Deno.readFile(files[2]);
    torn.fill(0, Math.floor(torn.length / 3), Math.floor(torn.length / 3) + 100);
    await Deno.writeFile(files[2], torn);

    await cluster.startBroker(damaged);
    await waitForQuiet(cluster, TOPIC, 120_000);
    // The repaired replica ends as the only broker, so leader: what it serves is what it holds.
    for (const id of others) await cluster.broker(id).program.stop("SIGTERM", 30_000);
    await eventually(
      `broker ${damaged} to lead alone`,
      async () => (await view(cluster, TOPIC)).partitions[0].leader === damaged,
      60_000,
      250,
    );
    // A consumer refuses a batch whose CRC fails: a failed read means the replica served damaged bytes.
    const final = await finalRead(cluster, TOPIC, [0]).catch((error: Error) => error);
    const output = cluster.broker(damaged).program.stderr;
    await stopBrokersCleanly(cluster);
    const replicas = await replicaImages(cluster, TOPIC, [0]);
    const problems = final instanceof Error
      ? [
        `broker ${damaged}, leading alone, served damaged bytes: ${final.message}`,
        ...check({ produced: [], reads: [], final: new Map(), replicas, faults: [], endTime: 0 }, {
          idempotent: false,
        })
          .problems,
      ]
      : check({ produced, reads, final, replicas, faults: [], endTime: workload.stoppedAt }, {
        idempotent: false,
      })
        .problems;
    if (!/CRC/i.test(output)) {
      problems.push(
        `broker ${damaged} said nothing about the damage it found on restart:\n${output}`,
      );
    }
    assert.deepEqual(problems, []);
  },
);
