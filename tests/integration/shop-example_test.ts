/**
 * The shop example end to end (examples/shop, `deno task example`) against `vltava dev
 * --console-port 0` with a few orders: two payment instances (consume-transform-produce in
 * transactions), one SIGKILLed midway and restarted, two shipping instances in a group; the run
 * must end with every order paid exactly once and shipped (its own check, exit status 0).
 */
import assert from "node:assert/strict";
import { runCommand } from "../helpers/command.ts";
import { startDev } from "../helpers/dev-cluster.ts";
import { tempDir } from "../helpers/program.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "deno task example: every order paid exactly once and shipped, through a SIGKILL",
  options,
  async () => {
    await using dir = await tempDir("vltava-shop-");
    await using dev = startDev(dir.path, { brokers: 1 });
    const [, bootstrap] = await dev.waitForOutput(/bootstrap: +(\S+)/, 120_000);
    await dev.waitForOutput(/cluster ready/, 120_000);
    const run = await runCommand(
      Deno.execPath(),
      ["run", "-A", "examples/shop/run.ts", "--bootstrap", bootstrap, "--orders", "12"],
      { timeoutMs: 300_000 },
    );
    const output = run.stdout + run.stderr;
    assert.equal(run.code, 0, output);
    assert.match(run.stdout, /SIGKILL payments-a .* midway; starting another payments-a/);
    assert.match(run.stdout, /12 orders, 12 payments .*, \d+ shipments/);
    assert.match(run.stdout, /OK: every order was paid exactly once and shipped/);
    assert.match(run.stdout, /^shipping-1 +started: /m);
    assert.match(run.stdout, /^shipping-2 +started: /m);
  },
);
