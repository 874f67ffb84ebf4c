/**
 * `vltava console`: serve the web console against any Vltava cluster — the timeline (src/events)
 * watching the coordinator and sampling the brokers, and the page and JSON API (src/console) on
 * 127.0.0.1:8080 unless told otherwise. Prints `console: http://HOST:PORT` once it serves.
 *
 * @example
 * ```sh
 * vltava console --coordinator 127.0.0.1:2181 --port 8080
 * ```
 */
import { registerCommands } from "./program.ts";
import { CliError } from "./cli-error.ts";
import { connectStringOption, integerOption } from "./options.ts";
import { withSecurityOptions } from "./client-security.ts";
import { openTimeline } from "./events.ts";
import { onStopRequest } from "./stop-signals.ts";
import { startConsoleServer } from "../console/console-server.ts";

registerCommands((program) => {
  withSecurityOptions(
    program.command("console")
      .description("serve the web console: live timeline, brokers, partitions (ISR, high watermark), groups")
      .requiredOption(
        "--coordinator <connect>",
        "coordinator or ZooKeeper connect string HOST:PORT[,HOST:PORT][/chroot]",
        connectStringOption,
      )
      .option("--bootstrap <hosts>", "brokers to sample (default: the brokers registered in the tree)")
      .option("--host <host>", "interface to serve on", "127.0.0.1")
      .option("--port <port>", "port to serve on (0 picks a free one)", integerOption(0, 65535), 8080)
      .option("--sample-ms <ms>", "how often brokers are sampled", integerOption(100, 60_000), 1000),
  ).action(async (options) => {
    const timeline = await openTimeline(options, options.sampleMs);
    let server;
    try {
      server = startConsoleServer({ timeline, hostname: options.host, port: options.port });
    } catch (error) {
      await timeline.stop();
      if ((error as Error).name === "AddrInUse") {
        throw new CliError(`port ${options.port} on ${options.host} is in use (pick another with --port)`);
      }
      throw new CliError(`cannot serve the console: ${(error as Error).message}`);
    }
    console.log(`console: http://${options.host}:${server.port}`);
    const stopped = Promise.withResolvers<void>();
    const release = onStopRequest(() => stopped.resolve());
    await stopped.promise;
    release();
    await server.close();
    await timeline.stop();
  });
});
