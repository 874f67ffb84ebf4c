/**
 * The console's page: one HTML document with its CSS and script inline, kept as a string module
 * so that the program (and a `deno compile` binary) carries it — no CDN, no build step, no asset
 * fetched at run time. The script is plain browser JavaScript: it loads the views from /api/, opens
 * /api/stream (server-sent events), appends each event to the timeline and refreshes the views a
 * moment later (debounced, so a burst of 1,000 events costs one refresh). High-watermark events,
 * the bulk on a busy cluster, only patch their cell; the partitions view shows one page of 100 rows
 * and the groups view one of 25 groups (each asked of the server as such), and the timeline the last 500 matching events, so the page stays
 * responsive with 1,000 partitions and 100 groups. Every string from the
 * cluster is escaped before it reaches the DOM.
 */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Vltava console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
  header { background: #1d3557; color: #fff; padding: 10px 18px; display: flex; gap: 18px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  #status, #chaos-result, #coordinator-metrics { font-size: 12px; opacity: .85; }
  header a { color: #fff; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 14px; padding: 14px; }
  section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 10px 14px; overflow: auto; }
  section h2 { font-size: 15px; margin: 2px 0 6px; }
  p.explain { font-size: 12.5px; color: #555e6e; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eef0f3; white-space: nowrap; }
  th { font-size: 12px; color: #555e6e; font-weight: 600; }
  .dead { color: #b00020; font-weight: 600; }
  .live { color: #137333; font-weight: 600; }
  .oos { background: #fde7e9; color: #b00020; border-radius: 3px; padding: 0 3px; }
  button.chaos { font-size: 11px; padding: 0 5px; margin: 0 1px; }
  .badge { background: #ffd166; border-radius: 3px; padding: 0 4px; font-size: 11px; }
  #timeline { max-height: 70vh; overflow: auto; font-family: ui-monospace, monospace; font-size: 12px; }
  #timeline div.ev { padding: 2px 4px; border-bottom: 1px solid #f0f1f4; cursor: pointer; white-space: pre; }
  #timeline div.ev:hover { background: #eef4ff; }
  .t-leader-changed, .t-broker-left, .t-isr-shrunk { color: #b00020; }
  .t-isr-expanded, .t-broker-joined, .t-controller-elected { color: #137333; }
  .pager { margin-top: 6px; font-size: 12px; }
  .pager button, .pager input { font-size: 12px; }
  #filters { display: flex; gap: 6px; flex-wrap: wrap; margin-bottom: 6px; }
  #filters input, #filters select { font-size: 12px; padding: 2px 4px; }
  #znode-path a, #znode-children a { margin-right: 8px; cursor: pointer; color: #1d3557; }
  #znode-children { margin: 4px 0; display: flex; flex-wrap: wrap; gap: 2px 0; font-family: ui-monospace, monospace; font-size: 12px; }
  #znode-data { background: #f6f7f9; padding: 6px; font-size: 12px; white-space: pre-wrap; word-break: break-all; max-height: 30vh; overflow: auto; }
  #detail-ba td.changed { background: #fff3c4; font-weight: 600; }
  #detail-json { margin: 4px 0 0; }
  #detail { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; background: #f6f7f9; padding: 6px; display: none; }
</style>
</head>
<body>
<header><h1>Vltava console</h1><span id="status">connecting…</span><span id="coordinator-metrics"></span><span id="chaos-result"></span></header>
<main>
<div>
<section id="cluster-view">
  <h2>Cluster</h2>
  <p class="explain">Brokers register an ephemeral node in the coordinator; when a broker's session ends the node
  vanishes and the broker is shown dead. One broker is the <b>controller</b>: it won the election (the
  smallest ephemeral sequential node) and raised the controller <b>epoch</b>, so that decisions of a deposed
  controller are refused. It elects partition leaders when brokers come and go. Under <code>vltava dev</code>
  each broker (and the coordinator) serves Prometheus metrics; the <b>metrics</b> links open them.</p>
  <table><thead><tr><th>broker</th><th>address</th><th>state</th><th>partitions led</th><th></th></tr></thead>
  <tbody id="brokers"></tbody></table>
</section>
<section id="topics-view">
  <h2>Partitions</h2>
  <p class="explain">Each partition has one <b>leader</b> that takes writes and followers that copy it. The
  <b>ISR</b> (in-sync replicas) are the replicas caught up with the leader; a replica that falls behind or dies
  is dropped from it (marked red here) and re-added once it catches up. The <b>high watermark</b> is the offset
  every ISR member has: consumers stop there, because records above it could still be lost if the leader died.
  The <b>leader epoch</b> rises with every change of leader, so stale leaders are fenced. The log runs from
  <b>log start</b> (older records were removed by retention) to <b>log end</b>, the next offset the leader
  writes; <b>end − HW</b> is what the leader has and some ISR member still lacks. The <b>LSO</b> (last stable
  offset) is where read_committed consumers stop: below the first record of a transaction still open.</p>
  <table><thead><tr><th>topic</th><th>partition</th><th>leader</th><th>epoch</th><th>replicas</th><th>ISR</th>
  <th>out of sync</th><th>log start</th><th>high watermark</th><th>LSO</th><th>log end</th><th>end − HW</th></tr></thead>
  <tbody id="partitions"></tbody></table>
  <div id="pager" class="pager"><input id="p-topic" placeholder="topic contains…" size="18">
  <button id="p-prev">‹ previous</button> <span id="p-range"></span> <button id="p-next">next ›</button></div>
</section>
<section id="groups-view">
  <h2>Consumer groups</h2>
  <p class="explain">A consumer group shares a topic's partitions among its members. When a member joins or
  leaves, the group's coordinator runs a <b>rebalance</b>: members rejoin (PreparingRebalance), the leader
  assigns partitions (CompletingRebalance), and the group is Stable again in a new <b>generation</b>; commits
  from an older generation are refused (the coordinator records each generation in <code>__consumer_offsets</code>,
  which is where this page reads it). <b>Lag</b> is how far the group's committed offsets trail the high
  watermark (hover the chart for each partition): it grows while consumers are stopped and falls as they catch up.</p>
  <table><thead><tr><th>group</th><th>state</th><th>generation</th><th>coordinator</th><th>member</th><th>partitions</th><th>lag</th>
  <th>lag over time</th></tr></thead>
  <tbody id="groups"></tbody></table>
  <div id="group-pager" class="pager"><input id="g-group" placeholder="group contains…" size="18">
  <button id="g-prev">‹ previous</button> <span id="g-range"></span> <button id="g-next">next ›</button></div>
</section>
<section id="znodes-view">
  <h2>Coordinator tree</h2>
  <p class="explain">The coordinator (or ZooKeeper) keeps the cluster's source of truth as a tree of
  <b>znodes</b>: <code>/controller</code> names the controller, <code>/brokers/ids/N</code> are the live
  brokers' <b>ephemeral</b> nodes (an ephemeral owner is a session: when it ends the node vanishes),
  <code>/brokers/topics/T</code> holds a topic's replica assignment and
  <code>/brokers/topics/T/partitions/P/state</code> its leader, epoch and ISR. The <b>Stat</b> tells when a node
  was created and changed (czxid, mzxid: the coordinator's transaction ids) and its version. Read-only.</p>
  <div id="znode-path"></div>
  <div id="znode-children"></div>
  <pre id="znode-data"></pre>
  <table><tbody id="znode-stat"></tbody></table>
</section>
</div>
<section id="timeline-view">
  <h2>Timeline</h2>
  <p class="explain">Every change the cluster makes, as it happens: elections, brokers joining and leaving,
  leader changes and ISR shrinks and expansions (from the coordinator's tree), high watermarks and group
  rebalances (sampled from the brokers). Click an event to see its facts and the state it changed, before and
  after: a partition's leader, leader epoch and ISR, the set of live brokers, or the controller.</p>
  <div id="filters">
    <select id="f-type"><option value="">all types</option></select>
    <input id="f-text" placeholder="topic, partition, broker or group" size="28">
  </div>
  <div id="detail"><table id="detail-ba"></table><pre id="detail-json"></pre></div>
  <div id="timeline"></div>
</section>
</main>
<script>
"use strict";
const TYPES = ["controller-elected","broker-joined","broker-left","topic-created","topic-deleted","leader-changed",
  "isr-shrunk","isr-expanded","high-watermark","group-rebalance-started","group-rebalance-completed",
  "member-joined","member-left"];
const MAX_SHOWN = 500;
/** Partition rows per page: the page asks the server for these only (1,000 partitions stay cheap). */
const PAGE = 100;
let pageOffset = 0;
/** Groups per page, asked of the server as such (100 groups with their members stay cheap). */
const GROUP_PAGE = 25;
let groupOffset = 0;
const events = [];
const esc = (v) => String(v).replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const $ = (id) => document.getElementById(id);
for (const t of TYPES) $("f-type").insertAdjacentHTML("beforeend", "<option>" + t + "</option>");

function subject(e) {
  if ("group" in e) return "group " + e.group;
  if ("partition" in e) return e.topic + "-" + e.partition;
  if ("topic" in e) return e.topic;
  return "broker " + e.broker;
}
function details(e) {
  switch (e.type) {
    case "controller-elected": return "epoch " + e.epoch;
    case "broker-joined": return e.host + ":" + e.port;
    case "broker-left": return e.host + ":" + e.port + " (" + e.how + ")";
    case "topic-created": return e.partitions + " partition(s), rf " + e.replicationFactor;
    case "leader-changed": return "leader " + (e.oldLeader ?? "none") + " → " + e.newLeader + ", epoch " + e.leaderEpoch + (e.why ? " (" + e.why + ")" : "");
    case "isr-shrunk": case "isr-expanded": return "[" + e.oldIsr + "] → [" + e.newIsr + "]";
    case "high-watermark": return "→ " + e.value;
    case "member-joined": case "member-left": return e.member;
    case "group-rebalance-started": return e.state + " from generation " + (e.generation ?? "?") + ", " + e.members.length + " member(s)";
    case "group-rebalance-completed": return "generation " + (e.generation ?? "?") + ", " + e.members.length + " member(s)";
    default: return (e.members || []).length + " member(s)";
  }
}
function matches(e) {
  const type = $("f-type").value, text = $("f-text").value.trim().toLowerCase();
  if (type && e.type !== type) return false;
  if (!text) return true;
  return (subject(e) + " " + JSON.stringify(e)).toLowerCase().includes(text);
}
function line(e) {
  return '<div class="ev t-' + esc(e.type) + '" data-seq="' + e.seq + '">' + esc(new Date(e.time).toISOString().slice(11, 23)) +
    "  " + esc(e.type.padEnd(25)) + " " + esc(subject(e).padEnd(16)) + " " + esc(details(e)) + "</div>";
}
function renderTimeline() {
  const shown = events.filter(matches).slice(-MAX_SHOWN).reverse();
  $("timeline").innerHTML = shown.map(line).join("");
}
$("f-type").addEventListener("change", renderTimeline);
$("f-text").addEventListener("input", renderTimeline);
$("timeline").addEventListener("click", (ev) => {
  const row = ev.target.closest("div.ev");
  if (!row) return;
  const e = events.find((x) => x.seq === Number(row.dataset.seq));
  $("detail").style.display = "block";
  const rows = beforeAfter(e);
  $("detail-ba").innerHTML = rows.length === 0 ? "" : "<tr><th></th><th>before</th><th>after</th></tr>" +
    rows.map(([what, before, after]) => '<tr class="ba-' + esc(what.replace(/ /g, "-")) + '"><th>' + esc(what) +
      '</th><td class="before">' + esc(before) + '</td><td class="after' + (before === after ? "" : " changed") + '">' +
      esc(after) + "</td></tr>").join("");
  $("detail-json").textContent = JSON.stringify(e, null, 2);
});
/** The state an event changed, before and after it: [what, before, after] rows. */
function beforeAfter(e) {
  const list = (ids) => "[" + ids.join(", ") + "]";
  if (e.after && "isr" in e.after) {
    const b = e.before;
    return [["leader", b ? String(b.leader) : "none", String(e.after.leader)],
      ["leader epoch", b ? String(b.leaderEpoch) : "none", String(e.after.leaderEpoch)],
      ["ISR", b ? list(b.isr) : "none", list(e.after.isr)]];
  }
  if (e.liveAfter) return [["live brokers", list(e.liveBefore), list(e.liveAfter)]];
  if (e.type === "group-rebalance-completed" && e.generation !== null) {
    const previous = events.filter((x) => x.seq < e.seq && x.group === e.group && x.type === "group-rebalance-completed").pop();
    return [["generation", previous && previous.generation !== null ? String(previous.generation) : "not seen", String(e.generation)],
      ["members", previous ? String(previous.members.length) : "not seen", String(e.members.length)]];
  }
  if (e.type === "controller-elected" && e.previous !== undefined) {
    const p = e.previous;
    return [["controller", p ? "broker " + p.broker + " (epoch " + p.epoch + ")" : "none known",
      "broker " + e.broker + " (epoch " + e.epoch + ")"]];
  }
  return [];
}

async function getJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(path + ": " + response.status);
  return await response.json();
}
async function refresh() {
  const started = performance.now();
  const topicsPath = "/api/topics?limit=" + PAGE + "&offset=" + pageOffset + "&topic=" + encodeURIComponent($("p-topic").value.trim());
  const groupsPath = "/api/groups?limit=" + GROUP_PAGE + "&offset=" + groupOffset + "&group=" + encodeURIComponent($("g-group").value.trim());
  const [cluster, topics, groups] = await Promise.all([getJson("/api/cluster"), getJson(topicsPath), getJson(groupsPath)]);
  if (pageOffset > 0 && pageOffset >= topics.partitions) { pageOffset = 0; return refresh(); }
  if (groupOffset > 0 && groupOffset >= groups.count) { groupOffset = 0; return refresh(); }
  $("g-range").textContent = groups.count === 0 ? "no groups" :
    (groupOffset + 1) + "–" + Math.min(groups.count, groupOffset + GROUP_PAGE) + " of " + groups.count;
  $("g-prev").disabled = groupOffset === 0;
  $("g-next").disabled = groupOffset + GROUP_PAGE >= groups.count;
  $("p-range").textContent = topics.partitions === 0 ? "no partitions" :
    (pageOffset + 1) + "–" + Math.min(topics.partitions, pageOffset + PAGE) + " of " + topics.partitions;
  $("p-prev").disabled = pageOffset === 0;
  $("p-next").disabled = pageOffset + PAGE >= topics.partitions;
  $("status").textContent = "controller: " + (cluster.controller ?? "none") + " (epoch " + (cluster.controllerEpoch ?? "-") + ") · " +
    cluster.brokers.filter((b) => b.live).length + "/" + cluster.brokers.length + " brokers live · watches: " + cluster.watchMode;
  $("coordinator-metrics").innerHTML = cluster.coordinatorMetricsUrl
    ? 'coordinator <a class="metrics" target="_blank" href="' + esc(cluster.coordinatorMetricsUrl) + '">metrics</a>' : "";
  $("brokers").innerHTML = cluster.brokers.map((b) =>
    '<tr data-broker="' + b.id + '"><td>' + b.id + (b.controller ? ' <span class="badge">controller</span>' : "") + "</td><td>" +
    esc(b.host + ":" + b.port) + (b.metricsUrl ? ' <a class="metrics" target="_blank" href="' + esc(b.metricsUrl) + '">metrics</a>' : "") +
    '</td><td class="' + (b.live ? "live" : "dead") + '">' + (b.live ? "live" : "dead") +
    "</td><td>" + b.partitionsLed + "</td><td>" + (cluster.chaos || []).map((a) =>
      '<button class="chaos" data-action="' + esc(a) + '" data-broker="' + b.id + '">' + esc(a) + "</button>").join(" ") +
    "</td></tr>").join("");
  const rows = [];
  for (const t of topics.topics) {
    for (const p of t.partitions) {
      rows.push('<tr data-partition="' + esc(t.name + "-" + p.partition) + '"><td>' + esc(t.name) + "</td><td>" + p.partition +
        '</td><td class="leader">' + p.leader + "</td><td>" + p.leaderEpoch + "</td><td>" + p.replicas.join(",") +
        '</td><td class="isr">' + p.isr.join(",") + '</td><td class="out-of-sync">' +
        p.outOfSync.map((id) => '<span class="oos">' + id + "</span>").join(" ") +
        '</td><td class="log-start">' + (p.logStart ?? "") + '</td><td class="hwm">' + (p.highWatermark ?? "") +
        '</td><td class="lso">' + (p.lastStable ?? "") + '</td><td class="log-end">' + (p.logEnd ?? "") +
        '</td><td class="gap">' + (p.unreplicated ?? "") + "</td></tr>");
    }
  }
  $("partitions").innerHTML = rows.join("");
  const groupRows = [];
  const now = Date.now();
  for (const g of groups.groups) {
    const history = lagHistory.get(g.group) || [];
    history.push([now, g.totalLag]);
    if (history.length > LAG_POINTS) history.splice(0, history.length - LAG_POINTS);
    lagHistory.set(g.group, history);
    const members = g.members.length ? g.members : [{ memberId: "", partitions: [] }];
    const lags = g.offsets.map((o) => o.topic + "-" + o.partition + ": " + (o.lag ?? "?") + " (at " + o.committed + ")").join(", ");
    members.forEach((m, i) => groupRows.push('<tr data-group="' + esc(g.group) + '"><td>' + (i ? "" : esc(g.group)) + "</td><td>" +
      (i ? "" : esc(g.state)) + '</td><td class="generation">' + (i ? "" : g.generation ?? "?") + "</td><td>" + (i ? "" : g.coordinator) + '</td><td title="' + esc(m.memberId) + '">' + esc(m.memberId.length > 20 ? m.memberId.slice(0, 19) + "…" : m.memberId) + "</td><td>" +
      esc(m.partitions.join(", ")) + '</td><td class="lag">' + (i ? "" : g.totalLag) + '</td><td title="' + esc(lags) + '">' +
      (i ? "" : sparkline(history)) + "</td></tr>"));
  }
  $("groups").innerHTML = groupRows.join("");
  // User timing: how long one refresh (three fetches and the redraw) took; devtools and the bench read it.
  performance.measure("vltava-refresh", { start: started, end: performance.now() });
  if (performance.getEntriesByName("vltava-refresh").length > 1000) performance.clearMeasures("vltava-refresh");
}
$("p-prev").addEventListener("click", () => { pageOffset = Math.max(0, pageOffset - PAGE); scheduleRefresh(); });
$("p-next").addEventListener("click", () => { pageOffset += PAGE; scheduleRefresh(); });
$("p-topic").addEventListener("input", () => { pageOffset = 0; scheduleRefresh(); });
$("g-prev").addEventListener("click", () => { groupOffset = Math.max(0, groupOffset - GROUP_PAGE); scheduleRefresh(); });
$("g-next").addEventListener("click", () => { groupOffset += GROUP_PAGE; scheduleRefresh(); });
$("g-group").addEventListener("input", () => { groupOffset = 0; scheduleRefresh(); });
/** A high-watermark event is a delta: patch that partition's cell if it is on this page, no refetch. */
function patchWatermark(e) {
  const row = document.querySelector('#partitions tr[data-partition="' + CSS.escape(e.topic + "-" + e.partition) + '"]');
  if (row) row.querySelector("td.hwm").textContent = e.value;
}
$("brokers").addEventListener("click", async (ev) => {
  const button = ev.target.closest("button.chaos");
  if (!button) return;
  const action = button.dataset.action, broker = button.dataset.broker;
  if (action !== "resume" && !confirm(action + " broker " + broker + "?")) return;
  const response = await fetch("/api/chaos/" + action + "/" + broker, { method: "POST", headers: { "x-vltava-chaos": "yes" } });
  const body = await response.json().catch(() => ({}));
  $("chaos-result").textContent = body.done || body.error || ("chaos: " + response.status);
  scheduleRefresh();
});
const LAG_POINTS = 120;
const lagHistory = new Map();
/** Total lag over time as a small SVG line across its width (the last LAG_POINTS refreshes, or fewer so far). */
function sparkline(points) {
  if (points.length < 2) return "";
  const max = Math.max(1, ...points.map((p) => p[1]));
  const w = 160, h = 28;
  const xy = points.map((p, i) => (i * w / (points.length - 1)).toFixed(1) + "," + (h - p[1] * (h - 2) / max - 1).toFixed(1));
  // data-lags: the values drawn, oldest first (for tests and for reading them off the page).
  return '<svg class="lag-chart" data-lags="' + points.map((p) => p[1]).join(",") + '" width="' + w + '" height="' + h + '"><polyline fill="none" stroke="#1d3557" stroke-width="1.5" points="' +
    xy.join(" ") + '"/></svg> max ' + max;
}
let refreshTimer = null;
function scheduleRefresh() {
  if (refreshTimer !== null) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; refresh().catch((e) => $("status").textContent = String(e)); }, 250);
}
let timelineTimer = null;
function scheduleTimeline() {
  if (timelineTimer !== null) return;
  timelineTimer = setTimeout(() => { timelineTimer = null; renderTimeline(); }, 100);
}
async function start() {
  const initial = await getJson("/api/events?limit=5000");
  events.push(...initial.events);
  let lastSeq = events.length ? events[events.length - 1].seq : 0;
  renderTimeline();
  await refresh();
  const source = new EventSource("/api/stream");
  const add = (e) => {
    if (e.seq <= lastSeq) return;
    lastSeq = e.seq;
    events.push(e);
    if (events.length > 20000) events.splice(0, events.length - 20000);
    scheduleTimeline();
    // Watermarks move every second on a busy cluster: patch the cell; other events change the views.
    if (e.type === "high-watermark") patchWatermark(e);
    else scheduleRefresh();
  };
  // (Re)connected: fetch what happened between the first load (or the drop) and the stream's start.
  source.addEventListener("hello", () => {
    getJson("/api/events?limit=5000").then((missed) => missed.events.forEach(add)).catch(() => {});
  });
  source.addEventListener("event", (message) => add(JSON.parse(message.data)));
  source.onerror = () => { $("status").textContent = "disconnected: reconnecting…"; };
  setInterval(scheduleRefresh, 3000);
}
/** The znode browser: one node at a time, read when clicked (the tree is not pushed). */
async function openZnode(path) {
  const response = await fetch("/api/znodes?path=" + encodeURIComponent(path));
  const node = await response.json();
  if (!response.ok) { $("znode-data").textContent = node.error; return; }
  const parts = path === "/" ? [] : path.slice(1).split("/");
  $("znode-path").innerHTML = '<a data-path="/">/</a>' + parts.map((name, i) =>
    '<a data-path="' + esc("/" + parts.slice(0, i + 1).join("/")) + '">' + esc(name) + "</a>").join("/ ");
  $("znode-children").innerHTML = node.children.map((name) =>
    '<a class="child" data-path="' + esc((path === "/" ? "" : path) + "/" + name) + '">' + esc(name) + "</a>").join("") +
    (node.childrenTotal > node.children.length ? " … " + (node.childrenTotal - node.children.length) + " more" : "");
  $("znode-data").textContent = node.data === null ? "(no data)" :
    (node.encoding === "base64" ? "base64: " : "") + node.data + (node.truncated ? " … (cut)" : "");
  const s = node.stat;
  $("znode-stat").innerHTML = [["czxid", s.czxid], ["mzxid", s.mzxid], ["created", new Date(s.ctime).toISOString()],
    ["modified", new Date(s.mtime).toISOString()], ["version", s.version], ["cversion", s.cversion],
    ["ephemeralOwner", s.ephemeralOwner], ["dataLength", s.dataLength], ["numChildren", s.numChildren]]
    .map(([k, v]) => "<tr><th>" + k + '</th><td class="stat-' + k + '">' + esc(v) + "</td></tr>").join("");
}
for (const id of ["znode-path", "znode-children"]) {
  $(id).addEventListener("click", (ev) => {
    const a = ev.target.closest("a[data-path]");
    if (a) openZnode(a.dataset.path).catch((e) => { $("znode-data").textContent = String(e); });
  });
}
openZnode("/").catch(() => {});
start().catch((e) => { $("status").textContent = "failed: " + e; });
</script>
</body>
</html>
`;
