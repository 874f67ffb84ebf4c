/**
 * DescribeLogDirs against real brokers: every broker answers for its one log dir (the absolute
 * --data-dir) with the bytes in each hosted partition's segment files, for leaders and
 * followers alike; null topics means every hosted partition, unknown ones are left out; and
 * ApiVersions advertises versions 0-1.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { startCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import {
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
  readDescribeLogDirsResponse,
  writeDescribeLogDirsRequest,
} from "../../src/kafka/apis/describe-log-dirs.ts";
import { Admin } from "../../src/client/admin.ts";
import { Connection } from "../../src/client/connection.ts";
import { Producer } from "../../src/client/producer.ts";

async function segmentBytesOnDisk(dataDir: string, topic: string, partition: number): Promise<number> {
  const dir = `${dataDir}/${topic}-${partition}`;
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".log")) total += (await Deno.stat(`${dir}/${entry.name}`)).size;
  }
  return total;
}

function describeLogDirs(
  connection: Connection,
  version: number,
  request: DescribeLogDirsRequest,
): Promise<DescribeLogDirsResponse> {
  return connection.request(
    ApiKey.DescribeLogDirs,
    version,
    (w) => writeDescribeLogDirsRequest(w, version, request),
    (r) => readDescribeLogDirsResponse(r, version),
  );
}

Deno.test({
  name: "DescribeLogDirs reports segment bytes for leaders and followers",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await startCluster({ brokers: 2 });
    await using admin = new Admin({ bootstrap: cluster.bootstrap });
    await admin.createTopics([{ name: "logs", partitions: 2, replicationFactor: 2 }]);
    await using producer = new Producer({ bootstrap: cluster.bootstrap, acks: "all" });
    for (let i = 0; i < 200; i++) {
      producer.produce({ topic: "logs", partition: i % 2, value: `value ${i} ${"y".repeat(40)}` });
    }
    await producer.flush();

    for (const broker of cluster.brokers) {
      const connection = await Connection.connect({ host: "127.0.0.1", port: broker.port });
      try {
        assert.equal(connection.versionFor(ApiKey.DescribeLogDirs), 1);
        // Followers catch up asynchronously: poll until every replica holds what is on disk.
        await eventually(`broker ${broker.id} sizes match its disk`, async () => {
          for (const version of [0, 1]) {
            const response = await describeLogDirs(connection, version, { topics: null });
            assert.equal(response.results.length, 1);
            const [result] = response.results;
            assert.equal(result.errorCode, 0);
            assert.equal(result.logDir, resolve(broker.dataDir));
            const logs = result.topics.find((t) => t.name === "logs");
            assert.ok(logs, "topic logs listed");
            assert.deepEqual(logs.partitions.map((p) => p.partitionIndex).sort(), [0, 1]);
            for (const p of logs.partitions) {
              assert.ok(p.partitionSize > 0);
              assert.equal(
                p.partitionSize,
                await segmentBytesOnDisk(broker.dataDir, "logs", p.partitionIndex),
              );
              assert.equal(p.offsetLag, 0);
              assert.equal(p.isFutureKey, false);
            }
          }
          return true;
        });

        const some = await describeLogDirs(connection, 1, {
          topics: [{ topic: "logs", partitions: [1, 7] }, { topic: "missing", partitions: [0] }],
        });
        assert.deepEqual(
          some.results[0].topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]),
          [["logs", [1]]],
        );
      } finally {
        connection.close();
      }
    }

    // The admin takes each partition's size from its leader.
    const [described] = await admin.describeTopics(["logs"]);
    for (const p of described.partitions) {
      const leader = cluster.brokers.find((b) => b.id === p.leader)!;
      assert.equal(p.sizeBytes, await segmentBytesOnDisk(leader.dataDir, "logs", p.partition));
    }
  },
});
