/**
 * The HTTP side of metrics: `GET /metrics` answers the registry's exposition (Prometheus text
 * format 0.0.4); anything else is a 404 (or 405 for other methods) with a one-line explanation.
 * Off unless a port is given (`--http-port`); binds the given host (127.0.0.1 by default).
 *
 * @example
 * ```ts
 * const server = serveMetrics({ port: 0, render: () => registry.render() });
 * console.log(server.port);
 * await server.close();
 * ```
 */

export interface MetricsServerOptions {
  hostname?: string;
  /** 0 picks a free port. */
  port: number;
  /** The exposition text. */
  render: () => string;
}

export interface MetricsServer {
  readonly hostname: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Content type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Start serving /metrics. Throws (Deno.errors.AddrInUse …) when the port cannot be bound. */
export function serveMetrics(options: MetricsServerOptions): MetricsServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Deno.serve({ hostname, port: options.port, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response(`Method ${request.method} not allowed: use GET /metrics\n`, {
        status: 405,
        headers: { allow: "GET, HEAD" },
      });
    }
    if (url.pathname !== "/metrics") {
      return new Response(`Not found: ${url.pathname} (metrics are at /metrics)\n`, { status: 404 });
    }
    return new Response(request.method === "HEAD" ? null : options.render(), {
      headers: { "content-type": PROMETHEUS_CONTENT_TYPE },
    });
  });
  return {
    hostname,
    port: server.addr.port,
    close: () => server.shutdown(),
  };
}
