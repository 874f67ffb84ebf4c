/**
 * `vltava topic|cluster|produce|consume` as a user runs them: real processes, outputs, one-line
 * errors and exit codes (2 for usage errors, 1 for failures).
 */
import assert from "node:assert/strict";
import { startCluster } from "../helpers/cluster.ts";
import { freePort, runCli } from "../helpers/program.ts";
import { Producer } from "../../src/client/producer.ts";

Deno.test({
  name: "client commands against a real broker",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using cluster = await startCluster();
    const b = ["--bootstrap", cluster.bootstrap];

    await t.step("topic create / list / describe / delete", async () => {
      let result = await runCli([
        "topic",
        "create",
        "orders",
        "--partitions",
        "3",
        "--config",
        "retention.ms=3600000",
        ...b,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /created topic "orders"/);
      result = await runCli(["topic", "create", "orders", ...b]);
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr.trim(),
        `error: topic "orders" already exists (see it with: vltava topic describe orders)`,
      );
      assert.equal((await runCli(["topic", "create", "audit", "--partitions", "1", ...b])).code, 0);

      result = await runCli(["topic", "list", ...b]);
      assert.deepEqual(result.stdout.trim().split("\n"), ["audit", "orders"]);
      result = await runCli(["topic", "list", "--json", ...b]);
      assert.deepEqual(JSON.parse(result.stdout), ["audit", "orders"]);

      result = await runCli(["topic", "describe", "orders", ...b]);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trim().split("\n");
      assert.match(
        lines.find((line) => line.includes("partition"))!,
        /leader.*replicas.*isr.*log start.*high watermark/,
      );
      const rows = lines.filter((line) => /│\s*orders\s*│/.test(line));
      assert.equal(rows.length, 3);
      // Aligned: every row of the table has the same width.
      assert.equal(new Set(lines.map((line) => line.length)).size, 1);
      const json = JSON.parse((await runCli(["topic", "describe", "orders", "--json", ...b])).stdout);
      assert.deepEqual(
        json[0].partitions.map((p: { partition: number; leader: number }) => [p.partition, p.leader]),
        [
          [0, 1],
          [1, 1],
          [2, 1],
        ],
      );

      result = await runCli(["topic", "delete", "audit", ...b]);
      assert.equal(result.code, 0, result.stderr);
      result = await runCli(["topic", "describe", "audit", ...b]);
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr.trim(),
        `error: topic "audit" does not exist (create it with: vltava topic create audit)`,
      );
    });

    await t.step("cluster describe", async () => {
      const result = await runCli(["cluster", "describe", ...b]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /controller: 1/);
      assert.match(
        result.stdout,
        new RegExp(`│\\s*1\\s*│\\s*127\\.0\\.0\\.1\\s*│\\s*${cluster.brokers[0].port}\\s*│`),
      );
      const json = JSON.parse((await runCli(["cluster", "describe", "--json", ...b])).stdout);
      assert.equal(json.controllerId, 1);
      assert.deepEqual(json.brokers.map((broker: { nodeId: number }) => broker.nodeId), [1]);
    });

    await t.step("produce stdin with keys and headers, consume it back", async () => {
      const input = Array.from({ length: 300 }, (_, i) => `user-${i % 7}:event ${i}`).join("\n") + "\n";
      let result = await runCli(
        ["produce", "orders", "--key-separator", ":", "--headers", "source=test,v=1", "--acks", "all", ...b],
        { stdin: input },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /produced 300 of 300 records \(\d+ bytes\) to "orders"/);

      result = await runCli([
        "consume",
        "orders",
        "--from-beginning",
        "--max-messages",
        "300",
        "--format",
        "json",
        ...b,
      ]);
      assert.equal(result.code, 0, result.stderr);
      const records = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
      assert.equal(records.length, 300);
      const values = new Set(records.map((r) => r.value));
      for (let i = 0; i < 300; i++) assert.ok(values.has(`event ${i}`), `event ${i}`);
      for (const record of records) {
        assert.equal(record.key, `user-${Number(record.value.split(" ")[1]) % 7}`);
        assert.deepEqual(record.headers, { source: "test", v: "1" });
      }
      // One key, one partition.
      const partitionOf = new Map<string, Set<number>>();
      for (const r of records) partitionOf.set(r.key, (partitionOf.get(r.key) ?? new Set()).add(r.partition));
      for (const partitions of partitionOf.values()) assert.equal(partitions.size, 1);
      assert.match(result.stderr, /consumed 300 record\(s\) from "orders"/);

      // --json is the same as --format json, and its help says so.
      const viaJson = await runCli([
        "consume",
        "orders",
        "--from-beginning",
        "--max-messages",
        "300",
        "--json",
        ...b,
      ]);
      assert.equal(viaJson.code, 0, viaJson.stderr);
      assert.deepEqual(viaJson.stdout.trim().split("\n").sort(), result.stdout.trim().split("\n").sort());
      const help = await runCli(["consume", "--help"]);
      assert.match(help.stdout, /--json +same as --format json/);
    });

    await t.step("consume from an offset of one partition, with key and offset printed", async () => {
      await runCli(["topic", "create", "single", "--partitions", "1", ...b]);
      const produced = await runCli(
        ["produce", "single", "--partition", "0", "--compression", "gzip", ...b],
        {
          stdin: "zero\none\ntwo\nthree\n",
        },
      );
      assert.equal(produced.code, 0, produced.stderr);
      const result = await runCli([
        "consume",
        "single",
        "--partition",
        "0",
        "--offset",
        "2",
        "--print-offset",
        "--print-key",
        "--timeout-ms",
        "3000",
        ...b,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "0:2\t\ttwo\n0:3\t\tthree\n");
      const fromTime = await runCli(
        ["consume", "single", "--from-time", "2000-01-01T00:00:00Z", "--max-messages", "1", ...b],
      );
      assert.equal(fromTime.stdout, "zero\n");
    });

    await t.step("consume --from-time starts at the first record at or after the time", async () => {
      await runCli(["topic", "create", "timed", "--partitions", "1", ...b]);
      // Known CreateTimes, far from now, so that --from-time cannot be mistaken for --from-beginning
      // (it must skip the earlier records) or for the end of the log (later records are printed).
      const base = Date.parse("2026-01-31T12:00:00Z");
      const producer = new Producer({ bootstrap: cluster.bootstrap });
      try {
        for (let i = 0; i < 6; i++) {
          await producer.send({ topic: "timed", partition: 0, value: `t${i}`, timestamp: base + i * 60_000 });
        }
      } finally {
        await producer.close();
      }
      const consumeFrom = async (iso: string) => {
        const result = await runCli(
          ["consume", "timed", "--from-time", iso, "--print-offset", "--timeout-ms", "3000", ...b],
        );
        assert.equal(result.code, 0, result.stderr);
        return result.stdout;
      };
      // Between t2 (12:02) and t3 (12:03): t3 is the first at or after it.
      assert.equal(await consumeFrom("2026-01-31T12:02:30Z"), "0:3\tt3\n0:4\tt4\n0:5\tt5\n");
      // Exactly t4's time: "at or after" includes t4.
      assert.equal(await consumeFrom("2026-01-31T12:04:00Z"), "0:4\tt4\n0:5\tt5\n");
      // Before every record: all of them, like --from-beginning.
      assert.equal(
        await consumeFrom("2026-01-31T11:00:00Z"),
        "0:0\tt0\n0:1\tt1\n0:2\tt2\n0:3\tt3\n0:4\tt4\n0:5\tt5\n",
      );
    });

    await t.step("errors are one line that says what to do, usage errors exit 2", async () => {
      const dead = ["--bootstrap", `127.0.0.1:${freePort()}`];
      let result = await runCli(["topic", "list", ...dead]);
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr.trim(),
        `error: cannot reach a broker at ${dead[1]} (start one with: vltava dev)`,
      );
      result = await runCli(["produce", "nope", ...b], { stdin: "x\n" });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr.trim(),
        `error: topic "nope" does not exist (create it with: vltava topic create nope)`,
      );
      result = await runCli(["consume", "nope", ...b]);
      assert.equal(
        result.stderr.trim(),
        `error: topic "nope" does not exist (create it with: vltava topic create nope)`,
      );
      for (
        const args of [
          ["consume", "orders", "--offset", "3"],
          ["consume", "orders", "--from-beginning", "--from-time", "2020-01-01"],
          ["consume", "orders", "--from-time", "yesterday"],
          ["produce", "orders", "--acks", "2"],
          ["produce", "orders", "--partition", "9"],
          ["topic", "create", "x", "--partitions", "zero"],
          ["topic", "create", "x", "--config", "novalue"],
          ["topic", "bogus"],
        ]
      ) {
        result = await runCli([...args, ...b], { stdin: "" });
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
        assert.ok(!result.stderr.includes("    at "), `no stack trace: ${result.stderr}`);
      }
      assert.equal(
        (await runCli(["produce", "orders", "--partition", "9", ...b], { stdin: "" })).stderr.trim(),
        `error: topic "orders" has 3 partition(s): --partition must be below 3 (see: vltava produce --help)`,
      );
    });

    await t.step("produce exits 1 and says how many records were not acknowledged", async () => {
      await runCli([
        "topic",
        "create",
        "small",
        "--partitions",
        "1",
        "--config",
        "max.message.bytes=2000",
        ...b,
      ]);
      const result = await runCli(["produce", "small", "--linger-ms", "0", ...b], {
        stdin: `ok\n${"x".repeat(10_000)}\n`,
      });
      assert.equal(result.code, 1, result.stderr);
      const match = /error: (\d) of 2 records were not acknowledged: .*MESSAGE_TOO_LARGE/.exec(result.stderr);
      assert.ok(match, result.stderr);
      assert.ok(Number(match[1]) >= 1);
      assert.equal(result.stderr.trim().split("\n").filter((line) => line.startsWith("error:")).length, 1);
    });

    await t.step("VLTAVA_BOOTSTRAP is the default bootstrap", async () => {
      const result = await runCli(["topic", "list"], { env: { VLTAVA_BOOTSTRAP: cluster.bootstrap } });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /orders/);
    });
  },
});
