/**
 * V8 flags the program runs with: on the `deno run` command line selfCommand builds (which the
 * tests' programCommand uses too), and in deno.json's `start` and `compile` tasks
 * (tests/cli/self-command_test.ts holds them to this).
 *
 * `--no-memory-reducer`: V8's memory reducer shrinks the heap of a process it thinks idle, and
 * also, as a watchdog, 100 s after the last mark-compact whatever the process is doing. A broker
 * that makes little old-space garbage goes that long without one, so the watchdog's collection
 * (compacting, heap shrunk, then grown again) was a leader's pause of 10–16 ms 100 s after
 * start-up, and again after any later mark-compact finding the heap grown by 10 MB: one of the
 * three-broker tail's worst episodes (issue 14). A server has no background tab to give memory
 * back for; its ordinary collections still size its heap.
 */
export const RUNTIME_V8_FLAGS = "--no-memory-reducer";

/**
 * How this program starts another copy of itself (for `vltava dev`): the compiled binary
 * runs itself directly (it carries RUNTIME_V8_FLAGS from `deno task compile`); under `deno run`
 * the same main module runs with the same runtime and RUNTIME_V8_FLAGS.
 */
export function selfCommand(): string[] {
  const exec = Deno.execPath();
  const isDenoRuntime = /(^|\/)deno(\.exe)?$/.test(exec);
  if (!isDenoRuntime) return [exec];
  const main = new URL("../../main.ts", import.meta.url);
  return [
    exec,
    "run",
    "-A",
    "--quiet",
    `--v8-flags=${RUNTIME_V8_FLAGS}`,
    main.protocol === "file:" ? main.pathname : main.href,
  ];
}
