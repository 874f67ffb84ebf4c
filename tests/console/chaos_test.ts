/**
 * Built-in chaos with real processes: `vltava dev` (3 brokers, its console on a free port) and
 * `vltava chaos` against it. Each broker and the coordinator serve /metrics where dev prints (and the
 * console links). A killed broker leaves the timeline (broker-left), a restarted one
 * joins again; pause and resume answer; the endpoint refuses unknown actions, brokers that are not
 * the dev cluster's, and requests without the chaos header.
 */
import assert from "node:assert/strict";
import { startDev } from "../helpers/dev-cluster.ts";
import { eventually, runCli, tempDir } from "../helpers/program.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

async function events(url: string): Promise<{ type: string; broker?: number; seq: number }[]> {
  const response = await fetch(`${url}/api/events?limit=5000`);
  return (await response.json()).events;
}

Deno.test(
  "vltava chaos kills, pauses, resumes and restarts a dev cluster's broker; the timeline shows it",
  options,
  async () => {
    await using dir = await tempDir("vltava-chaos-");
    await using dev = startDev(dir.path, { brokers: 3 });
    const url = (await dev.waitForOutput(/console: +(http:\/\/\S+)/, 120_000))[1];
    await dev.waitForOutput(/Ctrl-C stops everything/, 120_000);
    // Every process serves /metrics where dev says, and the console links them.
    const printed = new Map(
      [...dev.stdout.matchAll(/(broker \d|coordinator) +(http:\/\/\S+\/metrics)/g)].map((m) => [m[1], m[2]]),
    );
    assert.deepEqual([...printed.keys()], ["broker 1", "broker 2", "broker 3", "coordinator"]);
    const scrape = async (metricsUrl: string) => {
      const response = await fetch(metricsUrl);
      assert.equal(response.status, 200);
      return await response.text();
    };
    // The elected broker reports itself active once it has loaded the cluster: wait for that, stably.
    await eventually("exactly one broker reporting vltava_active_controller 1", async () => {
      const active = await Promise.all(
        [1, 2, 3].map(async (id) =>
          /^vltava_active_controller 1$/m.test(await scrape(printed.get(`broker ${id}`)!)) ? 1 : 0
        ),
      );
      return active.filter((a) => a === 1).length === 1;
    }, 60_000);
    assert.match(await scrape(printed.get("coordinator")!), /^znode_count \d+$/m);
    const linked = await (await fetch(`${url}/api/cluster`)).json();
    assert.deepEqual(
      linked.brokers.map((b: { metricsUrl: string }) => b.metricsUrl),
      [1, 2, 3].map((id) => printed.get(`broker ${id}`)),
    );
    assert.equal(linked.coordinatorMetricsUrl, printed.get("coordinator"));

    const killed = await runCli(["chaos", "kill", "2", "--console", url]);
    assert.equal(killed.code, 0, killed.stderr);
    assert.match(killed.stdout, /^broker 2 killed \(SIGKILL\)/);
    const left = await eventually(
      "broker-left for broker 2",
      async () => (await events(url)).find((e) => e.type === "broker-left" && e.broker === 2),
      90_000,
    );
    // A dead broker cannot be paused: a clear refusal.
    const refused = await runCli(["chaos", "pause", "2", "--console", url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: Broker 2 is not running \(restart it first\)\n$/);

    const restarted = await runCli(["chaos", "restart", "2", "--console", url]);
    assert.equal(restarted.code, 0, restarted.stderr);
    await eventually(
      "broker-joined for broker 2 after it left",
      async () =>
        (await events(url)).find((e) => e.type === "broker-joined" && e.broker === 2 && e.seq > left.seq),
      90_000,
    );
    // The restarted broker serves its metrics at the same address again (opened after its registration).
    await eventually("broker 2's /metrics at the printed address after the restart", async () => {
      const response = await fetch(printed.get("broker 2")!).catch(() => undefined);
      const text = await response?.text();
      return text !== undefined && /^vltava_partitions\{role="leader"\} \d+$/m.test(text);
    }, 60_000);

    assert.match(
      (await runCli(["chaos", "pause", "3", "--console", url])).stdout,
      /broker 3 paused \(SIGSTOP\)/,
    );
    assert.match((await runCli(["chaos", "resume", "3", "--console", url])).stdout, /broker 3 resumed/);

    const stranger = await runCli(["chaos", "kill", "9", "--console", url]);
    assert.equal(stranger.code, 1);
    assert.match(stranger.stderr, /broker 9 is not one of this dev cluster's brokers \(1, 2, 3\)/);
    const badAction = await runCli(["chaos", "explode", "1", "--console", url]);
    assert.equal(badAction.code, 2);
    assert.match(badAction.stderr, /unknown action "explode"/);
    const noHeader = await fetch(`${url}/api/chaos/kill/1`, { method: "POST" });
    assert.equal(noHeader.status, 403);
    await noHeader.body?.cancel();
    const cluster = await (await fetch(`${url}/api/cluster`)).json();
    assert.deepEqual(cluster.chaos, ["kill", "pause", "resume", "stop", "restart"]);
    assert.equal(cluster.brokers.filter((b: { live: boolean }) => b.live).length, 3);
  },
);
