/**
 * `vltava dev`: a whole local cluster in one command — the coordinator and N brokers as child
 * processes (logs under <data-dir>/logs), ready once the controller is elected and every broker
 * is live; then a status table refreshed every 2 s until Ctrl-C, which stops the brokers
 * (controlled shutdown) and then the coordinator. Data stays in --data-dir, so the next `dev`
 * finds its topics and records again. With --secure: SASL_SSL listeners with a local CA made
 * once under <data-dir>/secure, an admin user created before the brokers start, ACLs enforced,
 * and the client settings printed for kcat, kafkajs and vltava (--command-config).
 *
 * @example
 * ```sh
 * vltava dev --brokers 3 --data-dir ./vltava-data
 * ```
 */
import Table from "cli-table3";
import { registerCommands } from "./program.ts";
import { CliError, usageError } from "./cli-error.ts";
import { integerOption } from "./options.ts";
import { validRackName } from "../broker/config.ts";
import { CHAOS_ACTIONS, type ChaosAction, LocalCluster, startupFailure } from "../dev/local-cluster.ts";
import { type LocalSecurity, prepareLocalSecurity } from "../dev/local-secure.ts";
import { freePortRun } from "../dev/free-ports.ts";
import { connectCoordination } from "../broker/zk-coordination.ts";
import { readCoordinatorAuth } from "../broker/coordinator-acls.ts";
import { upsertScramCredential } from "../security/credential-store.ts";
import { createScramCredential, SCRAM_SHA_256, SCRAM_SHA_512 } from "../security/scram.ts";
import { parseConnectString, ZooKeeperClient } from "../zk/client/mod.ts";
import { type ClusterStatus, readClusterStatus } from "../broker/controller/cluster-status.ts";
import { Timeline } from "../events/timeline.ts";
import { type ConsoleServer, startConsoleServer } from "../console/console-server.ts";

const HOST = "127.0.0.1";

/** `--zookeeper`: checked by the ZooKeeper client's own parser, so a typo is a usage error here. */
function hostPortList(value: string): string {
  try {
    parseConnectString(value);
  } catch (error) {
    throw usageError(`--zookeeper expects host:port[,host:port…][/chroot]: ${(error as Error).message}`);
  }
  return value;
}
const STATUS_INTERVAL_MS = 2000;
const READY_TIMEOUT_MS = 120_000;

/** Refuse a port someone else holds before spawning anything (a clear error, not a child's). */
function checkPortFree(port: number, what: string): void {
  try {
    Deno.listen({ hostname: HOST, port }).close();
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new CliError(
        `Port ${port} (${what}) is in use: stop what holds it or pick another --base-port/--coordinator-port`,
      );
    }
    throw error;
  }
}

/** A port free right now, which the child binds a moment later (free-ports.ts: why below the ephemeral range). */
function freePort(): number {
  return freePortRun(1, HOST);
}

/**
 * The /metrics ports: broker N at base + N - 1 and the coordinator at base - 1, base defaulting to
 * --base-port + 100 (9192… next to 9092…), so a Prometheus configuration stays valid across runs;
 * 0: free ones picked now (tests). No coordinator port with --zookeeper (not ours to start).
 */
function pickMetricsPorts(
  options: { brokers: number; basePort: number; metricsBasePort?: number; zookeeper?: string },
): { brokers: number[]; coordinator?: number } {
  const base = options.metricsBasePort ?? options.basePort + 100;
  const ownCoordinator = options.zookeeper === undefined;
  if (base === 0) {
    return {
      brokers: Array.from({ length: options.brokers }, freePort),
      coordinator: ownCoordinator ? freePort() : undefined,
    };
  }
  if (base - 1 < 1 || base + options.brokers - 1 > 65535) {
    throw usageError(
      `--metrics-base-port ${base}: the metrics ports ${base - 1}…${base + options.brokers - 1} ` +
        "must lie within 1…65535 (pick another, or 0 for free ones)",
    );
  }
  return {
    brokers: Array.from({ length: options.brokers }, (_, i) => base + i),
    coordinator: ownCoordinator ? base - 1 : undefined,
  };
}

/** Poll the coordinator until a controller is elected and all `brokers` are live. */
async function waitUntilReady(
  zk: ZooKeeperClient,
  brokers: number,
  cluster: LocalCluster,
): Promise<ClusterStatus> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const failed = cluster.failed();
    if (failed.length > 0) {
      throw new CliError(await startupFailure(failed[0]));
    }
    const status = await readClusterStatus(zk);
    if (status.controller && status.brokers.filter((b) => b.live).length >= brokers) return status;
    if (Date.now() > deadline) {
      throw new CliError(
        `The cluster was not ready within ${READY_TIMEOUT_MS / 1000} s (see the logs in its data dir)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function statusTable(status: ClusterStatus): string {
  const table = new Table({
    head: ["broker", "address", "live", "controller", "partitions led"],
    style: { head: [], border: [] },
  });
  for (const broker of status.brokers) {
    table.push([
      broker.brokerId,
      `${broker.host}:${broker.port}`,
      broker.live ? "yes" : "NO",
      status.controller?.brokerId === broker.brokerId ? `yes (epoch ${status.controller.epoch})` : "",
      broker.partitionsLed,
    ]);
  }
  const summary = `${status.partitions} partitions, ${status.offlinePartitions} offline, ` +
    `${status.underReplicatedPartitions} under-replicated`;
  return `${table.toString()}\n${summary}`;
}

/** Where each process serves /metrics, one aligned line each. */
function metricsLines(cluster: LocalCluster): string[] {
  const rows: [string, string][] = [...cluster.brokerMetricsUrls()].map(([id, url]) => [`broker ${id}`, url]);
  const coordinator = cluster.coordinatorMetricsUrl();
  if (coordinator !== undefined) rows.push(["coordinator", coordinator]);
  return rows.map(([who, url], i) => `  ${i === 0 ? "metrics:" : ""}`.padEnd(15) + who.padEnd(12) + url);
}

/** The admin user (SCRAM-SHA-256 and -512), written to the coordinator before any broker starts. */
async function createAdmin(coordinator: string, secure: LocalSecurity): Promise<void> {
  // As the brokers' identity, so the admin's credential nodes are protected like what they write.
  const auth = await readCoordinatorAuth(`@${secure.coordinatorAuthFile}`);
  const coordination = await connectCoordination(coordinator, 10_000, undefined, { auth });
  try {
    for (
      const [name, mechanism] of [["SCRAM-SHA-256", SCRAM_SHA_256], ["SCRAM-SHA-512", SCRAM_SHA_512]] as const
    ) {
      await upsertScramCredential(
        coordination,
        secure.adminUser,
        name,
        await createScramCredential(mechanism, secure.adminPassword, 4096),
      );
    }
  } finally {
    await coordination.close();
  }
}

/** What to paste into kcat and kafkajs to reach the secured dev cluster as the admin. */
function clientSettingLines(bootstrap: string, secure: LocalSecurity): string[] {
  const ca = secure.caFile;
  const config = `--bootstrap ${bootstrap} --command-config ${secure.clientProperties}`;
  return [
    `  security:    SASL_SSL, SCRAM-SHA-512, user ${secure.adminUser} (super user; ACLs enforced)`,
    `  settings:    ${secure.clientProperties} (Kafka client properties, with the password)`,
    `  CA:          ${ca}`,
    `  coordinator: protected: brokers write as ${secure.coordinatorAuthFile} (add --coordinator-auth @FILE ` +
    "to commands that take --coordinator)",
    "kcat:",
    `  kcat -b ${bootstrap} -X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512 ` +
    `-X sasl.username=${secure.adminUser} -X sasl.password=${secure.adminPassword} -X ssl.ca.location=${ca} -L`,
    "kafkajs:",
    `  new Kafka({ brokers: ${JSON.stringify(bootstrap.split(","))}, ssl: { ca: [readFileSync(${
      JSON.stringify(ca)
    })] }, sasl: { mechanism: "scram-sha-512", username: "${secure.adminUser}", password: "${secure.adminPassword}" } })`,
    "more users:",
    `  vltava user create alice ${config}`,
    `  vltava acl add --allow User:alice --operation Write --topic demo ${config}`,
  ];
}

/** `--racks a,b,c`: distinct names, as `broker start --rack` takes them. */
function rackList(text: string): string[] {
  const racks = text.split(",").map((rack) => rack.trim());
  if (!racks.every(validRackName) || new Set(racks).size !== racks.length) {
    throw usageError(`--racks expects distinct rack names separated by commas, e.g. a,b,c: got "${text}"`);
  }
  return racks;
}

registerCommands((program) => {
  program.command("dev")
    .description("run a local cluster (coordinator + brokers) until Ctrl-C")
    .option("--brokers <n>", "number of brokers", integerOption(1, 64), 3)
    .option("--data-dir <dir>", "where the coordinator and brokers keep their data and logs", "./vltava-data")
    .option(
      "--base-port <port>",
      "port of broker 1 (broker N gets base + N - 1)",
      integerOption(1, 65535),
      9092,
    )
    .option("--coordinator-port <port>", "port of the coordinator", integerOption(1, 65535), 2181)
    .option(
      "--console-port <port>",
      "port of the web console (with chaos actions) on 127.0.0.1; 0 picks a free one",
      integerOption(0, 65535),
      8080,
    )
    .option(
      "--metrics-base-port <port>",
      "port of broker 1's /metrics (broker N: + N - 1; the coordinator's: - 1); default --base-port + 100; " +
        "0 picks free ones",
      integerOption(0, 65535),
    )
    .option(
      "--secure",
      "SASL_SSL listeners with a generated local CA (needs openssl), an admin user, ACLs enforced",
      false,
    )
    .option(
      "--zookeeper <connect>",
      "use this ZooKeeper ensemble (host:port,…[/chroot]) instead of starting a coordinator",
      hostPortList,
    )
    .option(
      "--racks <list>",
      "racks to spread the brokers over, e.g. a,b,c (broker 1 in a, 2 in b, 3 in c, 4 in a, …)",
      rackList,
    )
    .action(async (options) => {
      let secure: LocalSecurity | undefined;
      if (options.secure) {
        try {
          secure = await prepareLocalSecurity(options.dataDir, HOST);
        } catch (error) {
          throw new CliError((error as Error).message);
        }
      }
      const metricsPorts = pickMetricsPorts(options);
      const cluster = new LocalCluster({
        metricsPorts,
        secure,
        brokers: options.brokers,
        dataDir: options.dataDir,
        host: HOST,
        basePort: options.basePort,
        coordinatorPort: options.coordinatorPort,
        zookeeper: options.zookeeper,
        racks: options.racks,
        startTimeoutMs: 60_000,
      });
      if (options.basePort + options.brokers - 1 > 65535) {
        throw new CliError("--base-port + --brokers passes 65535");
      }
      if (options.zookeeper === undefined) checkPortFree(options.coordinatorPort, "coordinator");
      cluster.brokerPorts().forEach((port, index) => checkPortFree(port, `broker ${index + 1}`));
      if (options.consolePort !== 0) checkPortFree(options.consolePort, "console");
      if (options.metricsBasePort !== 0) {
        metricsPorts.brokers.forEach((port, index) => checkPortFree(port, `broker ${index + 1} metrics`));
        if (metricsPorts.coordinator !== undefined) {
          checkPortFree(metricsPorts.coordinator, "coordinator metrics");
        }
      }

      let stopping: Promise<void> | null = null;
      let timer: ReturnType<typeof setInterval> | undefined;
      let zk: ZooKeeperClient | null = null;
      let timeline: Timeline | null = null;
      let consoleServer: ConsoleServer | null = null;
      const stop = () => {
        stopping ??= (async () => {
          clearInterval(timer);
          await consoleServer?.close();
          await timeline?.stop().catch(() => {}); // only its own session and connections to close
          console.log("\nstopping brokers (controlled shutdown), then the coordinator…");
          await cluster.stop();
          await zk?.close().catch(() => {}); // the coordinator is gone already: nothing to close
          console.log("stopped");
        })();
        return stopping;
      };
      const onSignal = () => void stop();
      Deno.addSignalListener("SIGINT", onSignal);
      Deno.addSignalListener("SIGTERM", onSignal);
      try {
        await cluster.start((message) => console.log(message), async () => {
          if (secure) await createAdmin(cluster.coordinatorAddress, secure);
        });
        zk = await ZooKeeperClient.connect(cluster.coordinatorAddress, { sessionTimeoutMs: 30_000 });
        console.log("waiting for the controller and every broker…");
        const status = await waitUntilReady(zk, options.brokers, cluster);
        // The console's own complaints (a killed broker it cannot sample) go to its log, not the table.
        const consoleLog = `${options.dataDir}/logs/console.log`;
        timeline = await Timeline.start({
          coordinator: cluster.coordinatorAddress,
          log: (line) =>
            Deno.writeTextFileSync(consoleLog, `${new Date().toISOString()} ${line}\n`, { append: true }),
        });
        consoleServer = startConsoleServer({
          timeline,
          hostname: HOST,
          port: options.consolePort,
          metrics: {
            brokers: cluster.brokerMetricsUrls(),
            coordinator: cluster.coordinatorMetricsUrl(),
          },
          chaos: {
            actions: CHAOS_ACTIONS,
            brokers: () => cluster.brokerIds(),
            act: (action, brokerId) => cluster.chaos(action as ChaosAction, brokerId),
          },
        });
        const config = secure ? ` --command-config ${secure.clientProperties}` : "";
        // One write for the whole block, so a reader never sees "cluster ready" without the addresses.
        console.log([
          `cluster ready: controller is broker ${status.controller!.brokerId} (epoch ${
            status.controller!.epoch
          })`,
          `  console:     http://${HOST}:${consoleServer.port}`,
          `  bootstrap:   ${cluster.bootstrap}`,
          `  coordinator: ${cluster.coordinatorAddress}`,
          ...metricsLines(cluster),
          `  logs:        ${options.dataDir}/logs`,
          ...(secure ? clientSettingLines(cluster.bootstrap, secure) : []),
          "try:",
          `  vltava topic create demo --partitions 3 --replication-factor ${
            Math.min(3, options.brokers)
          } --bootstrap ${cluster.bootstrap}${config}`,
          `  echo hello | vltava produce demo --bootstrap ${cluster.bootstrap}${config}`,
          `  vltava consume demo --from-beginning --bootstrap ${cluster.bootstrap}${config}`,
          `  vltava chaos kill 2 --console http://${HOST}:${consoleServer.port}`,
          "Ctrl-C stops everything.",
        ].join("\n"));
        // On a terminal the table is redrawn in place; into a pipe or file only changes are written.
        const terminal = Deno.stdout.isTerminal();
        let lastText = "";
        let drawnLines = 0;
        const show = async () => {
          if (stopping || !zk) return;
          const failed = cluster.failed().map((process) => process.name);
          let text: string;
          try {
            const current = await readClusterStatus(zk);
            text = statusTable(current) + (failed.length ? `\nexited: ${failed.join(", ")}` : "");
          } catch (error) {
            text = `status unavailable: ${(error as Error).message}`;
          }
          if (stopping) return;
          if (terminal) {
            const clear = drawnLines > 0 ? `\x1b[${drawnLines}A\x1b[J` : "";
            const body = `${text}\nupdated ${new Date().toLocaleTimeString()} (Ctrl-C stops everything)`;
            Deno.stdout.writeSync(new TextEncoder().encode(`${clear}${body}\n`));
            drawnLines = body.split("\n").length;
          } else if (text !== lastText) {
            console.log(`\n${new Date().toISOString()}\n${text}`);
          }
          lastText = text;
        };
        await show();
        timer = setInterval(() => void show(), STATUS_INTERVAL_MS);
        await new Promise<void>((resolve) => {
          const wait = setInterval(() => {
            if (stopping) {
              clearInterval(wait);
              resolve();
            }
          }, 100);
        });
        await stopping;
      } catch (error) {
        await stop();
        if (error instanceof CliError) throw error;
        throw new CliError(`the local cluster failed: ${(error as Error).message}`);
      } finally {
        Deno.removeSignalListener("SIGINT", onSignal);
        Deno.removeSignalListener("SIGTERM", onSignal);
      }
    });
});
