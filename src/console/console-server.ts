/**
 * The console's HTTP server, served by `vltava console` itself: the page (embedded in the program
 * as a string module, so a compiled binary carries it; no CDN, nothing fetched at run time), the
 * JSON API under /api/, and the live feed.
 *
 *   GET /                       the page
 *   GET /api/cluster            brokers live or dead, controller and epoch, partitions led
 *   GET /api/topics?topic=&offset=&limit=   partitions (all, or a page): leader, epoch, replicas, ISR,
 *                               out of sync, log start, high watermark, LSO, log end
 *   GET /api/groups?group=&offset=&limit=   groups (all, or a page): state, generation, members and
 *                               their partitions, committed offsets and lag
 *   GET /api/events?since=&type=&limit=   the typed timeline events (since: 10m, ISO time or ms)
 *   GET /api/stream             server-sent events: one `event` message per timeline event
 *   GET /api/znodes?path=/…     one znode of the coordinator's tree: data, Stat, children (read-only)
 *   POST /api/chaos/ACTION/ID   (vltava dev only) kill | pause | resume | stop | restart broker ID;
 *                               needs the header `x-vltava-chaos: yes` (a page of another site cannot
 *                               send it), and ID must be one of the dev cluster's own brokers
 *
 * Bad requests get a clear 4xx with a JSON body {"error": "..."}: unknown paths 404, malformed
 * query values 400, other methods 405. Each stream client reads through the event log's bounded
 * queue: one that falls too far behind (a slow or vanished browser) is disconnected, costing the
 * server nothing. Binds 127.0.0.1 unless told otherwise.
 *
 * @example
 * ```ts
 * const server = startConsoleServer({ timeline, port: 8080 });
 * console.log(`console: http://127.0.0.1:${server.port}`);
 * ```
 */
import type { Timeline } from "../events/timeline.ts";
import { EVENT_TYPES, type EventType } from "../events/cluster-event.ts";
import { CONSOLE_PAGE } from "./page.ts";
import { clusterView, groupsView, topicsView } from "./views.ts";
import { znodeView } from "./znode-view.ts";

/** Built-in chaos, given by `vltava dev` (which owns the broker processes). */
export interface ChaosControl {
  /** The actions, e.g. kill, pause, resume, stop, restart. */
  readonly actions: readonly string[];
  /** The brokers chaos may act on. */
  brokers(): number[];
  /** Do it; one line saying what was done. RangeError: refused (e.g. not running). */
  act(action: string, brokerId: number): Promise<string>;
}

/** Header a chaos request must carry. */
export const CHAOS_HEADER = "x-vltava-chaos";

/** Where the cluster's processes serve /metrics (vltava dev knows; a bare console does not). */
export interface MetricsLinks {
  /** broker id -> its /metrics URL. */
  brokers: Map<number, string>;
  coordinator?: string;
}

export interface ConsoleServerOptions {
  timeline: Timeline;
  /** Shown as links in the cluster view and in /api/cluster (`metricsUrl`). */
  metrics?: MetricsLinks;
  /** Chaos actions (vltava dev only); absent: /api/chaos answers 404. */
  chaos?: ChaosControl;
  hostname?: string;
  /** 0 picks a free port. */
  port: number;
  /** Events a client may fall behind before it is cut off. Default 10,000 (the log's follow bound). */
  log?: (message: string) => void;
}

export interface ConsoleServer {
  readonly hostname: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Most events one /api/events answer carries. */
export const MAX_EVENTS_PER_ANSWER = 5_000;
/** Znode reads in flight at once; more are refused with 503. */
export const MAX_ZNODE_READS = 16;
/** Streams open at once; more are refused with 503. */
export const MAX_STREAMS = 100;

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

const badRequest = (message: string) => json(400, { error: message });

/** `since`: a duration back from now (10m), an ISO time, or ms since the epoch. */
export function parseSince(value: string, nowMs = Date.now()): number | null {
  const duration = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (duration) return nowMs - Number(duration[1]) * UNITS_MS[duration[2]];
  if (/^\d{1,16}$/.test(value)) return Number(value);
  if (/^\d{4}-\d\d-\d\dT/.test(value)) {
    const time = Date.parse(value);
    return Number.isNaN(time) ? null : time;
  }
  return null;
}

function eventsAnswer(timeline: Timeline, params: URLSearchParams): Response {
  let sinceMs: number | undefined;
  const since = params.get("since");
  if (since !== null) {
    const parsed = parseSince(since);
    if (parsed === null) {
      return badRequest(
        `since: expected a duration (30s, 10m, 2h), an ISO time or ms since the epoch, got "${since}"`,
      );
    }
    sinceMs = parsed;
  }
  let limit = 1000;
  const limitText = params.get("limit");
  if (limitText !== null) {
    if (!/^\d{1,6}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_EVENTS_PER_ANSWER) {
      return badRequest(`limit: expected an integer from 1 to ${MAX_EVENTS_PER_ANSWER}, got "${limitText}"`);
    }
    limit = Number(limitText);
  }
  const types = params.getAll("type");
  for (const type of types) {
    if (!(EVENT_TYPES as readonly string[]).includes(type)) {
      return badRequest(`type: unknown event type "${type}" (one of ${EVENT_TYPES.join(", ")})`);
    }
  }
  const wanted = new Set(types as EventType[]);
  const events = timeline.log.query({ sinceMs }).filter((e) => wanted.size === 0 || wanted.has(e.type));
  return json(200, { events: events.slice(Math.max(0, events.length - limit)) });
}

/** Most partitions one /api/topics page carries. */
export const MAX_PARTITIONS_PER_PAGE = 10_000;
/** Most groups one /api/groups page carries (as many as the sampler follows). */
export const MAX_GROUPS_PER_PAGE = 10_000;

/** `offset` and `limit` of a paged answer (default: from 0, `max`), or the 400 that refuses them. */
function pageParams(params: URLSearchParams, max: number): { offset: number; limit: number } | Response {
  const integer = (name: string, fallback: number, most: number): number | string => {
    const text = params.get(name);
    if (text === null) return fallback;
    if (!/^\d{1,9}$/.test(text) || Number(text) > most) {
      return `${name}: expected an integer from 0 to ${most}, got "${text}"`;
    }
    return Number(text);
  };
  const offset = integer("offset", 0, 1e9);
  const limit = integer("limit", max, max);
  if (typeof offset === "string") return badRequest(offset);
  if (typeof limit === "string") return badRequest(limit);
  return { offset, limit };
}

/**
 * `/api/topics`: every topic, or a page of partitions — `topic` keeps topics whose name contains it,
 * `offset` / `limit` cut the partitions in (topic, partition) order — so a page of 1,000 partitions
 * asks for the hundred it shows, not all of them each refresh. `partitions` is how many matched.
 */
function topicsAnswer(timeline: Timeline, params: URLSearchParams): Response {
  const page = pageParams(params, MAX_PARTITIONS_PER_PAGE);
  if (page instanceof Response) return page;
  const { offset, limit } = page;
  const filter = params.get("topic") ?? "";
  const matching = topicsView(timeline, (name) => name.includes(filter));
  const total = matching.reduce((sum, topic) => sum + topic.partitions.length, 0);
  const topics = [];
  let position = 0; // partitions of the topics before this one
  for (const topic of matching) {
    const count = topic.partitions.length;
    const from = Math.max(0, offset - position);
    const to = Math.min(count, offset + limit - position);
    position += count;
    if (from < to) topics.push({ name: topic.name, partitions: topic.partitions.slice(from, to) });
    if (position >= offset + limit) break;
  }
  return json(200, { topics, partitions: total, offset, limit });
}

/**
 * `/api/groups`: every group, or a page of them in name order — `group` keeps groups whose id
 * contains it, `offset` / `limit` cut the list — so a page showing 25 of 100 groups carries their
 * members and committed offsets only. `count` is how many matched.
 */
function groupsAnswer(timeline: Timeline, params: URLSearchParams): Response {
  const page = pageParams(params, MAX_GROUPS_PER_PAGE);
  if (page instanceof Response) return page;
  const { offset, limit } = page;
  const filter = params.get("group") ?? "";
  const matching = groupsView(timeline).filter((g) => g.group.includes(filter));
  return json(200, { groups: matching.slice(offset, offset + limit), count: matching.length, offset, limit });
}

export function startConsoleServer(options: ConsoleServerOptions): ConsoleServer {
  const { timeline } = options;
  const hostname = options.hostname ?? "127.0.0.1";
  const knownBrokers = new Map<number, { host: string; port: number }>();
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const encoder = new TextEncoder();

  const stream = (request: Request): Response => {
    if (streams.size >= MAX_STREAMS) {
      return json(503, { error: `too many live streams (${MAX_STREAMS}); close a tab` });
    }
    const follower = timeline.log.follow();
    let controller: ReadableStreamDefaultController<Uint8Array>;
    let keepAlive: ReturnType<typeof setInterval> | undefined;
    const stop = () => {
      clearInterval(keepAlive);
      streams.delete(controller);
      void follower.return?.();
    };
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        streams.add(c);
        c.enqueue(
          encoder.encode(
            `retry: 2000\nevent: hello\ndata: ${JSON.stringify({ nextSeq: timeline.log.nextSeq })}\n\n`,
          ),
        );
        // A comment every 15 s keeps proxies from closing an idle stream and finds dead clients.
        keepAlive = setInterval(() => {
          try {
            c.enqueue(encoder.encode(": keep-alive\n\n"));
          } catch {
            stop();
          }
        }, 15_000);
        void (async () => {
          try {
            for await (const event of follower) {
              // The browser's socket buffer is full: stop feeding rather than queue without end.
              if ((c.desiredSize ?? 0) < -1_000_000) throw new RangeError("client too slow");
              c.enqueue(encoder.encode(`event: event\ndata: ${JSON.stringify(event)}\n\n`));
            }
            c.close();
          } catch {
            // Fell too far behind (bounded queue) or the client went away: end this stream only.
            try {
              c.close();
            } catch { /* already closed */ }
          } finally {
            stop();
          }
        })();
      },
      cancel() {
        stop();
      },
    });
    request.signal.addEventListener("abort", stop);
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" },
    });
  };

  const chaos = async (request: Request, path: string): Promise<Response> => {
    const control = options.chaos;
    if (!control) return json(404, { error: "chaos is only available in a cluster started by vltava dev" });
    if (request.method !== "POST") {
      return json(405, { error: "chaos actions are POST /api/chaos/ACTION/BROKER" });
    }
    if (request.headers.get(CHAOS_HEADER) !== "yes") {
      return json(403, { error: `chaos requests need the header ${CHAOS_HEADER}: yes` });
    }
    const match = /^\/api\/chaos\/([a-z]+)\/(\d{1,4})$/.exec(path);
    if (!match) return json(400, { error: "expected POST /api/chaos/ACTION/BROKER, e.g. /api/chaos/kill/2" });
    const [, action, id] = match;
    if (!control.actions.includes(action)) {
      return json(400, { error: `unknown chaos action "${action}" (one of ${control.actions.join(", ")})` });
    }
    const brokerId = Number(id);
    if (!control.brokers().includes(brokerId)) {
      return json(404, {
        error: `broker ${brokerId} is not one of this dev cluster's brokers (${
          control.brokers().join(", ")
        })`,
      });
    }
    try {
      return json(200, { done: await control.act(action, brokerId) });
    } catch (error) {
      if (error instanceof RangeError) return json(409, { error: error.message });
      throw error;
    }
  };

  // Tree reads in flight at once: a page clicking fast (or a script) cannot queue without bound on the
  // timeline's session, which also carries the watches.
  let znodeReads = 0;
  const znodes = async (params: URLSearchParams): Promise<Response> => {
    if (znodeReads >= MAX_ZNODE_READS) {
      return json(503, { error: `too many tree reads at once (${MAX_ZNODE_READS}); try again` });
    }
    znodeReads++;
    try {
      const { status, body } = await znodeView(timeline.zk, params.get("path") ?? "/");
      return json(status, body);
    } finally {
      znodeReads--;
    }
  };

  const server = Deno.serve({ hostname, port: options.port, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/api/chaos")) return chaos(request, url.pathname);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return json(405, {
        error: `method ${request.method} not allowed: the console's API is read-only (GET)`,
      });
    }
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return new Response(CONSOLE_PAGE, {
          headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
        });
      case "/api/cluster":
        return json(200, {
          ...clusterView(timeline, knownBrokers, options.metrics),
          chaos: options.chaos ? [...options.chaos.actions] : null,
        });
      case "/api/topics":
        return topicsAnswer(timeline, url.searchParams);
      case "/api/groups":
        return groupsAnswer(timeline, url.searchParams);
      case "/api/events":
        return eventsAnswer(timeline, url.searchParams);
      case "/api/stream":
        return stream(request);
      case "/api/znodes":
        return znodes(url.searchParams);
      default:
        return json(404, {
          error:
            `no such path ${url.pathname}: try /, /api/cluster, /api/topics, /api/groups, /api/events, /api/stream, /api/znodes`,
        });
    }
  });
  return {
    hostname,
    port: server.addr.port,
    async close() {
      for (const controller of streams) {
        try {
          controller.close();
        } catch { /* already closed */ }
      }
      streams.clear();
      await server.shutdown();
    },
  };
}
