/**
 * `vltava dev` as a user runs it: a child process that starts the coordinator and brokers,
 * reports ready with a controller and every broker live, serves produce/consume, stops every
 * child on SIGINT, and finds its data again on the next start. A taken port is a clear error.
 */
import assert from "node:assert/strict";
import { eventually, freePorts, runCli, RunningProgram, tempDir } from "../helpers/program.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

function dev(dataDir: string, basePort: number, coordinatorPort: number, brokers = 2): RunningProgram {
  return new RunningProgram([
    "dev",
    "--brokers",
    String(brokers),
    "--data-dir",
    dataDir,
    "--base-port",
    String(basePort),
    "--coordinator-port",
    String(coordinatorPort),
  ]);
}

/** Can this process bind the port right now? */
function bindable(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/** Two consecutive ports for the brokers (both bindable now), one for the coordinator. */
function devPorts(): { basePort: number; coordinatorPort: number } {
  for (let attempt = 0; attempt < 50; attempt++) {
    const [a, c] = freePorts(2);
    if (a < 65535 && c !== a + 1 && bindable(a + 1)) return { basePort: a, coordinatorPort: c };
  }
  throw new Error("No two consecutive free ports");
}

/** Pids of the live children of `parent` (Linux /proc). */
async function childPids(parent: number): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    // "pid (comm) state ppid …": comm may hold spaces, so split after its closing parenthesis.
    const [, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(ppid) === parent) pids.push(Number(entry.name));
  }
  return pids;
}

/** Is the process gone (or a zombie nobody has reaped yet)? */
async function gone(pid: number): Promise<boolean> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => null);
  return stat === null || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
}

/** Is anything listening on the port? */
async function listening(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test(
  "vltava dev starts a ready cluster, stops every child on SIGINT, and keeps its data",
  options,
  async () => {
    await using dir = await tempDir("vltava-dev-");
    const { basePort, coordinatorPort } = devPorts();
    const bootstrap = `127.0.0.1:${basePort},127.0.0.1:${basePort + 1}`;
    {
      await using first = dev(dir.path, basePort, coordinatorPort);
      await first.waitForOutput(/cluster ready: controller is broker \d \(epoch \d+\)/, 120_000);
      assert.match(first.stdout, new RegExp(`bootstrap: +${bootstrap}`));
      assert.match(first.stdout, /vltava produce/);
      await first.waitForOutput(/partitions led/, 30_000);

      const created = await runCli([
        "topic",
        "create",
        "kept",
        "--partitions",
        "2",
        "--replication-factor",
        "2",
        "--bootstrap",
        bootstrap,
      ]);
      assert.equal(created.code, 0, created.stderr);
      const produced = await runCli(["produce", "kept", "--acks", "all", "--bootstrap", bootstrap], {
        stdin: "one\ntwo\nthree\n",
      });
      assert.equal(produced.code, 0, produced.stderr);

      first.signal("SIGINT");
      const status = await first.status;
      assert.equal(status.code, 0, first.stderr);
      assert.match(first.stdout, /stopped/);
      for (const port of [basePort, basePort + 1, coordinatorPort]) {
        assert.equal(await listening(port), false, `port ${port} released`);
      }
    }
    {
      await using second = dev(dir.path, basePort, coordinatorPort);
      await second.waitForOutput(/cluster ready/, 120_000);
      const consumed = await runCli([
        "consume",
        "kept",
        "--from-beginning",
        "--max-messages",
        "3",
        "--timeout-ms",
        "30000",
        "--bootstrap",
        bootstrap,
      ]);
      assert.equal(consumed.code, 0, consumed.stderr);
      assert.deepEqual(consumed.stdout.trim().split("\n").sort(), ["one", "three", "two"]);

      // A second dev on the same ports says so in one line.
      const clash = await runCli([
        "dev",
        "--brokers",
        "2",
        "--data-dir",
        `${dir.path}/other`,
        "--base-port",
        String(basePort),
        "--coordinator-port",
        String(coordinatorPort),
      ]);
      assert.equal(clash.code, 1);
      assert.match(clash.stderr, /Port \d+ \(.+\) is in use/);
      assert.equal(clash.stderr.trim().split("\n").length, 1);

      second.signal("SIGINT");
      assert.equal((await second.status).code, 0);
    }
  },
);

Deno.test(
  "the coordinator and brokers of a SIGKILLed vltava dev stop on their own",
  { ...options, ignore: Deno.build.os !== "linux" },
  async () => {
    await using dir = await tempDir("vltava-dev-");
    const { basePort, coordinatorPort } = devPorts();
    await using parent = dev(dir.path, basePort, coordinatorPort, 1);
    await parent.waitForOutput(/cluster ready/, 120_000);
    const children = await childPids(parent.pid);
    assert.equal(children.length, 2, "dev runs a coordinator and one broker");

    parent.signal("SIGKILL");
    await parent.status;
    await eventually("every child of the killed dev to exit", async () => {
      for (const pid of children) if (!(await gone(pid))) return false;
      return true;
    }, 60_000);
  },
);
