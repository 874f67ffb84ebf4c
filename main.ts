/**
 * The `vltava` executable: builds the command tree and runs it.
 *
 * @example
 * ```sh
 * deno run -A main.ts coordinator start --port 2181
 * ```
 */
import "./src/cli/commands.ts";
import { runProgram } from "./src/cli/program.ts";
import { installLastResort } from "./src/cli/last-resort.ts";

if (import.meta.main) {
  // A background task's unhandled rejection or thrown callback must not show a user a stack trace.
  installLastResort();
  Deno.exit(await runProgram(Deno.args));
}
