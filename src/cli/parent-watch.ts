/**
 * Children of `vltava dev` must not outlive it, even when it is SIGKILLed and cannot stop them.
 * dev starts each child with a pipe on stdin and the hidden flag `--exit-with-parent`; the
 * kernel closes the pipe when dev dies for any reason, so the child sees end of file and shuts
 * down. Works alike on every platform, needs no polling and no parent-pid check.
 */
import { Option } from "@commander-js/extra-typings";

/** The hidden option that turns the watch on (only `vltava dev` passes it). */
export function exitWithParentOption() {
  return new Option("--exit-with-parent", "stop when stdin reaches end of file (set by vltava dev)")
    .default(false)
    .hideHelp();
}

/**
 * Call `stop` once stdin reaches end of file (or fails), then give the clean shutdown
 * `graceMs` before exiting anyway: nobody is left to send a SIGKILL.
 */
export function stopWhenStdinCloses(stop: () => void, graceMs = 20_000): void {
  void (async () => {
    const buffer = new Uint8Array(4096);
    try {
      while ((await Deno.stdin.read(buffer)) !== null) { /* input is ignored */ }
    } catch { /* a broken stdin means the same: the parent is gone */ }
    try {
      // The parent usually held our stderr too; a write into a closed pipe must not stop the stop.
      console.error("parent process gone (stdin closed): stopping");
    } catch { /* nobody is reading */ }
    stop();
    Deno.unrefTimer(setTimeout(() => Deno.exit(1), graceMs));
  })();
}
