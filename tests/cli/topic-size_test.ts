/**
 * `vltava topic describe` reports each partition's size on its leader's disk (DescribeLogDirs):
 * the JSON's sizeBytes equals the bytes in that partition's segment .log files under the
 * leader's data dir, and the table shows it in a "size" column.
 */
import assert from "node:assert/strict";
import { startCluster } from "../helpers/cluster.ts";
import { eventually, runCli } from "../helpers/program.ts";

interface DescribedPartition {
  partition: number;
  leader: number;
  highWatermark: number;
  sizeBytes: number;
}

/** Sum of the .log segment files in `<dataDir>/<topic>-<partition>/`. */
async function segmentBytesOnDisk(dataDir: string, topic: string, partition: number): Promise<number> {
  const dir = `${dataDir}/${topic}-${partition}`;
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".log")) total += (await Deno.stat(`${dir}/${entry.name}`)).size;
  }
  return total;
}

Deno.test({
  name: "topic describe reports each partition's size on its leader's disk",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // Two brokers and replication factor 1: the partitions' leaders differ, so the admin must
    // ask each leader for its own partitions.
    await using cluster = await startCluster({ brokers: 2 });
    const b = ["--bootstrap", cluster.bootstrap];
    const topic = "sized";
    let result = await runCli([
      "topic",
      "create",
      topic,
      "--partitions",
      "2",
      "--replication-factor",
      "1",
      ...b,
    ]);
    assert.equal(result.code, 0, result.stderr);

    const counts = [300, 40];
    for (const [partition, count] of counts.entries()) {
      const lines = Array.from({ length: count }, (_, i) => `record ${partition}-${i} ${"x".repeat(50)}`);
      result = await runCli(["produce", topic, "--partition", String(partition), ...b], {
        stdin: lines.join("\n") + "\n",
      });
      assert.equal(result.code, 0, result.stderr);
    }

    const describe = async () => {
      const json = await runCli(["topic", "describe", topic, "--json", ...b]);
      assert.equal(json.code, 0, json.stderr);
      return JSON.parse(json.stdout)[0].partitions as DescribedPartition[];
    };
    const partitions = await eventually("every record counted", async () => {
      const described = await describe();
      assert.deepEqual(described.map((p) => p.highWatermark), counts);
      return described;
    });
    assert.notEqual(partitions[0].leader, partitions[1].leader, "expected leaders on both brokers");
    for (const p of partitions) {
      const leader = cluster.brokers.find((broker) => broker.id === p.leader)!;
      const onDisk = await segmentBytesOnDisk(leader.dataDir, topic, p.partition);
      assert.ok(p.sizeBytes > 0, `partition ${p.partition} size ${p.sizeBytes}`);
      assert.equal(p.sizeBytes, onDisk, `partition ${p.partition}`);
    }
    assert.ok(partitions[0].sizeBytes > partitions[1].sizeBytes);

    result = await runCli(["topic", "describe", topic, ...b]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split("\n");
    const head = lines.find((line) => line.includes("partition"))!;
    assert.match(head, /log start.*high watermark.*log end.*records.*size.*under-replicated/);
    const rows = lines.filter((line) => line.includes(topic));
    assert.equal(rows.length, 2);
    // A few KiB per partition here: shown with a unit, not as raw bytes.
    for (const row of rows) assert.match(row, /\s\d+(\.\d)? (B|KiB)\s/);
    assert.equal(new Set(lines.map((line) => line.length)).size, 1, "table rows aligned");
  },
});
