/**
 * A broker's /metrics against real processes: 3 brokers with --http-port 0, a replicated topic,
 * records produced, then a follower SIGKILLed and restarted. The leader's scrape must pass
 * `promtool check metrics` and its values must move as the cluster does: records and bytes in
 * after producing, the high watermark, an ISR shrink with the partition under-replicated during the
 * outage, an expansion and a full ISR after the restart. Bad paths get 404, other methods 405.
 */
import assert from "node:assert/strict";
import { createTopics, produceValues, startCluster, type TestCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { Admin } from "../../src/client/admin.ts";

const BROKER_ARGS = ["--replica-lag-time-max-ms", "2000", "--session-timeout-ms", "4000", "--http-port", "0"];
const TOPIC = "metered";

/** The metrics address a broker printed. */
async function metricsUrl(cluster: TestCluster, id: number): Promise<string> {
  const match = await cluster.broker(id).program.waitForOutput(
    /broker \d+ metrics on (http:\/\/\S+\/metrics)/,
  );
  return match[1];
}

/** The value of one sample (exact name and label text), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return await response.text();
}

async function promtool(text: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  return { code, output: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

peerTest(
  "a broker's /metrics passes promtool and moves with produce, ISR shrink and expansion",
  [PEERS.promtool],
  async () => {
    await using cluster = await startCluster({ brokers: 3, brokerArgs: BROKER_ARGS });
    await createTopics(cluster.bootstrap, [{ name: TOPIC, partitions: 1, replicationFactor: 3 }]);
    let leader: number;
    {
      await using admin = new Admin({ bootstrap: cluster.bootstrap });
      leader = (await admin.describeTopics([TOPIC]))[0].partitions[0].leader;
    }
    const url = await metricsUrl(cluster, leader);
    const series = `{topic="${TOPIC}",partition="0"}`;
    const topicLabel = `{topic="${TOPIC}"}`;
    await eventually(
      "a full ISR",
      async () => sample(await scrape(url), `vltava_partition_isr_size${series}`) === 3,
    );

    await produceValues(cluster.bootstrap, TOPIC, 0, 10);
    const afterProduce = await scrape(url);
    const checked = await promtool(afterProduce);
    assert.equal(checked.code, 0, `promtool check metrics failed:\n${checked.output}`);
    assert.equal(sample(afterProduce, `vltava_records_in_total${topicLabel}`), 10);
    assert.ok(sample(afterProduce, `vltava_bytes_in_total${topicLabel}`)! > 100);
    assert.equal(sample(afterProduce, `vltava_partition_high_watermark${series}`), 10);
    assert.equal(sample(afterProduce, `vltava_partition_log_end_offset${series}`), 10);
    assert.equal(sample(afterProduce, "vltava_under_replicated_partitions"), 0);
    assert.ok(sample(afterProduce, 'vltava_request_duration_seconds_count{api="Produce"}')! >= 1);
    assert.ok(sample(afterProduce, 'vltava_partitions{role="leader"}')! >= 1);
    assert.ok(sample(afterProduce, "process_resident_memory_bytes")! > 0);
    const shrinksBefore = sample(afterProduce, "vltava_isr_shrinks_total")!;

    const follower = cluster.brokers.find((b) => b.id !== leader)!;
    follower.program.signal("SIGKILL");
    const during = await eventually("the ISR shrink on the leader", async () => {
      const text = await scrape(url);
      return sample(text, `vltava_partition_isr_size${series}`) === 2 ? text : undefined;
    }, 90_000);
    assert.equal(sample(during, "vltava_isr_shrinks_total"), shrinksBefore + 1);
    assert.equal(sample(during, "vltava_under_replicated_partitions"), 1);
    const expandsBefore = sample(during, "vltava_isr_expands_total")!;

    await cluster.startBroker(follower.id, follower.port);
    const after = await eventually("the ISR expansion on the leader", async () => {
      const text = await scrape(url);
      return sample(text, `vltava_partition_isr_size${series}`) === 3 ? text : undefined;
    }, 90_000);
    assert.ok(sample(after, "vltava_isr_expands_total")! > expandsBefore);
    assert.equal(sample(after, "vltava_under_replicated_partitions"), 0);
    const final = await promtool(after);
    assert.equal(final.code, 0, final.output);

    // Exactly one broker says it is the controller, with its epoch.
    const scrapes = await Promise.all(
      cluster.brokers.map(async (b) => await scrape(await metricsUrl(cluster, b.id))),
    );
    const active = scrapes.filter((text) => sample(text, "vltava_active_controller") === 1);
    assert.equal(active.length, 1);
    assert.ok(sample(active[0], "vltava_controller_epoch")! >= 1);

    const missing = await fetch(url.replace("/metrics", "/nope"));
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /metrics are at \/metrics/);
    const posted = await fetch(url, { method: "POST", body: "x" });
    assert.equal(posted.status, 405);
    await posted.body?.cancel();
  },
);
