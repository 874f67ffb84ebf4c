/**
 * `vltava chaos kill|pause|resume|stop|restart BROKER`: built-in chaos against a running
 * `vltava dev` cluster (which owns the broker processes), through its console's chaos endpoint.
 * Prints what was done; then `vltava events --follow` or the console shows what the cluster did.
 *
 * @example
 * ```sh
 * vltava chaos kill 2 --console http://127.0.0.1:8080
 * ```
 */
import { registerCommands } from "./program.ts";
import { CliError, usageError } from "./cli-error.ts";
import { integerOption } from "./options.ts";
import { CHAOS_ACTIONS } from "../dev/local-cluster.ts";
import { CHAOS_HEADER } from "../console/console-server.ts";

registerCommands((program) => {
  program.command("chaos")
    .description("break a broker of a running `vltava dev` cluster: kill, pause, resume, stop or restart it")
    .argument("<action>", `one of ${CHAOS_ACTIONS.join(", ")}`)
    .argument("<broker>", "broker id", integerOption(0, 1023))
    .option("--console <url>", "the dev cluster's console (printed by vltava dev)", "http://127.0.0.1:8080")
    .action(async (action, broker, options) => {
      if (!(CHAOS_ACTIONS as readonly string[]).includes(action)) {
        throw usageError(`unknown action "${action}" (one of ${CHAOS_ACTIONS.join(", ")})`);
      }
      let url: URL;
      try {
        url = new URL(`/api/chaos/${action}/${broker}`, options.console);
      } catch {
        throw usageError(`--console expects a URL like http://127.0.0.1:8080, got "${options.console}"`);
      }
      let response: Response;
      try {
        response = await fetch(url, { method: "POST", headers: { [CHAOS_HEADER]: "yes" } });
      } catch (error) {
        throw new CliError(
          `cannot reach the dev console at ${options.console}: ${
            (error as Error).message
          } (is vltava dev running?)`,
        );
      }
      const body = await response.json().catch(() => ({})) as { done?: string; error?: string };
      if (!response.ok) throw new CliError(body.error ?? `the console answered ${response.status}`);
      console.log(body.done);
    });
});
