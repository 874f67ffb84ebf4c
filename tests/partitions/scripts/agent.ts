/**
 * The test's hands inside the clients' namespace. The test process lives in the machine's own
 * network namespace and cannot reach the private network, so it asks this agent, over a Unix
 * socket (a file, which crosses network namespaces), to look at and act on the cluster:
 * requests and answers are JSON lines `{"id","op",…}` → `{"id","ok":true,"result"}` or
 * `{"id","ok":false,"error"}`, answered concurrently. Ops:
 *   zkGet {path}                         → data as text, or null when the node is missing
 *   zkChildren {path}                    → names, or null when the node is missing
 *   view {topic}                         → the coordinator's view: registered brokers, controller,
 *                                          each partition's replicas, leader, leader epoch and ISR
 *   metadata {broker}                    → that broker's view: brokers, controller, partitions
 *   createTopic {name, partitions, replicationFactor, configs}
 *   describe {topic}                     → Admin.describeTopics (leader, ISR, high watermark, log end)
 *   produce {bootstrap, topic, partition, value}
 *                                        → one acks=all record, no retries: {offset} or {error}
 *   readAll {topic, partition, out}      → reads from the earliest offset to the high watermark,
 *                                          writes NDJSON {offset, value} to `out`; → count
 *
 * Usage: agent.ts SOCKET_PATH COORDINATOR BOOTSTRAP
 */
import { Admin } from "../../../src/client/admin.ts";
import { Cluster } from "../../../src/client/cluster.ts";
import { Consumer } from "../../../src/client/consumer.ts";
import { listOffsets } from "../../../src/client/list-offsets.ts";
import { Producer } from "../../../src/client/producer.ts";
import { KafkaError } from "../../../src/kafka/errors.ts";
import { ZooKeeperClient } from "../../../src/zk/client/client.ts";
import { ErrorCode, KeeperError } from "../../../src/zk/protocol/errors.ts";
import {
  BROKER_IDS_PATH,
  CONTROLLER_PATH,
  decodePartitionState,
  decodeTopicAssignment,
  partitionStatePath,
  topicPath,
} from "../../../src/broker/zk-layout.ts";
import { decodeController } from "../../../src/broker/controller/controller-znodes.ts";
import { NdjsonLog } from "./ndjson-log.ts";

const [socketPath, coordinator, bootstrap] = Deno.args;
const TIMEOUTS = { connectTimeoutMs: 2_000, requestTimeoutMs: 5_000 };
const decoder = new TextDecoder();
const zk = await ZooKeeperClient.connect(coordinator, { sessionTimeoutMs: 30_000 });

type Args = Record<string, unknown>;

async function missingAsNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof KeeperError && error.code === ErrorCode.noNode) return null;
    throw error;
  }
}

const ops: Record<string, (args: Args) => Promise<unknown>> = {
  zkGet: ({ path }) =>
    missingAsNull(async () => {
      const { data } = await zk.getData(path as string);
      return data === null ? "" : decoder.decode(data);
    }),
  zkChildren: ({ path }) => missingAsNull(() => zk.getChildren(path as string)),
  view: async ({ topic }) => {
    const name = topic as string;
    const [brokers, controller, assignment] = await Promise.all([
      zk.getChildren(BROKER_IDS_PATH),
      missingAsNull(() => zk.getData(CONTROLLER_PATH)),
      zk.getData(topicPath(name)),
    ]);
    const replicas = decodeTopicAssignment(name, assignment.data);
    const partitions = await Promise.all(replicas.map(async (list, partition) => {
      const path = partitionStatePath(name, partition);
      const { leader, leaderEpoch, isr } = decodePartitionState(path, (await zk.getData(path)).data);
      return { partition, replicas: list, leader, leaderEpoch, isr };
    }));
    return {
      brokers: brokers.map(Number).sort((a, b) => a - b),
      controller: controller === null ? -1 : decodeController(controller.data)?.brokerId ?? -1,
      partitions,
    };
  },
  metadata: async ({ broker, topics }) => {
    const cluster = new Cluster({ bootstrap: broker as string, ...TIMEOUTS });
    try {
      await cluster.refreshMetadata((topics as string[] | undefined) ?? []);
      return {
        controllerId: cluster.controllerId,
        brokers: [...cluster.brokers.keys()].sort((a, b) => a - b),
        topics: [...cluster.topics.values()],
      };
    } finally {
      cluster.close();
    }
  },
  createTopic: async ({ name, partitions, replicationFactor, configs }) => {
    await using admin = new Admin({ bootstrap, ...TIMEOUTS });
    await admin.createTopics([{
      name: name as string,
      partitions: partitions as number,
      replicationFactor: replicationFactor as number,
      configs: configs as Record<string, string>,
    }]);
    return null;
  },
  describe: async ({ topic }) => {
    await using admin = new Admin({ bootstrap, ...TIMEOUTS });
    return (await admin.describeTopics([topic as string]))[0];
  },
  produce: async (args) => {
    const producer = new Producer({
      bootstrap: (args.bootstrap as string | undefined) ?? bootstrap,
      acks: "all",
      retries: 0,
      lingerMs: 0,
      ackTimeoutMs: 2_000,
      ...TIMEOUTS,
    });
    try {
      const { offset } = await producer.send({
        topic: args.topic as string,
        partition: args.partition as number,
        value: args.value as string,
      });
      return { offset };
    } catch (error) {
      return { error: error instanceof KafkaError ? error.type : (error as Error).message };
    } finally {
      // A failed send is already reported above; closing only releases the connections.
      await producer.close().catch(() => {});
    }
  },
  readAll: async ({ topic, partition, out }) => {
    const cluster = new Cluster({ bootstrap, ...TIMEOUTS });
    let end: number;
    try {
      await cluster.refreshMetadata([topic as string]);
      const [latest] = await listOffsets(cluster, [{
        topic: topic as string,
        partition: partition as number,
        spec: "latest",
      }]);
      if (latest.error) throw latest.error;
      end = latest.offset;
    } finally {
      cluster.close();
    }
    const log = new NdjsonLog(out as string);
    await using consumer = new Consumer({ bootstrap, ...TIMEOUTS });
    await consumer.assign([{ topic: topic as string, partition: partition as number, from: "earliest" }]);
    let count = 0;
    const deadline = Date.now() + 60_000;
    while ((consumer.position(topic as string, partition as number) ?? 0) < end) {
      if (Date.now() > deadline) {
        throw new Error(
          `Read stopped at ${consumer.position(topic as string, partition as number)} of ${end}`,
        );
      }
      for (const record of await consumer.poll(500)) {
        if (record.offset >= end) continue;
        log.write({
          offset: record.offset,
          value: record.value === null ? null : decoder.decode(record.value),
        });
        count++;
      }
    }
    log.close();
    return { count, end };
  },
};

async function answer(line: string): Promise<string> {
  let id: unknown = null;
  try {
    const request = JSON.parse(line) as Args & { id: unknown; op: string };
    id = request.id;
    const op = ops[request.op];
    if (!op) throw new Error(`Unknown op "${request.op}"`);
    return JSON.stringify({ id, ok: true, result: await op(request) });
  } catch (error) {
    return JSON.stringify({ id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
}

async function serve(conn: Deno.Conn): Promise<void> {
  const encoder = new TextEncoder();
  let buffered = "";
  let writing = Promise.resolve();
  for await (const chunk of conn.readable.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      void answer(line).then((reply) => {
        writing = writing.then(() => conn.write(encoder.encode(reply + "\n")).then(() => {}));
      });
    }
  }
}

const listener = Deno.listen({ transport: "unix", path: socketPath });
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
console.log("agent ready");
for await (const conn of listener) void serve(conn).catch(() => conn.close());
