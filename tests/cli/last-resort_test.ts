/**
 * The last-resort handlers: an unhandled rejection or an exception thrown in a callback becomes one
 * `error: …` line on stderr and exit code 1, never a stack trace.
 */
import assert from "node:assert/strict";
import { lastResortLine } from "../../src/cli/last-resort.ts";
import { tempDir } from "../helpers/program.ts";

Deno.test("lastResortLine: one line from an Error, a string or anything else", () => {
  assert.equal(lastResortLine(new Error("Connection reset by peer")), "error: Connection reset by peer");
  assert.equal(lastResortLine(new Error("first\n  second\n")), "error: first second");
  assert.equal(lastResortLine(new RangeError("")), "error: RangeError");
  assert.equal(lastResortLine("plain text"), "error: plain text");
  assert.equal(lastResortLine({ code: 7 }), 'error: {"code":7}');
  assert.equal(lastResortLine(undefined), "error: undefined");
  assert.equal(lastResortLine(""), "error: unexpected failure");
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(lastResortLine(cyclic), "error: [object Object]");
});

/** Run a script that installs the handlers and then fails in the background. */
async function runScript(body: string): Promise<{ code: number; stderr: string }> {
  await using dir = await tempDir();
  const path = `${dir.path}/script.ts`;
  const module = new URL("../../src/cli/last-resort.ts", import.meta.url).href;
  await Deno.writeTextFile(
    path,
    `import { installLastResort } from "${module}";\ninstallLastResort();\n${body}\n`,
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", path],
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("an unhandled rejection of a background task: one line, exit 1", async () => {
  const result = await runScript(
    `setTimeout(() => void Promise.reject(new Error("Broker link closed")), 10);`,
  );
  assert.deepEqual(result, { code: 1, stderr: "error: Broker link closed\n" });
});

Deno.test("an exception thrown in a timer callback: one line, exit 1", async () => {
  const result = await runScript(
    `setTimeout(() => { throw new TypeError("Bad state\\nat somewhere"); }, 10);`,
  );
  assert.deepEqual(result, { code: 1, stderr: "error: Bad state at somewhere\n" });
});
