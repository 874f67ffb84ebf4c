/**
 * `vltava coordinator start`: run the ZooKeeper-protocol coordinator in the foreground until
 * SIGINT or SIGTERM, which close it cleanly (journal flushed).
 */
import { onStopRequest } from "./stop-signals.ts";
import { registerCommands } from "./program.ts";
import { CliError } from "./cli-error.ts";
import { integerOption } from "./options.ts";
import { startCoordinator } from "../coordinator/server.ts";
import { coordinatorMetricsText } from "../coordinator/coordinator-metrics.ts";
import { type MetricsServer, serveMetrics } from "../metrics/metrics-server.ts";

registerCommands((program) => {
  const coordinator = program.command("coordinator").description("the ZooKeeper-compatible coordinator");
  coordinator
    .command("start")
    .description("run the coordinator in the foreground (SIGINT/SIGTERM stop it cleanly)")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on", integerOption(0, 65535), 2181)
    .option("--data-dir <dir>", "journal and snapshot directory", "./vltava-data/coordinator")
    .option("--tick-ms <ms>", "tick: session expiry granularity", integerOption(1, 3_600_000), 2000)
    .option(
      "--min-session-timeout-ms <ms>",
      "smallest session timeout granted (default 2 x tick)",
      integerOption(1),
    )
    .option(
      "--max-session-timeout-ms <ms>",
      "largest session timeout granted (default 20 x tick)",
      integerOption(1),
    )
    .option(
      "--max-frame-bytes <bytes>",
      "largest request frame accepted",
      integerOption(64, 512 * 1024 * 1024),
      1048575,
    )
    .option(
      "--snapshot-every-txns <count>",
      "take a snapshot after this many writes",
      integerOption(1),
      100_000,
    )
    .option("--max-connections <count>", "most client connections at once", integerOption(1), 1024)
    .option(
      "--http-port <port>",
      "serve Prometheus metrics (ZooKeeper's names) at http://HOST:PORT/metrics (off unless given; 0: a free port)",
      integerOption(0, 65535),
    )
    .action(async (options) => {
      const tickMs = options.tickMs;
      const minSessionTimeoutMs = options.minSessionTimeoutMs ?? 2 * tickMs;
      const maxSessionTimeoutMs = options.maxSessionTimeoutMs ?? 20 * tickMs;
      if (minSessionTimeoutMs > maxSessionTimeoutMs) {
        throw new CliError(
          `--min-session-timeout-ms ${minSessionTimeoutMs} is above --max-session-timeout-ms ${maxSessionTimeoutMs}`,
          2,
        );
      }
      let server;
      try {
        server = await startCoordinator({
          host: options.host,
          port: options.port,
          dataDir: options.dataDir,
          tickMs,
          minSessionTimeoutMs,
          maxSessionTimeoutMs,
          maxFrameBytes: options.maxFrameBytes,
          snapshotEveryTxns: options.snapshotEveryTxns,
          maxConnections: options.maxConnections,
        });
      } catch (error) {
        if (error instanceof Deno.errors.AddrInUse) {
          throw new CliError(`port ${options.port} on ${options.host} is in use (pick another with --port)`);
        }
        if (error instanceof Deno.errors.PermissionDenied) {
          throw new CliError(`cannot use ${options.dataDir} or port ${options.port}: permission denied`);
        }
        const message = (error as Error).message;
        if (message.includes("in use by another coordinator")) {
          throw new CliError(`${message} (stop it, or pick another --data-dir)`);
        }
        throw new CliError(`cannot start the coordinator: ${message}`);
      }
      let metrics: MetricsServer | undefined;
      if (options.httpPort !== undefined) {
        const coordinator = server;
        try {
          metrics = serveMetrics({
            hostname: options.host,
            port: options.httpPort,
            render: () => coordinatorMetricsText(coordinator.stats()),
          });
        } catch (error) {
          await server.close();
          throw new CliError(
            `cannot serve metrics on ${options.host}:${options.httpPort}: ${(error as Error).message}`,
          );
        }
        console.log(`coordinator metrics on http://${options.host}:${metrics.port}/metrics`);
      }
      const releaseStopHooks = onStopRequest(() => void server.close());
      console.log(`coordinator listening on ${server.host}:${server.port}`);
      await server.closed;
      await metrics?.close();
      releaseStopHooks();
      if (server.failure) {
        throw new CliError(`the coordinator stopped: journal write failed: ${server.failure.message}`);
      }
    });
});
