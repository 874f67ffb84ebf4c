/// <reference lib="dom" />
/**
 * `deno task bench console`: what watching the cluster costs and how fast it tells.
 *
 * 1. Produce throughput of one broker (acks=1, 100-byte values, the producer of `bench broker`)
 *    with its `/metrics` scraped every second against without, runs interleaved (without, with,
 *    without, …) so that the shared machine's drift hits both alike. Target: within 2 %.
 * 2. Time from a leader's SIGKILL to the `leader-changed` event: in the timeline library, in the
 *    output of a running `vltava events --follow --json`, and on the page of a running `vltava
 *    console` in headless Chromium (its timeline row drawn), on 3 brokers with a 4000 ms session
 *    timeout; also when the controller wrote the new state (the event's own znode time), so the
 *    timeline's own delay shows apart from the session timeout.
 *
 * 3. The console server at scale: 1,000 partitions (10 topics × 100, one broker) and 100 groups
 *    with committed offsets; `vltava console` sampling every second: its resident memory after 15 s,
 *    and how long its answers take (the whole /api/topics, one page of 100, /api/groups whole and one
 *    page of 25); then the page itself in headless Chromium (playwright-core, /usr/bin/chromium): the
 *    `vltava-refresh` user-timing measure the page records for each update (three fetches — cluster,
 *    one page of partitions, one page of groups — and the redraw), over 30 updates, and the time from
 *    opening the page to its first full view.
 *
 * Knobs (env): BENCH_RECORDS (default 1,000,000), BENCH_RUNS (4 per side), BENCH_FAILOVERS (3);
 * BENCH_CONSOLE_PART=scale runs part 3 only, =failover part 2 only.
 */
import { createTopics, startCluster } from "../tests/helpers/cluster.ts";
import { eventually, RunningProgram } from "../tests/helpers/program.ts";
import { GroupAdmin } from "../src/client/group-admin.ts";
import { Admin } from "../src/client/admin.ts";
import { Timeline } from "../src/events/timeline.ts";
import { produceOurs } from "./broker.ts";
import { PEERS } from "../tests/helpers/peers.ts";
import { openChromium } from "../tests/helpers/chromium.ts";

const RECORDS = Number(Deno.env.get("BENCH_RECORDS") ?? 1_000_000);
const RUNS = Math.max(1, Number(Deno.env.get("BENCH_RUNS") ?? 4));
const FAILOVERS = Math.max(1, Number(Deno.env.get("BENCH_FAILOVERS") ?? 3));

/** `vltava console` on a free port, sampling the brokers every second (its default). */
const consoleArgs = (coordinator: string) => ["console", "--coordinator", coordinator, "--port", "0"];
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function scrapedThroughput(): Promise<void> {
  await using cluster = await startCluster({ brokerArgs: ["--http-port", "0"] });
  const match = await cluster.brokers[0].program.waitForOutput(/metrics on (http:\/\/\S+\/metrics)/);
  const url = match[1];
  const topics = Array.from({ length: RUNS * 2 }, (_, i) => ({ name: `bench-metrics-${i}`, partitions: 1 }));
  await createTopics(cluster.bootstrap, topics);
  const plain: number[] = [];
  const scraped: number[] = [];
  let scrapes = 0;
  let scrapeBytes = 0;
  for (let run = 0; run < RUNS * 2; run++) {
    const scraping = run % 2 === 1;
    let timer: ReturnType<typeof setInterval> | undefined;
    if (scraping) {
      timer = setInterval(async () => {
        const text = await (await fetch(url)).text();
        scrapes++;
        scrapeBytes = text.length;
      }, 1000);
    }
    try {
      const seconds = await produceOurs(cluster.bootstrap, topics[run].name, RECORDS);
      (scraping ? scraped : plain).push(RECORDS / seconds);
    } finally {
      clearInterval(timer);
    }
  }
  const best = (values: number[]) => Math.max(...values);
  console.log(
    `\n${
      fmt(RECORDS)
    } records of 100 bytes per run, acks=1, one partition; ${RUNS} runs per side, interleaved; ` +
      `${scrapes} scrapes of ~${fmt(scrapeBytes)} bytes\n`,
  );
  console.log("| broker | best records/s | median records/s |");
  console.log("|---|---:|---:|");
  console.log(`| not scraped | ${fmt(best(plain))} | ${fmt(median(plain))} |`);
  console.log(`| /metrics scraped every 1 s | ${fmt(best(scraped))} | ${fmt(median(scraped))} |`);
  const change = (median(scraped) / median(plain) - 1) * 100;
  console.log(`\nmedian with scraping vs without: ${change >= 0 ? "+" : ""}${change.toFixed(1)} %`);
}

async function failoverToEvent(): Promise<void> {
  await using cluster = await startCluster({
    brokers: 3,
    brokerArgs: ["--session-timeout-ms", "4000", "--replica-lag-time-max-ms", "3000"],
  });
  await using timeline = await Timeline.start({
    coordinator: cluster.coordinatorAddress,
    sampleIntervalMs: 0,
  });
  const seen: number[] = [];
  const written: number[] = [];
  const printed: number[] = [];
  const drawn: number[] = [];
  await using events = new RunningProgram([
    "events",
    "--coordinator",
    cluster.coordinatorAddress,
    "--follow",
    "--json",
  ]);
  await using server = new RunningProgram(consoleArgs(cluster.coordinatorAddress));
  const url = (await server.waitForOutput(/console: (http:\/\/\S+)/, 60_000))[1];
  await using browser = PEERS.chromium.available ? await openChromium() : undefined;
  await browser?.page.goto(url);
  for (let round = 0; round < FAILOVERS; round++) {
    const topic = `bench-failover-${round}`;
    await createTopics(cluster.bootstrap, [{ name: topic, partitions: 1, replicationFactor: 3 }]);
    let leader: number;
    {
      await using admin = new Admin({ bootstrap: cluster.bootstrap });
      leader = (await admin.describeTopics([topic]))[0].partitions[0].leader;
    }
    // The page shows the topic's first leader before the kill (so its row is the one to wait for).
    await browser?.page.locator("#timeline .t-leader-changed", { hasText: `${topic}-0` }).first()
      .waitFor({ timeout: 60_000 });
    const from = timeline.log.nextSeq;
    const printedFrom = events.stdout.length;
    const killedAt = Date.now();
    cluster.broker(leader).program.signal("SIGKILL");
    const inLibrary = new Promise<{ time: number }>((resolve) => {
      const unsubscribe = timeline.log.subscribe((e) => {
        if (e.seq >= from && e.type === "leader-changed" && e.topic === topic && e.oldLeader === leader) {
          unsubscribe();
          resolve(e);
        }
      });
    }).then((e) => {
      seen.push(Date.now() - killedAt);
      written.push(e.time - killedAt);
    });
    const inCli = eventually(
      "leader-changed printed by vltava events",
      () => {
        const line = events.stdout.slice(printedFrom).split("\n").find((l) =>
          l.includes('"leader-changed"') && l.includes(`"${topic}"`) && l.includes(`"oldLeader":${leader}`)
        );
        return line !== undefined;
      },
      60_000,
      10,
    ).then(() => printed.push(Date.now() - killedAt));
    const onPage = browser?.page.waitForFunction(
      ({ topic, leader }) =>
        [...document.querySelectorAll("#timeline .t-leader-changed")].some((row) =>
          row.textContent?.includes(`${topic}-0`) && row.textContent.includes(`leader ${leader} →`)
        ),
      { topic, leader },
      { timeout: 60_000, polling: 10 },
    ).then(() => drawn.push(Date.now() - killedAt));
    await Promise.all([inLibrary, inCli, onPage]);
    await cluster.startBroker(leader, cluster.broker(leader).port);
    await eventually(
      "the restarted broker back in the timeline",
      () => timeline.model.brokers.has(leader),
      60_000,
    );
  }
  console.log(
    `\n3 brokers, session timeout 4000 ms (coordinator tick default), ${FAILOVERS} leader SIGKILLs; ms from the kill\n`,
  );
  console.log("| what | median ms | all (ms) |");
  console.log("|---|---:|---|");
  console.log(
    `| controller wrote the new leader (znode mtime) | ${fmt(median(written))} | ${written.join(", ")} |`,
  );
  console.log(
    `| leader-changed in the timeline library | ${fmt(median(seen))} | ${seen.join(", ")} |`,
  );
  console.log(
    `| leader-changed printed by vltava events --follow --json | ${fmt(median(printed))} | ${
      printed.join(", ")
    } |`,
  );
  console.log(
    drawn.length > 0
      ? `| leader-changed drawn on the vltava console page (Chromium) | ${fmt(median(drawn))} | ${
        drawn.join(", ")
      } |`
      : `| leader-changed on the page | not measured: Chromium is missing (${PEERS.chromium.install}) | |`,
  );
}

async function consoleAtScale(): Promise<void> {
  await using cluster = await startCluster();
  const topics = Array.from({ length: 10 }, (_, i) => ({ name: `bench-scale-${i}`, partitions: 100 }));
  await createTopics(cluster.bootstrap, topics);
  const groupAdmin = new GroupAdmin({ bootstrap: cluster.bootstrap });
  try {
    for (let g = 0; g < 100; g++) {
      await groupAdmin.resetOffsets(
        `bench-group-${g}`,
        topics[g % 10].name,
        { kind: "offset", offset: 0 },
        false,
      );
    }
  } finally {
    groupAdmin.cluster.close();
  }
  await using server = new RunningProgram(consoleArgs(cluster.coordinatorAddress));
  const url = (await server.waitForOutput(/console: (http:\/\/\S+)/, 60_000))[1];
  await eventually("100 groups in the console", async () => {
    const body = await (await fetch(`${url}/api/groups`)).json();
    return body.groups.length >= 100;
  }, 120_000);
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  const status = await Deno.readTextFile(`/proc/${server.pid}/status`);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  const timed = async (path: string) => {
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 10; i++) {
      const start = performance.now();
      bytes = (await (await fetch(`${url}${path}`)).text()).length;
      ms.push(performance.now() - start);
    }
    return `| ${path} | ${median(ms).toFixed(1)} | ${fmt(bytes)} |`;
  };
  console.log(
    `\n1 broker, 1,000 partitions (10 topics × 100), 100 groups with committed offsets; console sampling every 1 s\n`,
  );
  console.log(`console server resident memory after 15 s: ${fmt(rssKb / 1024)} MiB\n`);
  console.log("| answer | median ms (10) | bytes |");
  console.log("|---|---:|---:|");
  console.log(await timed("/api/topics"));
  console.log(await timed("/api/topics?limit=100&offset=500"));
  console.log(await timed("/api/groups"));
  console.log(await timed("/api/groups?limit=25&offset=50"));
  await pageUpdateTime(url);
}

/** The page's own update time in Chromium, read from its `vltava-refresh` measures. */
async function pageUpdateTime(url: string): Promise<void> {
  if (!PEERS.chromium.available) {
    console.log(`
page update time: not measured, Chromium is missing (${PEERS.chromium.install})`);
    return;
  }
  const browser = await openChromium();
  try {
    const page = browser.page;
    const opened = performance.now();
    await page.goto(url);
    // The first full view: the pager counts every partition and every group.
    await page.waitForFunction(
      () =>
        /of 1,?0\d\d$/.test(document.getElementById("p-range")?.textContent ?? "") &&
        / of 100$/.test(document.getElementById("g-range")?.textContent ?? ""),
      undefined,
      { timeout: 120_000 },
    );
    const firstViewMs = performance.now() - opened;
    // 30 updates, one after another (the page's own refresh(), as its timer and the live feed call it).
    const durations = await page.evaluate(async () => {
      performance.clearMeasures("vltava-refresh");
      // deno-lint-ignore no-explicit-any
      const refresh = (globalThis as any).refresh as () => Promise<void>;
      for (let i = 0; i < 30; i++) await refresh();
      return performance.getEntriesByName("vltava-refresh").map((e) => e.duration);
    });
    const sorted = [...durations].sort((a, b) => a - b);
    const rows = await page.locator("#partitions tr").count();
    const groupRows = await page.locator("#groups tr").count();
    console.log(
      `
the page in headless Chromium (${rows} partition rows and ${groupRows} group rows shown a page)
`,
    );
    console.log("| page | ms |");
    console.log("|---|---:|");
    console.log(`| open to first full view | ${firstViewMs.toFixed(0)} |`);
    console.log(`| one update (vltava-refresh), median of ${sorted.length} | ${median(sorted).toFixed(1)} |`);
    console.log(`| one update, slowest | ${sorted[sorted.length - 1].toFixed(1)} |`);
  } finally {
    await browser.close();
  }
}

export async function run(): Promise<void> {
  const part = Deno.env.get("BENCH_CONSOLE_PART");
  if (part === undefined) await scrapedThroughput();
  if (part === undefined || part === "failover") await failoverToEvent();
  if (part === undefined || part === "scale") await consoleAtScale();
}
