/**
 * `vltava dev` as a child process for tests: free ports unless given, its console and /metrics on free ports,
 * data in `dataDir`. The caller stops it (`await using`).
 */
import { freePorts, RunningProgram } from "./program.ts";

export interface DevClusterOptions {
  brokers: number;
  basePort?: number;
  coordinatorPort?: number;
}

/** Start `vltava dev`; wait for its lines with waitForOutput (e.g. /console: +(http:\/\/\S+)/). */
export function startDev(dataDir: string, options: DevClusterOptions): RunningProgram {
  const [coordinatorPort, basePort] = freePorts(2);
  return new RunningProgram([
    "dev",
    "--brokers",
    String(options.brokers),
    "--data-dir",
    dataDir,
    "--base-port",
    String(options.basePort ?? basePort),
    "--coordinator-port",
    String(options.coordinatorPort ?? coordinatorPort),
    "--console-port",
    "0",
    "--metrics-base-port",
    "0",
  ]);
}
