/**
 * The last resort for failures nothing else caught: a rejected promise nobody awaited or an
 * exception thrown in a timer or event callback of some background task. Deno's default prints
 * a stack trace, which a user of the CLI must never see; instead print one `error: …` line and
 * exit 1. Commands still handle their own failures (program.ts); this only covers the leaks.
 */

/** The one line printed for an uncaught failure. */
export function lastResortLine(reason: unknown): string {
  const raw = reason instanceof Error
    ? reason.message || reason.name
    : typeof reason === "string"
    ? reason
    : safeString(reason);
  const message = raw.split("\n").map((line) => line.trim()).filter((line) => line !== "").join(" ");
  return `error: ${message || "unexpected failure"}`;
}

function safeString(value: unknown): string {
  try {
    return typeof value === "object" && value !== null
      ? JSON.stringify(value) ?? String(value)
      : String(value);
  } catch {
    // Not serialisable (a cycle, a BigInt): its plain string form is still worth a line.
    return String(value);
  }
}

/** Install the handlers on globalThis: one line on stderr and exit 1 instead of a stack trace. */
export function installLastResort(): void {
  const fail = (event: Event, reason: unknown) => {
    event.preventDefault();
    try {
      Deno.stderr.writeSync(new TextEncoder().encode(`${lastResortLine(reason)}\n`));
    } finally {
      Deno.exit(1);
    }
  };
  globalThis.addEventListener("unhandledrejection", (event) => fail(event, event.reason));
  globalThis.addEventListener("error", (event) => fail(event, event.error ?? event.message));
}
