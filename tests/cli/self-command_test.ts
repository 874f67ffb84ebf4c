import assert from "node:assert/strict";
import { RUNTIME_V8_FLAGS, selfCommand } from "../../src/cli/self-command.ts";
import { programCommand } from "../helpers/program.ts";

const flag = `--v8-flags=${RUNTIME_V8_FLAGS}`;

Deno.test("every way the program is started runs it with its V8 flags", async () => {
  // Under `deno run`, the copies `vltava dev` starts and the ones tests start.
  assert.ok(selfCommand().includes(flag), selfCommand().join(" "));
  if (Deno.env.get("VLTAVA_BIN") === undefined) assert.ok(programCommand().includes(flag));
  // The tasks: a local cluster, and the compiled binary, which carries them into every copy.
  const { tasks } = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  for (const task of ["start", "compile"]) {
    assert.ok(tasks[task].split(" ").includes(flag), `deno.json's ${task} task: ${tasks[task]}`);
  }
});

Deno.test("the program starts under its V8 flags: a copy it runs accepts them and works", async () => {
  // A V8 that no longer knew a flag would refuse to start (or warn and run without it).
  const [command, ...args] = selfCommand();
  const output = await new Deno.Command(command, {
    args: [...args, "--version"],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.equal(stderr.trim(), "", "no warning about the flags");
  assert.match(new TextDecoder().decode(output.stdout), /\d+\.\d+\.\d+/);
});
