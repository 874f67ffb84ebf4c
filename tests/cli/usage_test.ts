/**
 * The CLI contract every command shares: usage errors are one line on stderr with exit code 2 that
 * names the help to read, `--help` works (exit 0) on every command, `--version` prints the version.
 */
import assert from "node:assert/strict";
import "../../src/cli/commands.ts";
import {
  buildProgram,
  commandPath,
  commandTree,
  type ProgramOutput,
  runProgram,
} from "../../src/cli/program.ts";
import { VERSION } from "../../src/version.ts";
import { runCli } from "../helpers/program.ts";

function assertOneUsageLine(result: { code: number; stdout: string; stderr: string }, expected: string) {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr, `${expected}\n`);
}

Deno.test("usage errors from Commander are one line naming the command's help, exit 2", async () => {
  assertOneUsageLine(
    await runCli(["topic", "create", "orders", "--bogus"]),
    "error: unknown option '--bogus' (see: vltava topic create --help)",
  );
  assertOneUsageLine(
    await runCli(["topic", "create"]),
    "error: missing required argument 'name' (see: vltava topic create --help)",
  );
  assertOneUsageLine(
    await runCli(["zk", "ls", "/", "--timeout-ms", "soon"]),
    `error: option '--timeout-ms <ms>' argument 'soon' is invalid. expected an integer, got "soon" (see: vltava zk ls --help)`,
  );
  // Commander's suggestion comes on a line of its own; it is folded into the one line.
  assertOneUsageLine(
    await runCli(["group", "lst"]),
    "error: unknown command 'lst' (Did you mean list?) (see: vltava group --help)",
  );
  assertOneUsageLine(
    await runCli(["no-such-command"]),
    "error: unknown command 'no-such-command' (see: vltava --help)",
  );
});

Deno.test("usage errors thrown by our own checks (CliError) are one line naming the command's help, exit 2", async () => {
  // Thrown by an option parser, before any action runs.
  assertOneUsageLine(
    await runCli(["consume", "orders", "--from-time", "yesterday"]),
    `error: --from-time expects an ISO date like 2026-01-31T12:00:00Z, got "yesterday" (see: vltava consume --help)`,
  );
  // Thrown by an action, before it connects anywhere.
  assertOneUsageLine(
    await runCli(["group", "reset-offsets", "g", "--topic", "t"]),
    "error: choose exactly one of --to-earliest, --to-latest, --to-offset, --to-time, --shift-by " +
      "(see: vltava group reset-offsets --help)",
  );
  assertOneUsageLine(
    await runCli(["produce", "orders", "--acks", "2"]),
    `error: --acks expects 0, 1 or all, got "2" (see: vltava produce --help)`,
  );
});

Deno.test("vltava --version prints the version, and --help exits 0 through the real program", async () => {
  const version = await runCli(["--version"]);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout, `${VERSION}\n`);
  assert.match(VERSION, /^\d+\.\d+\.\d+/);

  for (const args of [["--help"], ["topic", "create", "--help"], ["zk", "get", "--help"]]) {
    const help = await runCli(args);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stderr, "");
    assert.ok(help.stdout.startsWith(`Usage: vltava ${args.slice(0, -1).join(" ")}`.trimEnd()), help.stdout);
  }
});

Deno.test("--help exits 0 on every command of the tree and its usage line names the command", async () => {
  const paths = commandTree(buildProgram()).map(commandPath);
  assert.ok(paths.length > 20, `expected the whole tree, got ${paths.join(", ")}`);
  for (const expected of ["vltava topic create", "vltava zk deleteall", "vltava group reset-offsets"]) {
    assert.ok(paths.includes(expected), `${expected} is missing from ${paths.join(", ")}`);
  }
  for (const path of paths) {
    let stdout = "";
    let stderr = "";
    const output: ProgramOutput = { writeOut: (text) => stdout += text, writeErr: (text) => stderr += text };
    const code = await runProgram([...path.split(" ").slice(1), "--help"], output);
    assert.equal(code, 0, `${path} --help: ${stderr}`);
    assert.equal(stderr, "", path);
    const usage = stdout.split("\n")[0];
    assert.ok(usage === `Usage: ${path}` || usage.startsWith(`Usage: ${path} `), `${path}: ${usage}`);
    assert.match(stdout, /-h, --help/, path);
  }
});

Deno.test("every command's description reads the same way: lower-case start, no trailing period", () => {
  for (const command of commandTree(buildProgram()).slice(1)) {
    const description = command.description();
    assert.match(description, /^[a-z]/, `${commandPath(command)}: "${description}"`);
    assert.doesNotMatch(description, /\.$/, `${commandPath(command)}: "${description}"`);
  }
});
