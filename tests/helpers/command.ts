/**
 * One-shot commands for tests (vltava itself, kcat, …): run to completion with optional stdin,
 * output collected, and a hard time limit so a hung peer fails its test instead of the run.
 */

/** What a finished command printed and how it exited. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCommandOptions {
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  stdin?: string;
  env?: Record<string, string>;
  /** SIGKILL after this long (default 120 s). */
  timeoutMs?: number;
}

/** Run `command args…` to completion. */
export async function runCommand(
  command: string,
  args: string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  const child = new Deno.Command(command, {
    args,
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }, options.timeoutMs ?? 120_000);
  try {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin)).catch(() => {});
      await writer.close().catch(() => {});
    }
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Run kcat (librdkafka's CLI; a Debian peer, see peers.ts) to completion. */
export function kcat(args: string[], stdin?: string, timeoutMs = 60_000): Promise<CommandResult> {
  return runCommand("kcat", args, { stdin, timeoutMs });
}
