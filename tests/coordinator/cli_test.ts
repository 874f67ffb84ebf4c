/** `vltava coordinator start` as a command: flags, errors, readiness line, clean shutdown. */
import assert from "node:assert/strict";
import { freePort, runCli, startProgram, tempDir } from "../helpers/program.ts";
import { RawZk } from "../helpers/zk-raw.ts";
import { OpCode, OPEN_ACL_UNSAFE } from "../../src/zk/protocol/mod.ts";

Deno.test("coordinator start --help lists every flag", async () => {
  const result = await runCli(["coordinator", "start", "--help"]);
  assert.equal(result.code, 0);
  for (
    const flag of [
      "--host",
      "--port",
      "--data-dir",
      "--tick-ms",
      "--min-session-timeout-ms",
      "--max-session-timeout-ms",
      "--max-frame-bytes",
      "--snapshot-every-txns",
    ]
  ) {
    assert.match(result.stdout, new RegExp(flag));
  }
});

Deno.test("coordinator start --help shows the documented defaults", async () => {
  const result = await runCli(["coordinator", "start", "--help"]);
  assert.equal(result.code, 0, result.stderr);
  // Help wraps to the terminal width: compare with runs of whitespace collapsed.
  const help = result.stdout.replace(/\s+/g, " ");
  const defaults: [string, string][] = [
    ["--host <host>", '(default: "127.0.0.1")'],
    ["--port <port>", "(default: 2181)"],
    ["--data-dir <dir>", '(default: "./vltava-data/coordinator")'],
    ["--tick-ms <ms>", "(default: 2000)"],
    ["--min-session-timeout-ms <ms>", "(default 2 x tick)"],
    ["--max-session-timeout-ms <ms>", "(default 20 x tick)"],
    ["--max-frame-bytes <bytes>", "(default: 1048575)"],
  ];
  for (const [flag, shown] of defaults) {
    const line = help.slice(help.indexOf(` ${flag} `));
    assert.ok(help.includes(` ${flag} `), `${flag} missing from help`);
    const next = line.indexOf(" --", 1);
    const description = next < 0 ? line : line.slice(0, next);
    assert.ok(description.endsWith(` ${shown}`), `${flag}: expected ${shown} in "${description}"`);
  }
});

Deno.test("bad flag values are usage errors (exit 2) on one line", async () => {
  const result = await runCli(["coordinator", "start", "--port", "http"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /expected an integer/);
  const inverted = await runCli([
    "coordinator",
    "start",
    "--min-session-timeout-ms",
    "9000",
    "--max-session-timeout-ms",
    "100",
  ]);
  assert.equal(inverted.code, 2);
  assert.equal(inverted.stderr.trim().split("\n").length, 1);
});

Deno.test("a port in use is a one-line runtime error (exit 1)", async () => {
  await using dir = await tempDir();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    const result = await runCli(["coordinator", "start", "--port", String(port), "--data-dir", dir.path]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr.trim(),
      `error: port ${port} on 127.0.0.1 is in use (pick another with --port)`,
    );
  } finally {
    listener.close();
  }
});

Deno.test("prints the readiness line, and SIGINT stops it cleanly with the write kept", async () => {
  await using dir = await tempDir();
  const port = freePort();
  const args = ["coordinator", "start", "--port", String(port), "--data-dir", dir.path];
  {
    await using program = await startProgram(args, port);
    await program.waitForOutput(/coordinator listening on/);
    assert.equal(program.stdout, `coordinator listening on 127.0.0.1:${port}\n`);
    using client = await RawZk.connect(port);
    const reply = await client.request({
      op: OpCode.create,
      path: "/kept",
      data: null,
      acl: OPEN_ACL_UNSAFE,
      flags: 0,
    });
    assert.equal(reply.err, 0);
    const status = await program.stop("SIGINT");
    assert.equal(status.code, 0, program.stderr);
  }
  await using _again = await startProgram(args, port);
  using client = await RawZk.connect(port);
  assert.equal((await client.request({ op: OpCode.exists, path: "/kept", watch: false })).err, 0);
});

Deno.test("a second coordinator on the same data dir is refused (exit 1)", async () => {
  await using dir = await tempDir();
  const port = freePort();
  await using _first = await startProgram([
    "coordinator",
    "start",
    "--port",
    String(port),
    "--data-dir",
    dir.path,
  ], port);
  const second = await runCli(["coordinator", "start", "--port", String(freePort()), "--data-dir", dir.path]);
  assert.equal(second.code, 1);
  assert.match(
    second.stderr.trim(),
    /^error: Data directory .* is in use by another coordinator \(stop it, or pick another --data-dir\)$/,
  );
});
