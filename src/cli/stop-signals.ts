/**
 * How a long-running server command learns it should stop.
 *
 * Standalone, SIGINT and SIGTERM both stop it. Under `vltava dev` (which sets
 * VLTAVA_SUPERVISED=1 for its children) the parent owns the lifecycle: a terminal's Ctrl-C
 * reaches the whole process group at once, and if every child stopped on it the coordinator
 * would be gone before the brokers' controlled shutdown could talk to it. So a supervised child
 * ignores SIGINT and waits for the parent's orderly SIGTERM; and when the parent dies without
 * one (SIGKILL), the pipe on the child's stdin closes and the child stops instead of lingering.
 *
 * @example
 * ```ts
 * const release = onStopRequest(() => server.close());
 * await server.closed;
 * release();
 * ```
 */
export const SUPERVISED_ENV = "VLTAVA_SUPERVISED";

/** Call `stop` once when the process is asked to stop; returns a function that removes the hooks. */
export function onStopRequest(stop: () => void): () => void {
  let stopped = false;
  const stopOnce = () => {
    if (stopped) return;
    stopped = true;
    stop();
  };
  const supervised = Deno.env.get(SUPERVISED_ENV) === "1";
  const ignore = () => {};
  const onInterrupt = supervised ? ignore : stopOnce;
  Deno.addSignalListener("SIGINT", onInterrupt);
  Deno.addSignalListener("SIGTERM", stopOnce);
  if (supervised) void stopWhenParentGoes(stopOnce);
  return () => {
    stopped = true;
    Deno.removeSignalListener("SIGINT", onInterrupt);
    Deno.removeSignalListener("SIGTERM", stopOnce);
  };
}

/** Nobody is left to send a SIGKILL when the parent is gone: a clean stop gets this long. */
const ORPHAN_GRACE_MS = 20_000;

/** The parent holds our stdin open and never writes; end of input means it is gone. */
async function stopWhenParentGoes(stop: () => void): Promise<void> {
  const buffer = new Uint8Array(64);
  try {
    while ((await Deno.stdin.read(buffer)) !== null) { /* the parent never writes; ignore */ }
  } catch { /* stdin unusable: treat as gone */ }
  try {
    console.error("parent process gone (stdin closed): stopping");
  } catch { /* the parent held our stderr too; nobody reads it now */ }
  stop();
  Deno.unrefTimer(setTimeout(() => Deno.exit(1), ORPHAN_GRACE_MS));
}
