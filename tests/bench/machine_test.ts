/**
 * The benchmarks' machine report: a running DAMON monitor and free page reporting are named with
 * what they do, a stopped monitor is said to be off, and a kernel without either adds nothing.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { machineConditions } from "../../bench/machine.ts";
import { tempDir } from "../helpers/program.ts";

/** A fake sysfs: each key a file below the root, with its content. */
function sysfs(root: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    const at = path.join(root, file);
    Deno.mkdirSync(path.dirname(at), { recursive: true });
    Deno.writeTextFileSync(at, content);
  }
}

const KDAMOND = "kernel/mm/damon/admin/kdamonds/0";

Deno.test("machineConditions names a running DAMON monitor's sampling and scheme, and free page reporting", async () => {
  await using root = await tempDir("vltava-sysfs-");
  sysfs(root.path, {
    [`${KDAMOND}/state`]: "on\n",
    [`${KDAMOND}/contexts/0/operations`]: "paddr\n",
    [`${KDAMOND}/contexts/0/monitoring_attrs/intervals/sample_us`]: "500000\n",
    [`${KDAMOND}/contexts/0/schemes/0/action`]: "pageout\n",
    "module/page_reporting/parameters/page_reporting_order": "9\n",
  });
  const lines = machineConditions(root.path);
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.match(lines[0], /^DAMON kdamond 0 is ON \(paddr, samples every 500 ms, scheme pageout\)/);
  assert.ok(lines[0].includes(`echo off > ${path.join(root.path, KDAMOND, "state")}`), lines[0]);
  assert.match(lines[1], /^free page reporting is on/);
});

Deno.test("machineConditions says a stopped monitor is off, and nothing for a kernel without either", async () => {
  await using root = await tempDir("vltava-sysfs-");
  assert.deepEqual(machineConditions(root.path), []);
  sysfs(root.path, { [`${KDAMOND}/state`]: "off\n", "kernel/mm/damon/admin/kdamonds/nr_kdamonds": "1\n" });
  assert.deepEqual(machineConditions(root.path), ["DAMON kdamond 0 is off"]);
});
