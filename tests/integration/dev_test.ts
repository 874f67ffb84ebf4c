/**
 * `vltava dev` as a user runs it: a child process that starts the coordinator and brokers,
 * reports ready with a controller and every broker live, serves produce/consume, stops every
 * child on SIGINT (the children themselves leave a terminal's Ctrl-C to it), stops them too when
 * it is killed, and finds its data again on the next start. A taken port is a clear error.
 */
import assert from "node:assert/strict";
import { startDev } from "../helpers/dev-cluster.ts";
import {
  eventually,
  freePort,
  freePortRun,
  runCli,
  type RunningProgram,
  tempDir,
} from "../helpers/program.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

function dev(dataDir: string, basePort: number, coordinatorPort: number): RunningProgram {
  return startDev(dataDir, { brokers: 2, basePort, coordinatorPort });
}

/** Process ids of the direct children of `pid`. */
function childPids(pid: number): number[] {
  const text = new TextDecoder().decode(
    new Deno.Command("pgrep", { args: ["-P", String(pid)], stdout: "piped" }).outputSync().stdout,
  );
  return text.split("\n").filter((line) => line.trim() !== "").map(Number);
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
    const basePort = freePortRun(2);
    const coordinatorPort = freePort();
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

      // A terminal's Ctrl-C reaches every process in the group; the children must leave the
      // shutdown to dev (brokers first, then the coordinator), so they ignore it.
      const children = childPids(first.pid);
      assert.equal(children.length, 3, "dev runs a coordinator and two brokers");
      for (const pid of children) Deno.kill(pid, "SIGINT");
      for (const port of [basePort, basePort + 1, coordinatorPort]) {
        assert.equal(await listening(port), true, `port ${port} still served after the children's SIGINT`);
      }
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

      // dev killed outright: its children notice (their stdin pipe closes) and stop too.
      second.signal("SIGKILL");
      await second.status;
      await eventually("every child of a SIGKILLed dev to stop", async () => {
        for (const port of [basePort, basePort + 1, coordinatorPort]) {
          if (await listening(port)) return false;
        }
        return true;
      }, 60_000);
    }
  },
);

Deno.test(
  "a broker that fails to start: dev exits 1 quoting the broker's own error and its log",
  options,
  async () => {
    await using dir = await tempDir("vltava-dev-");
    // A file where broker 1's data directory belongs: the broker itself refuses to start.
    await Deno.writeTextFile(`${dir.path}/broker-1`, "not a directory\n");
    const failed = await runCli([
      "dev",
      "--brokers",
      "1",
      "--data-dir",
      dir.path,
      "--base-port",
      String(freePortRun(1)),
      "--coordinator-port",
      String(freePort()),
      "--console-port",
      "0",
    ]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /broker-1 exited during start-up: .*broker 1 could not start: .*broker-1/);
    assert.match(failed.stderr, new RegExp(`\\(see ${dir.path}/logs/broker-1\\.log\\)`));
  },
);
