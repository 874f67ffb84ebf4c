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

/**
 * Run a script whose stderr is not read until its stdout printed `marker` (a reader that falls
 * behind); then read all of stderr. Fails (and kills the child) if the marker never comes.
 */
async function withStalledStderr(script: string, marker: string): Promise<{ code: number; lines: string[] }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", `import { logLine, logLinesWritten } from "${MODULE}";\n${script}`],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const decoder = new TextDecoder();
    let stdout = "";
    for await (const chunk of child.stdout) {
      stdout += decoder.decode(chunk, { stream: true });
      if (stdout.includes(marker)) break;
    }
    assert.ok(stdout.includes(marker), `the child printed ${marker} while nobody read its stderr`);
    const text = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
    const { code } = await child.status;
    return { code, lines: text.split("\n").filter(Boolean) };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("a stderr nobody reads does not stop the process: its timers run, and every line comes out later", async () => {
  // 1 MiB of lines, far more than a pipe holds: a synchronous write would block until read.
  const { code, lines } = await withStalledStderr(
    `
    for (let i = 0; i < 10000; i++) logLine("line " + i + " " + "x".repeat(100));
    await new Promise((resolve) => setTimeout(resolve, 1));
    console.log("timer ran");
    await logLinesWritten(60_000);
  `,
    "timer ran",
  );
  assert.equal(code, 0);
  assert.equal(lines.length, 10000);
  lines.forEach((line, i) =>
    assert.ok(line.startsWith(`line ${i} `), `line ${i} in order: ${line.slice(0, 20)}`)
  );
});

Deno.test("past the queue's bound lines are dropped, and a line says how many", async () => {
  // 60 tasks of 1,000 lines of ~110 bytes: 6.6 MB, beyond the 4 MiB bound while nobody reads.
  const { code, lines } = await withStalledStderr(
    `
    for (let task = 0; task < 60; task++) {
      for (let i = 0; i < 1000; i++) logLine("line " + (task * 1000 + i) + " " + "x".repeat(100));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    console.log("all logged");
    await logLinesWritten(60_000);
  `,
    "all logged",
  );
  assert.equal(code, 0);
  const kept = lines.filter((line) => line.startsWith("line ")).map((line) => Number(line.split(" ")[1]));
  const notices = lines.filter((line) =>
    /^\d+ log line\(s\) dropped: stderr was not read fast enough$/.test(line)
  );
  assert.ok(notices.length >= 1, "a notice says lines were dropped");
  const droppedCount = notices.reduce((sum, line) => sum + Number(line.split(" ")[0]), 0);
  assert.equal(kept.length + droppedCount, 60_000, "every line is either written or counted");
  assert.ok(kept.length >= 30_000, `the queue kept the first lines up to its bound (${kept.length})`);
  kept.forEach((n, i) => assert.ok(i === 0 || n > kept[i - 1], "kept lines in order"));
  assert.equal(kept[0], 0);
});
