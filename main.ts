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
import { parseInvariantMode, setInvariantMode } from "./src/assert.ts";

if (import.meta.main) {
  // Tests run the program with VLTAVA_INVARIANTS=exit, so a violated invariant fails them.
  setInvariantMode(parseInvariantMode(Deno.env.get("VLTAVA_INVARIANTS")));
  // A background task's unhandled rejection or thrown callback must not show a user a stack trace.
  installLastResort();
  Deno.exit(await runProgram(Deno.args));
}
