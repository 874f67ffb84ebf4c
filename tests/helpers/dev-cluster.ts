/**
 * `vltava dev` as a child process for tests: free ports unless given, its console and /metrics on free ports,
 * data in `dataDir`. The caller stops it (`await using`).
 */
import { freePort, freePortRun, RunningProgram } from "./program.ts";

export interface DevClusterOptions {
  brokers: number;
  basePort?: number;
  coordinatorPort?: number;
}

/** Start `vltava dev`; wait for its lines with waitForOutput (e.g. /console: +(http:\/\/\S+)/). */
export function startDev(dataDir: string, options: DevClusterOptions): RunningProgram {
  return new RunningProgram([
    "dev",
    "--brokers",
    String(options.brokers),
    "--data-dir",
    dataDir,
    "--base-port",
    String(options.basePort ?? freePortRun(options.brokers)),
    "--coordinator-port",
    String(options.coordinatorPort ?? freePort()),
    "--console-port",
    "0",
    "--metrics-base-port",
    "0",
  ]);
}
