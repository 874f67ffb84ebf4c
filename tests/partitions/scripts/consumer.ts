/**
 * The partition tests' reader, run inside the clients' namespace: one project Consumer assigned
 * every partition of the topic from the earliest offset, logging every record it is handed, in
 * order, to an NDJSON file: {"consumer","partition","offset","value","t"}. Errors (a leader gone,
 * a timeout) are logged as {"type":"error",…} and reading goes on. SIGTERM stops it.
 *
 * Usage: consumer.ts '<json WorkloadConsumerConfig>'
 */
import { Consumer } from "../../../src/client/consumer.ts";
import { NdjsonLog, stopOnSignal } from "./ndjson-log.ts";

export interface WorkloadConsumerConfig {
  bootstrap: string;
  topic: string;
  partitions: number[];
  /** Name in the log (the checker tracks each consumer on its own). */
  name: string;
  log: string;
  requestTimeoutMs: number;
}

const config = JSON.parse(Deno.args[0]) as WorkloadConsumerConfig;
const log = new NdjsonLog(config.log);
let stopping = false;
stopOnSignal(() => stopping = true);

const consumer = new Consumer({
  bootstrap: config.bootstrap,
  clientId: config.name,
  maxWaitMs: 250,
  requestTimeoutMs: config.requestTimeoutMs,
  connectTimeoutMs: config.requestTimeoutMs,
  metadataMaxAgeMs: 5_000,
});
const decoder = new TextDecoder();
await consumer.assign(
  config.partitions.map((partition) => ({ topic: config.topic, partition, from: "earliest" })),
);
console.log("consuming");
while (!stopping) {
  try {
    const records = await consumer.poll(250);
    const t = Date.now();
    for (const record of records) {
      log.write({
        consumer: config.name,
        partition: record.partition,
        offset: record.offset,
        value: record.value === null ? null : decoder.decode(record.value),
        t,
      });
    }
  } catch (error) {
    // The consumer keeps its positions; polling again retries from there.
    log.write({ type: "error", consumer: config.name, t: Date.now(), error: String(error).slice(0, 200) });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
await consumer.close();
log.close();
