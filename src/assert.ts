/**
 * Invariants: conditions that must never be false whatever the input (a high watermark moving
 * backwards, a leader epoch going down, a follower appending below its log end). They are not
 * error handling — bad input is answered with an error code long before — but tripwires for bugs
 * in the mechanisms themselves, in the TigerBeetle manner: cheap checks on the paths that change
 * state.
 *
 * A violated invariant always logs one loud line with the stack. What happens next depends on
 * the mode: "exit" (the processes tests start: main.ts reads VLTAVA_INVARIANTS=exit, which
 * tests/helpers set) ends the process at once with exit code 70, so the test that caused it fails; "throw" (unit
 * tests, setInvariantMode) throws an InvariantError; "log" (production default) lets the process
 * go on serving everything else, since one partition's bug must not take a broker and all its
 * other partitions down.
 *
 * @example
 * ```ts
 * invariant(next >= current, () => `high watermark moved backwards: ${current} -> ${next}`);
 * ```
 */

/** What a violated invariant does after logging. */
export type InvariantMode = "exit" | "throw" | "log";

/** Process exit code after a violated invariant in "exit" mode (EX_SOFTWARE). */
export const INVARIANT_EXIT_CODE = 70;

/** Thrown in "throw" mode. */
export class InvariantError extends Error {
  override name = "InvariantError";
}

let mode: InvariantMode = "log";
let violations = 0;

/** Switch modes (unit tests use "throw"; the program takes VLTAVA_INVARIANTS). */
export function setInvariantMode(next: InvariantMode): void {
  mode = next;
}

/** The mode a VLTAVA_INVARIANTS value names; anything else is the production default. */
export function parseInvariantMode(value: string | undefined): InvariantMode {
  return value === "exit" || value === "throw" ? value : "log";
}

/** How many invariants were violated in this process (tests assert it stays 0). */
export function invariantViolations(): number {
  return violations;
}

/**
 * Check a condition that must hold. The message is a function so the happy path allocates
 * nothing.
 */
export function invariant(condition: boolean, message: () => string): void {
  if (condition) return;
  violations++;
  const error = new InvariantError(`invariant violated: ${message()}`);
  console.error(error.stack ?? error.message);
  if (mode === "exit") Deno.exit(INVARIANT_EXIT_CODE);
  if (mode === "throw") throw error;
}
