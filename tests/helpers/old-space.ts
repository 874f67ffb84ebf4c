/**
 * Old-space growth of some churn, measured in a child process whose heap the test makes old
 * first (gc() needs --expose-gc), as on a process that has run a while: what grows there is what
 * only a mark-compact frees.
 *
 * @example
 * ```ts
 * const grown = await oldSpaceGrowth(`let n = 0; async function churn(rounds) { n += rounds; }`);
 * ```
 */
import assert from "node:assert/strict";

/**
 * Runs `source`, which defines an async function `churn(rounds)`, then `churn(2_000)` (whose
 * objects then become old), then `churn(20_000)`, and returns by how many bytes the old space
 * grew during the second.
 */
export async function oldSpaceGrowth(source: string): Promise<number> {
  const script = `
    import v8 from "node:v8";
    ${source}
    const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "old_space").space_used_size;
    await churn(2_000);
    gc();
    gc(); // everything above is old now
    const before = oldSpace();
    await churn(20_000);
    console.log(oldSpace() - before);
    Deno.exit(0); // whatever the setup left open`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return Number(new TextDecoder().decode(output.stdout).trim());
}
