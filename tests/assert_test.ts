import assert from "node:assert/strict";
import { invariant, InvariantError, invariantViolations, setInvariantMode } from "../src/assert.ts";
import { runCommand } from "./helpers/command.ts";

Deno.test("a violated invariant throws in throw mode and is counted; a holding one costs nothing", () => {
  setInvariantMode("throw");
  const before = invariantViolations();
  let built = 0;
  invariant(true, () => `never built ${++built}`);
  assert.equal(built, 0, "the message is only built on failure");
  assert.throws(() => invariant(false, () => "hwm moved backwards"), InvariantError);
  assert.equal(invariantViolations(), before + 1);
});

Deno.test("log mode reports and goes on; exit mode ends the process with code 70", async () => {
  const script = `
    import { invariant, parseInvariantMode, setInvariantMode } from ${
    JSON.stringify(new URL("../src/assert.ts", import.meta.url).href)
  };
    setInvariantMode(parseInvariantMode(Deno.env.get("VLTAVA_INVARIANTS")));
    invariant(false, () => "leader epoch went down");
    console.log("still running");
  `;
  const run = (mode: string) =>
    runCommand(Deno.execPath(), ["eval", script], { env: { VLTAVA_INVARIANTS: mode } });
  const logged = await run("log");
  assert.equal(logged.code, 0);
  assert.match(logged.stderr, /invariant violated: leader epoch went down/);
  assert.match(logged.stdout, /still running/);
  const exited = await run("exit");
  assert.equal(exited.code, 70);
  assert.match(exited.stderr, /invariant violated: leader epoch went down/);
  assert.doesNotMatch(exited.stdout, /still running/);
});
