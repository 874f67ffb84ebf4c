/**
 * What some churn leaves that only a mark-compact frees, measured in a child process whose heap
 * the test makes old first (gc() needs --expose-gc), as on a process that has run a while:
 * growth of the old space (oldSpaceGrowth), or dead ArrayBuffers whose memory waits for a
 * mark-compact because their objects had grown old (oldBufferGarbage).
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
  return Number(
    await runChild(`
    import v8 from "node:v8";
    ${source}
    const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "old_space").space_used_size;
    await churn(2_000);
    gc();
    gc(); // everything above is old now
    const before = oldSpace();
    await churn(20_000);
    console.log(oldSpace() - before);`),
  );
}

/**
 * Runs `source`, which defines an async function `churn(rounds)`, then `churn(2_000)` and two
 * full collections, then `churn(20_000)` in steps of 100 rounds with a young-generation
 * collection after each, as a busy process has them every fraction of a second: an object alive
 * at two of them is moved to the old generation, and so is the ArrayBuffer it holds. Returns the
 * bytes of ArrayBuffers left that only a full collection frees (those left after two more young
 * collections, less those left after a full one; V8's external memory, which counts them).
 */
export async function oldBufferGarbage(source: string): Promise<number> {
  return Number(
    await runChild(`
    import v8 from "node:v8";
    ${source}
    const external = () => v8.getHeapStatistics().external_memory;
    await churn(2_000);
    gc();
    gc();
    for (let step = 0; step < 200; step++) {
      await churn(100);
      gc({ type: "minor" });
    }
    // Dead ArrayBuffers are freed on a helper thread after the collection that found them, and
    // counted as freed at the next collection: read the count after a young one that follows.
    const swept = async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      gc({ type: "minor" });
      return external();
    };
    gc({ type: "minor" });
    gc({ type: "minor" });
    const left = await swept();
    gc();
    console.log(left - await swept());`),
  );
}

/** Runs `script` in a child Deno with gc() exposed; returns what it printed. */
async function runChild(script: string): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", script + "\nDeno.exit(0); // whatever the setup left open"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout).trim();
}
