/**
 * The partition tests' writer, run inside the clients' namespace: for each partition, `writers`
 * loops each send one acks=all record at a time through the project's Producer (one Producer per
 * loop, so a stuck partition holds up nobody else) and log every attempt to an NDJSON file:
 *   {"type":"ok","writer","partition","value","offset","start","end"}
 *   {"type":"fail","writer","partition","value","start","end","error"}
 * Values are unique (`<writer>-<seq>`), so the checker can follow each one. A failed attempt is
 * indeterminate (it may still be in the log); the loop goes on with the next value after a short
 * pause. SIGTERM stops the loops, closes the producers and flushes the log.
 *
 * Usage: producer.ts '<json WorkloadProducerConfig>'
 */
import { Producer } from "../../../src/client/producer.ts";
import { KafkaError } from "../../../src/kafka/errors.ts";
import { NdjsonLog, stopOnSignal } from "./ndjson-log.ts";

export interface WorkloadProducerConfig {
  bootstrap: string;
  topic: string;
  partitions: number[];
  /** Concurrent send loops per partition. */
  writers: number;
  log: string;
  /** Pause between sends of one loop (0: as fast as acknowledgements come). */
  intervalMs: number;
  /** Broker-side acks=all wait (Produce timeout_ms). */
  ackTimeoutMs: number;
  /** Client-side wait for any response. */
  requestTimeoutMs: number;
  retries: number;
}

const config = JSON.parse(Deno.args[0]) as WorkloadProducerConfig;
const log = new NdjsonLog(config.log);
let stopping = false;
stopOnSignal(() => stopping = true);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FAILED_ATTEMPT_PAUSE_MS = 100;

function describe(error: unknown): string {
  if (error instanceof KafkaError) return error.type;
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 200);
}

async function writeLoop(partition: number, writer: string): Promise<void> {
  const producer = new Producer({
    bootstrap: config.bootstrap,
    clientId: writer,
    acks: "all",
    lingerMs: 0,
    ackTimeoutMs: config.ackTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    connectTimeoutMs: config.requestTimeoutMs,
    retries: config.retries,
    retryBackoffMs: 50,
    maxRetryBackoffMs: 250,
    metadataMaxAgeMs: 5_000,
  });
  for (let seq = 0; !stopping; seq++) {
    const value = `${writer}-${seq}`;
    const start = Date.now();
    try {
      const { offset } = await producer.send({ topic: config.topic, partition, value });
      log.write({ type: "ok", writer, partition, value, offset, start, end: Date.now() });
      if (config.intervalMs > 0) await sleep(config.intervalMs);
    } catch (error) {
      log.write({ type: "fail", writer, partition, value, start, end: Date.now(), error: describe(error) });
      await sleep(FAILED_ATTEMPT_PAUSE_MS);
    }
  }
  // Whatever is still unacknowledged at the stop is as indeterminate as a failed attempt.
  await producer.close().catch(() => {});
}

const loops = config.partitions.flatMap((partition) =>
  Array.from({ length: config.writers }, (_, i) => writeLoop(partition, `p${partition}w${i}`))
);
console.log("producing");
await Promise.all(loops);
log.close();
