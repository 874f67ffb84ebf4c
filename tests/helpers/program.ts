/**
 * The one way tests start Vltava: a compiled binary when VLTAVA_BIN is set, otherwise the
 * command `vltava dev` starts its copies with (`deno run` of main.ts with the program's V8 flags,
 * src/cli/self-command.ts). Servers run as real child processes on free 127.0.0.1 ports with
 * temporary data directories, and are always killed when the test ends (`await using`).
 */
import { type CommandResult, runCommand } from "./command.ts";
import { freePortRun as freePortRunOn } from "../../src/dev/free-ports.ts";
import { selfCommand } from "../../src/cli/self-command.ts";

/** The argv prefix that runs the program. */
export function programCommand(): string[] {
  const binary = Deno.env.get("VLTAVA_BIN");
  return binary ? [binary] : selfCommand();
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Several distinct free ports. */
export function freePorts(count: number): number[] {
  const listeners = Array.from({ length: count }, () => Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  const ports = listeners.map((listener) => (listener.addr as Deno.NetAddr).port);
  for (const listener of listeners) listener.close();
  return ports;
}

/**
 * The first of `count` consecutive ports on 127.0.0.1 that were all free a moment ago, for commands that take a
 * base port and count up from it (`vltava dev --base-port`); below the kernel's ephemeral range, where
 * freePort() and every outgoing connection get their ports (src/dev/free-ports.ts).
 */
export function freePortRun(count: number): number {
  return freePortRunOn(count, "127.0.0.1");
}

/** A temporary directory (in `parent`, default the system temp dir) removed on dispose. */
export async function tempDir(
  prefix = "vltava-test-",
  parent?: string,
): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix, dir: parent });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Wait until something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 30_000, isAlive: () => boolean = () => true) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`Process exited before port ${port} opened`);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await delay(50);
    }
  }
  throw new Error(`Nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll a condition until it holds; throws with `what` after timeoutMs. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    await delay(intervalMs);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ""}`);
}

/** How a RunningProgram's process is started, beyond its arguments. */
export interface SpawnOptions {
  /** The argv prefix that runs the program (default: programCommand(), i.e. vltava). */
  command?: string[];
  /** Prepended to the whole command line, e.g. `ip netns exec NAME` (which execs, keeping the pid). */
  wrapper?: string[];
  /** Start each collected output line with the wall-clock time it arrived (HH:MM:SS.mmm), to order events. */
  timestamps?: boolean;
}

/** A running child process with its output collected. */
export class RunningProgram implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly args: string[];
  #stdout = "";
  #stderr = "";
  #exited = false;
  readonly status: Promise<Deno.CommandStatus>;
  #pumps: Promise<void>[];

  constructor(args: string[], env: Record<string, string> = {}, spawn: SpawnOptions = {}) {
    this.args = args;
    const [command, ...rest] = [...(spawn.wrapper ?? []), ...(spawn.command ?? programCommand())];
    this.child = new Deno.Command(command, {
      args: [...rest, ...args],
      // A violated invariant ends the process (exit 70), so the test that caused it fails.
      env: { NO_COLOR: "1", VLTAVA_INVARIANTS: "exit", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stamp = spawn.timestamps ? stampLines : (sink: (text: string) => void) => sink;
    this.#pumps = [
      pump(this.child.stdout, stamp((text) => this.#stdout += text)),
      pump(this.child.stderr, stamp((text) => this.#stderr += text)),
    ];
    this.status = this.child.status.then((status) => {
      this.#exited = true;
      return status;
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.#exited;
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /**
   * Wait for a line of stdout/stderr matching pattern. A process that exits without writing it
   * fails the wait at once, with what it wrote on stderr (not after the whole timeout).
   */
  async waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const what = `output matching ${pattern} from vltava ${this.args.join(" ")}`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = (this.#stdout + this.#stderr).match(pattern);
      if (match) return match;
      if (this.#exited) {
        await Promise.all(this.#pumps); // its last words may still be in the pipes
        const late = (this.#stdout + this.#stderr).match(pattern);
        if (late) return late;
        throw new Error(`Waiting for ${what}: it exited; stderr: ${this.#stderr}`);
      }
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
      await delay(50);
    }
  }

  signal(signal: Deno.Signal): void {
    if (!this.#exited) {
      try {
        this.child.kill(signal);
      } catch { /* already gone */ }
    }
  }

  /** Stop with SIGTERM (or another signal), escalating to SIGKILL after graceMs. */
  async stop(signal: Deno.Signal = "SIGTERM", graceMs = 10_000): Promise<Deno.CommandStatus> {
    this.signal("SIGCONT");
    this.signal(signal);
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    try {
      const status = await this.status;
      await Promise.all(this.#pumps);
      return status;
    } finally {
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose]() {
    await this.stop("SIGKILL");
  }
}

/** A sink that passes on whole lines only, each after the time it arrived. */
function stampLines(sink: (text: string) => void): (text: string) => void {
  let partial = "";
  return (text) => {
    const lines = (partial + text).split("\n");
    partial = lines.pop()!;
    const time = new Date().toISOString().slice(11, 23);
    for (const line of lines) sink(`${time} ${line}\n`);
  };
}

async function pump(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
  } catch { /* process killed */ }
}

/** Start a long-running vltava command and wait until `port` accepts connections. */
export async function startProgram(
  args: string[],
  port: number,
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<RunningProgram> {
  const program = new RunningProgram(args, env);
  try {
    await waitForPort(port, timeoutMs, () => !program.exited);
  } catch (error) {
    await program.stop("SIGKILL");
    throw new Error(`${(error as Error).message}\nstderr: ${program.stderr}\nstdout: ${program.stdout}`);
  }
  return program;
}

/** What a one-shot vltava command printed and how it exited. */
export type CliResult = CommandResult;

/** Run a one-shot vltava command to completion. */
export function runCli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const [command, ...rest] = programCommand();
  return runCommand(command, [...rest, ...args], {
    ...options,
    env: { VLTAVA_INVARIANTS: "exit", ...options.env },
  });
}
