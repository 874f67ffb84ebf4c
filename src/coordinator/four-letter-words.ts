/**
 * Four-letter words: four ASCII bytes as the first bytes of a fresh connection; the server
 * answers in plain text, in the real server's formats, and closes.
 *   ruok → imok    isro → rw    srvr, stat, cons, conf, mntr, envi → see below
 */
export const FOUR_LETTER_WORDS = new Set(["ruok", "isro", "srvr", "stat", "cons", "conf", "mntr", "envi"]);

export interface ConnectionStats {
  remote: string;
  sessionId: bigint;
  timeoutMs: number;
  queued: number;
  received: number;
  sent: number;
  lastOp: string;
  lastCxid: number;
  lastZxid: number;
  establishedMs: number;
  lastResponseMs: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  totalLatencyMs: number;
  latencyCount: number;
}

export interface ServerStats {
  version: string;
  host: string;
  port: number;
  dataDir: string;
  /** Bytes of journal and snapshot files. */
  dataDirBytes: number;
  tickMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxConnections: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  totalLatencyMs: number;
  latencyCount: number;
  packetsReceived: number;
  packetsSent: number;
  outstanding: number;
  lastZxid: number;
  nodeCount: number;
  watchCount: number;
  ephemeralsCount: number;
  approximateDataBytes: number;
  sessionCount: number;
  fsyncCount: number;
  connections: ConnectionStats[];
}

const hex = (value: number | bigint) => `0x${value.toString(16)}`;
const round = (ms: number) => Math.round(ms);
const avg = (total: number, count: number) => (count === 0 ? 0 : total / count).toFixed(4);
const min = (ms: number) => (Number.isFinite(ms) ? round(ms) : 0);

/** The text a four-letter word answers with. */
export function fourLetterWordText(word: string, stats: ServerStats): string {
  switch (word) {
    case "ruok":
      return "imok";
    case "isro":
      return "rw";
    case "srvr":
      return srvr(stats);
    case "stat":
      return stat(stats);
    case "cons":
      return stats.connections.map((c) => cons(c)).join("") + "\n";
    case "conf":
      return conf(stats);
    case "mntr":
      return mntr(stats);
    case "envi":
      return envi(stats);
    default:
      return "";
  }
}

function summary(stats: ServerStats): string {
  return [
    `Latency min/avg/max: ${min(stats.minLatencyMs)}/${avg(stats.totalLatencyMs, stats.latencyCount)}/${
      round(stats.maxLatencyMs)
    }`,
    `Received: ${stats.packetsReceived}`,
    `Sent: ${stats.packetsSent}`,
    `Connections: ${stats.connections.length}`,
    `Outstanding: ${stats.outstanding}`,
    `Zxid: ${hex(stats.lastZxid)}`,
    `Mode: standalone`,
    `Node count: ${stats.nodeCount}`,
  ].join("\n") + "\n";
}

function srvr(stats: ServerStats): string {
  return `Zookeeper version: ${stats.version}\n` + summary(stats);
}

function stat(stats: ServerStats): string {
  const clients = stats.connections.map((c) =>
    ` /${c.remote}[${c.sessionId === 0n ? 0 : 1}](queued=${c.queued},recved=${c.received},sent=${c.sent})\n`
  ).join("");
  return `Zookeeper version: ${stats.version}\nClients:\n${clients}\n` + summary(stats);
}

function cons(c: ConnectionStats): string {
  const counts = `queued=${c.queued},recved=${c.received},sent=${c.sent}`;
  // A connection without a session (a four-letter word, a refused handshake) shows counts only.
  if (c.sessionId === 0n) return ` /${c.remote}[0](${counts})\n`;
  const fields = [
    `queued=${c.queued}`,
    `recved=${c.received}`,
    `sent=${c.sent}`,
    `sid=${hex(c.sessionId)}`,
    `lop=${c.lastOp.toUpperCase().slice(0, 4)}`,
    `est=${c.establishedMs}`,
    `to=${c.timeoutMs}`,
    `lcxid=${hex(Math.max(c.lastCxid, 0))}`,
    `lzxid=${hex(Math.max(c.lastZxid, 0))}`,
    `lresp=${c.lastResponseMs}`,
    `llat=0`,
    `minlat=${min(c.minLatencyMs)}`,
    `avglat=${avg(c.totalLatencyMs, c.latencyCount)}`,
    `maxlat=${round(c.maxLatencyMs)}`,
  ];
  return ` /${c.remote}[1](${fields.join(",")})\n`;
}

function conf(stats: ServerStats): string {
  return [
    `clientPort=${stats.port}`,
    `secureClientPort=-1`,
    `dataDir=${stats.dataDir}`,
    `dataDirSize=${stats.dataDirBytes}`,
    `dataLogDir=${stats.dataDir}`,
    `dataLogSize=${stats.dataDirBytes}`,
    `tickTime=${stats.tickMs}`,
    `maxClientCnxns=${stats.maxConnections}`,
    `minSessionTimeout=${stats.minSessionTimeoutMs}`,
    `maxSessionTimeout=${stats.maxSessionTimeoutMs}`,
    `clientPortListenBacklog=-1`,
    `serverId=0`,
  ].join("\n") + "\n";
}

function mntr(stats: ServerStats): string {
  const rows: [string, string | number][] = [
    ["zk_version", stats.version],
    ["zk_server_state", "standalone"],
    ["zk_avg_latency", avg(stats.totalLatencyMs, stats.latencyCount)],
    ["zk_max_latency", round(stats.maxLatencyMs)],
    ["zk_min_latency", min(stats.minLatencyMs)],
    ["zk_packets_received", stats.packetsReceived],
    ["zk_packets_sent", stats.packetsSent],
    ["zk_num_alive_connections", stats.connections.length],
    ["zk_outstanding_requests", stats.outstanding],
    ["zk_znode_count", stats.nodeCount],
    ["zk_watch_count", stats.watchCount],
    ["zk_ephemerals_count", stats.ephemeralsCount],
    ["zk_approximate_data_size", stats.approximateDataBytes],
    ["zk_global_sessions", stats.sessionCount],
    ["zk_fsync_count", stats.fsyncCount],
    ["zk_last_zxid", hex(stats.lastZxid)],
  ];
  return rows.map(([key, value]) => `${key}\t${value}\n`).join("");
}

function envi(stats: ServerStats): string {
  const lines = [
    "Environment:",
    `zookeeper.version=${stats.version}`,
    `host.name=${safe(() => Deno.hostname())}`,
    `deno.version=${Deno.version.deno}`,
    `v8.version=${Deno.version.v8}`,
    `typescript.version=${Deno.version.typescript}`,
    `os.name=${Deno.build.os}`,
    `os.arch=${Deno.build.arch}`,
    `user.name=${safe(() => Deno.env.get("USER") ?? "")}`,
    `user.dir=${safe(() => Deno.cwd())}`,
    `os.memory.free=${safe(() => `${Math.round(Deno.systemMemoryInfo().free / 1048576)}MB`)}`,
    `process.pid=${Deno.pid}`,
  ];
  return lines.join("\n") + "\n";
}

function safe(read: () => string): string {
  try {
    return read();
  } catch {
    // A statistic the OS will not give (e.g. no /proc): the report says so instead of failing.
    return "unknown";
  }
}
