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

if (import.meta.main) {
  Deno.exit(await runProgram(Deno.args));
}
