/// <reference lib="dom" />
/**
 * The web console against real processes: `vltava console` serving a 3-broker cluster. The API
 * answers the views (partition progress and the znode browser included) and refuses bad requests with
 * clear 4xx JSON; in headless Chromium (driven by
 * playwright-core) the page shows the three brokers and the controller, a produced partition's
 * high watermark, then — after the partition's leader is SIGKILLed — the leader change and
 * the ISR shrink live (no reload), after the restart the ISR whole again, and a group's lag chart
 * rising while its consumer is paused and falling when it resumes (read off the values the chart
 * draws). The API test also sees a rebalance bump the group's generation in /api/groups and in
 * `vltava events --json`, and pages /api/groups. The browser test runs
 * on `vltava dev` and kills and restarts the leader with the page's own chaos buttons (the kill
 * asks for confirmation). Screenshots of the
 * views go to $VLTAVA_ARTIFACTS (default: a temp dir), never into the repository.
 */
import assert from "node:assert/strict";
import { startDev } from "../helpers/dev-cluster.ts";
import { openChromium } from "../helpers/chromium.ts";
import { createTopics, produceValues, startCluster, type TestCluster } from "../helpers/cluster.ts";
import { eventually, RunningProgram, tempDir } from "../helpers/program.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { Admin } from "../../src/client/admin.ts";
import { GroupAdmin } from "../../src/client/group-admin.ts";
import { GroupConsumer } from "../../src/client/group-consumer.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const BROKER_ARGS = ["--replica-lag-time-max-ms", "3000", "--session-timeout-ms", "4000"];
const TOPIC = "shown";
const LAGGING = "lagging";

async function startConsole(cluster: TestCluster): Promise<{ program: RunningProgram; url: string }> {
  const program = new RunningProgram([
    "console",
    "--coordinator",
    cluster.coordinatorAddress,
    "--port",
    "0",
    "--sample-ms",
    "300",
  ]);
  try {
    const match = await program.waitForOutput(/console: (http:\/\/\S+)/);
    return { program, url: match[1] };
  } catch (error) {
    await program.stop("SIGKILL");
    throw error;
  }
}

async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, init);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  return { status: response.status, body: await response.json() };
}

Deno.test("the console API answers the views and refuses bad requests with clear 4xx", options, async () => {
  await using cluster = await startCluster({ brokers: 3, brokerArgs: BROKER_ARGS });
  const { program, url } = await startConsole(cluster);
  await using _console = program;
  const cluster1 = await eventually("three live brokers and a controller", async () => {
    const { body } = await getJson(`${url}/api/cluster`);
    const brokers = body.brokers as { live: boolean; controller: boolean }[];
    return brokers.filter((b) => b.live).length === 3 && body.controller !== null ? body : undefined;
  });
  assert.equal((cluster1.brokers as { controller: boolean }[]).filter((b) => b.controller).length, 1);
  const events = await getJson(`${url}/api/events?since=1h&type=broker-joined`);
  assert.equal((events.body.events as { type: string }[]).length, 3);

  const unknown = await getJson(`${url}/api/nope`);
  assert.equal(unknown.status, 404);
  assert.match(String(unknown.body.error), /no such path \/api\/nope: try/);
  const badSince = await getJson(`${url}/api/events?since=yesterday`);
  assert.equal(badSince.status, 400);
  assert.match(String(badSince.body.error), /^since: expected a duration/);
  assert.equal((await getJson(`${url}/api/events?limit=0`)).status, 400);
  const badType = await getJson(`${url}/api/events?type=leader-moved`);
  assert.equal(badType.status, 400);
  assert.match(String(badType.body.error), /unknown event type "leader-moved"/);
  assert.equal((await getJson(`${url}/api/cluster`, { method: "POST", body: "{}" })).status, 405);
  const noChaos = await getJson(`${url}/api/chaos/kill/1`, {
    method: "POST",
    headers: { "x-vltava-chaos": "yes" },
  });
  assert.equal(noChaos.status, 404);
  assert.match(String(noChaos.body.error), /only available in a cluster started by vltava dev/);

  // Group lag: committed offsets against the sampled high watermark, growing as records arrive.
  await createTopics(cluster.bootstrap, [{ name: "lagged", partitions: 1, replicationFactor: 3 }]);
  await produceValues(cluster.bootstrap, "lagged", 0, 5);
  const groupAdmin = new GroupAdmin({ bootstrap: cluster.bootstrap });
  try {
    await groupAdmin.resetOffsets("watchers", "lagged", { kind: "offset", offset: 2 }, false);
  } finally {
    groupAdmin.cluster.close();
  }
  type GroupBody = { group: string; totalLag: number; offsets: { committed: number; lag: number | null }[] };
  const lagOf = async () =>
    ((await getJson(`${url}/api/groups`)).body.groups as GroupBody[]).find((g) => g.group === "watchers");
  const first = await eventually(
    "lag 3 for the group",
    async () => (await lagOf())?.totalLag === 3 ? await lagOf() : undefined,
  );
  assert.deepEqual(first!.offsets.map((o) => [o.committed, o.lag]), [[2, 3]]);
  await produceValues(cluster.bootstrap, "lagged", 0, 4);
  await eventually("lag 7 after four more records", async () => (await lagOf())?.totalLag === 7);

  // The partition's whole progress: log start, high watermark, last stable offset, log end and the gap.
  type PartitionBody = { partition: number; logStart: number; highWatermark: number; lastStable: number };
  const progress = await eventually("lagged-0 at 9 everywhere", async () => {
    const topics = (await getJson(`${url}/api/topics`)).body.topics as {
      name: string;
      partitions: (PartitionBody & { logEnd: number; unreplicated: number })[];
    }[];
    const p = topics.find((t) => t.name === "lagged")?.partitions[0];
    return p?.highWatermark === 9 && p.logEnd === 9 && p.lastStable === 9 ? p : undefined;
  });
  assert.equal(progress.logStart, 0);
  assert.equal(progress.unreplicated, 0);

  // A page of partitions: filtered by topic, cut by offset and limit, with the number that matched.
  type TopicsBody = { topics: { name: string; partitions: { partition: number }[] }[]; partitions: number };
  const all = (await getJson(`${url}/api/topics`)).body as unknown as TopicsBody;
  const flat = all.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partition}`));
  assert.equal(all.partitions, flat.length);
  assert.ok(flat.length > 3, "__consumer_offsets and lagged");
  const page = (await getJson(`${url}/api/topics?offset=1&limit=2`)).body as unknown as TopicsBody;
  assert.deepEqual(
    page.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partition}`)),
    flat.slice(1, 3),
  );
  assert.equal(page.partitions, flat.length);
  const filtered = (await getJson(`${url}/api/topics?topic=lagg`)).body as unknown as TopicsBody;
  assert.deepEqual(filtered.topics.map((t) => t.name), ["lagged"]);
  const badLimit = await getJson(`${url}/api/topics?limit=-1`);
  assert.equal(badLimit.status, 400);
  assert.match(String(badLimit.body.error), /^limit: expected an integer from 0 to 10000/);

  // Generations: a rebalance bumps the one the console shows and the one `vltava events` tells.
  await using follower = new RunningProgram([
    "events",
    "--coordinator",
    cluster.coordinatorAddress,
    "--follow",
    "--json",
    "--sample-ms",
    "300",
  ]);
  // Its first sampling round is a baseline that emits nothing: once it tells a watermark move, later
  // rounds tell rebalances. (A record produced before that round would move nothing: produce until one
  // is told.)
  await eventually(
    "vltava events past its baseline round",
    async () => {
      await produceValues(cluster.bootstrap, "lagged", 0, 1);
      return follower.stdout.split("\n").filter((line) => line.startsWith("{")).map((line) =>
        JSON.parse(line)
      )
        .some((e) => e.type === "high-watermark" && e.topic === "lagged");
    },
    60_000,
    1000,
  );
  type Completed = { type: string; group: string; generation: number | null; members: string[] };
  const completedEvents = () =>
    follower.stdout.split("\n").filter((line) => line.startsWith("{")).map((line) =>
      JSON.parse(line) as Completed
    )
      .filter((e) => e.type === "group-rebalance-completed" && e.group === "rebalancers");
  type GenerationBody = { group: string; state: string; generation: number | null; members: unknown[] };
  const rebalancers = async () =>
    ((await getJson(`${url}/api/groups`)).body.groups as GenerationBody[]).find((g) =>
      g.group === "rebalancers"
    );
  const consumerOptions = { bootstrap: cluster.bootstrap, groupId: "rebalancers", topics: ["lagged"] };
  await using firstMember = new GroupConsumer({ ...consumerOptions, clientId: "first" });
  await firstMember.start();
  const oneMember = await eventually(
    "a completed rebalance with one member, generation known",
    () => completedEvents().find((e) => e.members.length === 1 && e.generation !== null),
    60_000,
  );
  assert.equal(oneMember.generation, firstMember.generationId);
  await eventually("the console shows that generation", async () => {
    const g = await rebalancers();
    return g?.state === "Stable" && g.generation === firstMember.generationId;
  }, 60_000);
  // A second member: the first must rejoin (it does so while polling).
  let polling = true;
  const pollFirst = (async () => {
    while (polling) await firstMember.poll(100);
  })();
  await using secondMember = new GroupConsumer({ ...consumerOptions, clientId: "second" });
  try {
    await secondMember.start();
  } finally {
    polling = false;
    await pollFirst;
  }
  const twoMembers = await eventually(
    "a completed rebalance with two members",
    () => completedEvents().find((e) => e.members.length === 2 && e.generation !== null),
    60_000,
  );
  assert.ok(
    twoMembers.generation! > oneMember.generation!,
    `generation ${oneMember.generation} -> ${twoMembers.generation}`,
  );
  assert.equal(twoMembers.generation, secondMember.generationId);
  await eventually("the console shows the new generation with two members", async () => {
    const g = await rebalancers();
    return g?.state === "Stable" && g.generation === twoMembers.generation && g.members.length === 2;
  }, 60_000);

  // A page of groups, the same way: filtered by group id, cut by offset and limit, with the count matched.
  type GroupsBody = { groups: { group: string }[]; count: number; offset: number; limit: number };
  const allGroups = (await getJson(`${url}/api/groups`)).body as unknown as GroupsBody;
  assert.deepEqual(allGroups.groups.map((g) => g.group), ["rebalancers", "watchers"]);
  assert.equal(allGroups.count, 2);
  const secondGroup = (await getJson(`${url}/api/groups?offset=1&limit=1`)).body as unknown as GroupsBody;
  assert.deepEqual([secondGroup.groups.map((g) => g.group), secondGroup.count], [["watchers"], 2]);
  const watchersOnly = (await getJson(`${url}/api/groups?group=watch`)).body as unknown as GroupsBody;
  assert.deepEqual([watchersOnly.groups.map((g) => g.group), watchersOnly.count], [["watchers"], 1]);
  const beyond = (await getJson(`${url}/api/groups?offset=5`)).body as unknown as GroupsBody;
  assert.deepEqual([beyond.groups, beyond.count], [[], 2]);
  const badOffset = await getJson(`${url}/api/groups?offset=two`);
  assert.equal(badOffset.status, 400);
  assert.match(String(badOffset.body.error), /^offset: expected an integer from 0 to/);
  assert.equal((await getJson(`${url}/api/groups?limit=10001`)).status, 400);

  // The znode browser: a node's data, Stat and children, read-only; bad and missing paths refused.
  const ids = await getJson(`${url}/api/znodes?path=${encodeURIComponent("/brokers/ids")}`);
  assert.equal(ids.status, 200);
  assert.deepEqual(ids.body.children, ["1", "2", "3"]);
  const one = await getJson(`${url}/api/znodes?path=/brokers/ids/1`);
  const stat = one.body.stat as { ephemeralOwner: string; numChildren: number };
  assert.notEqual(stat.ephemeralOwner, "0x0", "a broker's registration is ephemeral");
  assert.equal(one.body.encoding, "utf-8");
  assert.equal(JSON.parse(String(one.body.data)).port > 0, true);
  const missing = await getJson(`${url}/api/znodes?path=/no/such/node`);
  assert.equal(missing.status, 404);
  assert.match(String(missing.body.error), /^no znode at \/no\/such\/node/);
  const malformed = await getJson(`${url}/api/znodes?path=brokers/`);
  assert.equal(malformed.status, 400);
  assert.match(String(malformed.body.error), /^path: Path must start with "\/"/);

  // A stream client that connects and vanishes costs nothing: the server still answers.
  const abort = new AbortController();
  const stream = await fetch(`${url}/api/stream`, { signal: abort.signal });
  assert.equal(stream.headers.get("content-type"), "text/event-stream");
  abort.abort();
  await stream.body?.cancel().catch(() => {});
  assert.equal((await getJson(`${url}/api/topics`)).status, 200);
});

peerTest(
  "in Chromium, on vltava dev, killing a leader from the page shows the leader change and ISR shrink live; restart expands it",
  [PEERS.chromium],
  async () => {
    const artifacts = Deno.env.get("VLTAVA_ARTIFACTS") ??
      await Deno.makeTempDir({ prefix: "vltava-console-shots-" });
    await Deno.mkdir(artifacts, { recursive: true });
    await using dir = await tempDir("vltava-console-dev-");
    await using dev = startDev(dir.path, { brokers: 3 });
    const url = (await dev.waitForOutput(/console: +(http:\/\/\S+)/, 120_000))[1];
    const bootstrap = (await dev.waitForOutput(/bootstrap: +(\S+)/, 120_000))[1];
    const browser = await openChromium();
    try {
      const page = browser.page;
      await page.goto(url);
      await page.waitForFunction(() => document.querySelectorAll("#brokers td.live").length === 3);
      assert.equal(await page.locator("#brokers .badge").count(), 1);
      assert.match(await page.locator("#status").innerText(), /controller: \d+ \(epoch \d+\)/);

      await createTopics(bootstrap, [{ name: TOPIC, partitions: 1, replicationFactor: 3 }]);
      await produceValues(bootstrap, TOPIC, 0, 5);
      const row = page.locator(`#partitions tr[data-partition="${TOPIC}-0"]`);
      await row.locator("td.hwm", { hasText: "5" }).waitFor({ timeout: 60_000 });
      const victim = Number(await row.locator("td.leader").innerText());
      assert.equal((await row.locator("td.isr").innerText()).split(",").length, 3);
      await page.screenshot({ path: `${artifacts}/console-healthy.png`, fullPage: true });

      // Kill it from the page: the destructive action asks for confirmation first.
      const dialogs: string[] = [];
      page.on("dialog", (dialog) => {
        dialogs.push(dialog.message());
        void dialog.accept();
      });
      await page.locator(`#brokers button.chaos[data-action="kill"][data-broker="${victim}"]`).click();
      await page.locator("#chaos-result", { hasText: `broker ${victim} killed` }).waitFor();
      assert.deepEqual(dialogs, [`kill broker ${victim}?`]);
      await page.waitForFunction(
        ({ topic, victim }) => {
          const tr = document.querySelector(`#partitions tr[data-partition="${topic}-0"]`);
          const leader = Number(tr?.querySelector("td.leader")?.textContent);
          const oos = tr?.querySelector("td.out-of-sync")?.textContent ?? "";
          return leader > 0 && leader !== victim && oos.includes(String(victim));
        },
        { topic: TOPIC, victim },
        { timeout: 90_000 },
      );
      await page.locator("#timeline .t-leader-changed", { hasText: `${TOPIC}-0` }).first().waitFor();
      await page.locator("#timeline .t-isr-shrunk", { hasText: `${TOPIC}-0` }).first().waitFor();
      await page.locator("#brokers td.dead").first().waitFor();
      // Clicking an event shows its facts and the partition's state before and after it.
      await page.locator("#timeline .t-leader-changed", { hasText: `${TOPIC}-0` }).first().click();
      const detail = JSON.parse(await page.locator("#detail-json").innerText());
      assert.equal(detail.type, "leader-changed");
      assert.equal(detail.oldLeader, victim);
      assert.equal(await page.locator("#detail-ba tr.ba-leader td.before").innerText(), String(victim));
      assert.equal(
        await page.locator("#detail-ba tr.ba-leader td.after").innerText(),
        String(detail.newLeader),
      );
      assert.match(
        await page.locator("#detail-ba tr.ba-ISR td.before").innerText(),
        new RegExp(`\\b${victim}\\b`),
      );
      assert.doesNotMatch(
        await page.locator("#detail-ba tr.ba-ISR td.after").innerText(),
        new RegExp(`\\b${victim}\\b`),
      );
      await page.screenshot({ path: `${artifacts}/console-after-kill.png` }); // the viewport: README shows it

      await page.locator(`#brokers button.chaos[data-action="restart"][data-broker="${victim}"]`).click();
      await page.waitForFunction(
        (topic) => {
          const tr = document.querySelector(`#partitions tr[data-partition="${topic}-0"]`);
          return tr !== null && (tr.querySelector("td.out-of-sync")?.textContent ?? "x") === "";
        },
        TOPIC,
        { timeout: 90_000 },
      );
      await page.locator("#timeline .t-isr-expanded", { hasText: `${TOPIC}-0` }).first().waitFor();
      // The znode browser: from / down to the brokers' registrations, with their Stat.
      await page.locator('#znode-children a[data-path="/brokers"]').click();
      await page.locator('#znode-children a[data-path="/brokers/ids"]').click();
      await page.locator(`#znode-children a[data-path="/brokers/ids/${victim}"]`).click();
      // Its registration is ephemeral: the owner is a session (the parents' show 0x0).
      await page.waitForFunction(() => {
        const owner = document.querySelector("#znode-stat .stat-ephemeralOwner")?.textContent ?? "0x0";
        return owner !== "0x0" && document.querySelector("#znode-data")?.textContent?.includes('"port"');
      });
      // The type filter keeps only that type.
      await page.selectOption("#f-type", "isr-expanded");
      const shown = await page.locator("#timeline div.ev").allInnerTexts();
      assert.ok(shown.length > 0 && shown.every((text) => text.includes("isr-expanded")));
      await page.screenshot({ path: `${artifacts}/console-recovered.png`, fullPage: true });

      // A group's lag chart grows while its consumer is paused and falls when it resumes.
      await createTopics(bootstrap, [{ name: LAGGING, partitions: 1, replicationFactor: 3 }]);
      await using consumer = new GroupConsumer({
        bootstrap,
        groupId: "charted",
        clientId: "charted",
        topics: [LAGGING],
        autoOffsetReset: "earliest",
      });
      const readAll = async (count: number) => {
        let read = 0;
        await eventually(`the consumer reads ${count} records`, async () => {
          read += (await consumer.poll(500)).length;
          return read >= count;
        }, 60_000);
        await consumer.commit();
      };
      /** The lag values the group's chart draws, oldest first. */
      const drawn = async () =>
        (await page.locator('#groups tr[data-group="charted"] svg.lag-chart').getAttribute("data-lags"))
          ?.split(",").map(Number) ?? [];
      const chartEndsAt = (lag: number) =>
        page.waitForFunction(
          (lag) => {
            const svg = document.querySelector('#groups tr[data-group="charted"] svg.lag-chart');
            return svg?.getAttribute("data-lags")?.split(",").map(Number).at(-1) === lag;
          },
          lag,
          { timeout: 60_000 },
        );
      await produceValues(bootstrap, LAGGING, 0, 5);
      await readAll(5);
      await chartEndsAt(0);
      // The group's generation, as its coordinator recorded it, is the one the consumer joined with.
      // (A round that could not read the group's __consumer_offsets partition up to date shows it
      // unknown, as "?", e.g. right after that topic was created: wait for the value, then it stays.)
      await page.locator('#groups tr[data-group="charted"] td.generation', {
        hasText: new RegExp(`^${consumer.generationId}$`),
      }).waitFor({ timeout: 60_000 });
      assert.equal(await page.locator("#g-range").innerText(), "1–1 of 1");
      // Paused: no poll (the background heartbeat keeps it a member) while records keep coming.
      await produceValues(bootstrap, LAGGING, 0, 10);
      await chartEndsAt(10);
      await produceValues(bootstrap, LAGGING, 0, 10);
      await chartEndsAt(20);
      const grown = await drawn();
      const rise = grown.slice(grown.lastIndexOf(0));
      assert.ok(rise.includes(10) && rise.every((v, i) => i === 0 || v >= rise[i - 1]), `drawn: ${grown}`);
      await page.locator("#groups-view").screenshot({ path: `${artifacts}/console-lag-paused.png` });
      // Resumed: it reads the twenty and commits; the chart falls back to 0.
      await readAll(20);
      await chartEndsAt(0);
      const fallen = await drawn();
      assert.ok(fallen.indexOf(20) >= 0 && fallen.indexOf(20) < fallen.length - 1, `drawn: ${fallen}`);
      await page.locator("#groups-view").screenshot({ path: `${artifacts}/console-lag-resumed.png` });
      console.log(`console screenshots in ${artifacts}`);
    } finally {
      await browser.close();
    }
    {
      await using admin = new Admin({ bootstrap });
      assert.ok((await admin.describeTopics([TOPIC]))[0].partitions[0].isr.length === 3);
    }
  },
  options,
);
