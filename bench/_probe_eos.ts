import { Producer } from "../src/client/producer.ts";
import { startCluster } from "../tests/helpers/cluster.ts";
import { RawKafka } from "../tests/integration/broker-harness.ts";
import { createAssignedTopic, waitForIsr } from "../tests/integration/replication-harness.ts";

const RECORDS = 400_000;
const batch = Number(Deno.env.get("PROBE_BATCH") ?? 512 * 1024);
await using cluster = await startCluster({ brokers: 3 });
await using admin = await RawKafka.connect(cluster.broker(1).port);
const value = new Uint8Array(100).fill(0x61);
for (let round = 0; round < 4; round++) {
  for (const idempotent of round % 2 === 0 ? [false, true] : [true, false]) {
    const topic = `p-${idempotent}-${round}`;
    await createAssignedTopic(admin, topic, [[1, 2, 3]], { "min.insync.replicas": "2" });
    await waitForIsr(admin, topic, 0, [1, 2, 3]);
    const stages: string[] = [];
    let t0 = 0;
    let n = 0;
    const answers: number[] = [];
    await using producer = new Producer({
      bootstrap: cluster.bootstrap, acks: "all", idempotent, batchBytes: batch,
      onBatchStages: (b) => {
        const s = b.stages;
        answers.push(s.answeredMs - s.sentMs);
        if (n++ < 8) stages.push(`#${n} sent+${(s.sentMs - t0).toFixed(0)} written+${(s.writtenMs - s.sentMs).toFixed(0)} answered+${(s.answeredMs - s.sentMs).toFixed(0)} recs ${b.recordCount}`);
      },
    });
    await producer.connect([topic]);
    t0 = performance.now();
    for (let i = 0; i < RECORDS; i++) {
      if (!producer.produce({ topic, partition: 0, value })) await producer.waitForSpace();
    }
    await producer.flush();
    const secs = (performance.now() - t0) / 1000;
    answers.sort((a, b) => a - b);
    console.log(`${idempotent ? "IDEM " : "PLAIN"} r${round} ${Math.round(RECORDS / secs)} rec/s batches ${answers.length} answer p50 ${answers[answers.length >> 1].toFixed(0)} ms max ${answers.at(-1)!.toFixed(0)}`);
    console.log("   " + stages.join("\n   "));
  }
}
