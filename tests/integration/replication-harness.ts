/**
 * Helpers for the replication tests: a cluster of real broker processes (tests/helpers/cluster.ts),
 * topics with explicit replica assignments, the partition state as brokers report it
 * (Metadata), and partition segment bytes on disk for byte-for-byte checks.
 */
import { encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import { eventually } from "../helpers/program.ts";
import type { TestCluster } from "../helpers/cluster.ts";
import { RawKafka } from "./broker-harness.ts";

export function batchOf(values: string[]): Uint8Array {
  return encodeRecordBatch({ records: values.map((value) => ({ key: null, value, timestamp: Date.now() })) });
}

/** Create a topic whose partition p is placed on assignments[p] (first = initial leader). */
export async function createAssignedTopic(
  client: RawKafka,
  name: string,
  assignments: number[][],
  configs: Record<string, string> = {},
): Promise<void> {
  const response = await client.createAssignedTopic(name, assignments, configs);
  const topic = response.topics[0];
  if (topic.errorCode !== 0) {
    throw new Error(`CreateTopics ${name}: error ${topic.errorCode} ${topic.errorMessage}`);
  }
}

/** Leader, leader epoch and ISR of a partition as a broker's metadata reports them. */
export async function describePartition(client: RawKafka, topic: string, partition: number) {
  const metadata = await client.metadata([topic]);
  const p = metadata.topics[0]?.partitions.find((x) => x.partitionIndex === partition);
  if (!p) throw new Error(`No metadata for ${topic}:${partition}`);
  return { leader: p.leaderId, leaderEpoch: p.leaderEpoch ?? -1, isr: [...p.isrNodes].sort((a, b) => a - b) };
}

/** Wait until the broker reports exactly this ISR (sorted). */
export function waitForIsr(
  client: RawKafka,
  topic: string,
  partition: number,
  isr: number[],
  timeoutMs = 60_000,
) {
  const wanted = [...isr].sort((a, b) => a - b).join(",");
  return eventually(`ISR of ${topic}:${partition} to be [${wanted}]`, async () => {
    const state = await describePartition(client, topic, partition);
    return state.isr.join(",") === wanted ? state : undefined;
  }, timeoutMs);
}

/** The partition's segment files concatenated (in base-offset order). */
export async function segmentBytes(dataDir: string, topic: string, partition: number): Promise<Uint8Array> {
  const dir = `${dataDir}/${topic}-${partition}`;
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.name.endsWith(".log")) names.push(entry.name);
  names.sort();
  const parts = await Promise.all(names.map((name) => Deno.readFile(`${dir}/${name}`)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** A raw client connected to broker `id` of the cluster. */
export function clientOf(cluster: TestCluster, id: number): Promise<RawKafka> {
  return RawKafka.connect(cluster.broker(id).port);
}

/** One Fetch v11 of one partition claiming to be `replicaId` (-1 = consumer). */
export function fetchAs(
  client: RawKafka,
  topic: string,
  partition: number,
  fetchOffset: number,
  replicaId: number,
) {
  return client.fetch(topic, partition, fetchOffset, {
    maxBytes: 1_048_576,
    partitionMaxBytes: 1_048_576,
    replicaId,
  });
}

/** Produce v7 with acks=all and this timeout_ms; the partition response. */
export function produceWithTimeout(
  client: RawKafka,
  topic: string,
  partition: number,
  records: Uint8Array,
  timeoutMs: number,
) {
  return client.produce(topic, partition, records, -1, timeoutMs);
}
