/**
 * The broker's buffered log lines (src/broker/log-lines.ts): every line reaches stderr, in order,
 * also past the pending bound and when the process exits right after logging.
 */
import assert from "node:assert/strict";

const MODULE = new URL("../../src/broker/log-lines.ts", import.meta.url).href;

async function stderrOf(script: string): Promise<{ code: number; lines: string[] }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `import { logLine } from "${MODULE}";\n${script}`],
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stderr);
  return { code: output.code, lines: text.split("\n").filter(Boolean) };
}

Deno.test("log lines come out whole and in order, across tasks and past the pending bound", async () => {
  const { code, lines } = await stderrOf(`
    for (let i = 0; i < 5000; i++) logLine("line " + i);
    await new Promise((resolve) => setTimeout(resolve, 1));
    logLine("after a task");
  `);
  assert.equal(code, 0);
  assert.deepEqual(lines, [...Array.from({ length: 5000 }, (_, i) => `line ${i}`), "after a task"]);
});

Deno.test("lines logged just before Deno.exit are written", async () => {
  const { code, lines } = await stderrOf(`logLine("last words"); Deno.exit(4);`);
  assert.equal(code, 4);
  assert.deepEqual(lines, ["last words"]);
});
