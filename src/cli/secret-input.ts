/**
 * Reading a password without showing it: from a terminal with echo off (raw mode, so nothing
 * typed reaches the screen or the scrollback), or as the first line of piped input
 * (`printf '%s\n' "$PW" | vltava user create alice`).
 *
 * @example
 * ```ts
 * const password = await readSecret('password for "alice": ');
 * ```
 */
import { CliError } from "./cli-error.ts";

/** Longest secret accepted from a terminal or a pipe. */
const MAX_SECRET_CHARS = 1024;

export async function readSecret(prompt: string): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    const text = await new Response(Deno.stdin.readable).text();
    const line = text.split(/\r?\n/)[0] ?? "";
    if (line.length > MAX_SECRET_CHARS) {
      throw new CliError(`the password is longer than ${MAX_SECRET_CHARS} characters`);
    }
    return line;
  }
  const encoder = new TextEncoder();
  Deno.stderr.writeSync(encoder.encode(prompt));
  Deno.stdin.setRaw(true);
  const chars: string[] = [];
  try {
    const buffer = new Uint8Array(64);
    for (;;) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) break;
      const text = new TextDecoder().decode(buffer.subarray(0, n));
      for (const char of text) {
        if (char === "\r" || char === "\n") return chars.join("");
        if (char === "\u0003") throw new CliError("cancelled");
        if (char === "\u007f" || char === "\b") chars.pop();
        else if (chars.length < MAX_SECRET_CHARS) chars.push(char);
      }
    }
    return chars.join("");
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(encoder.encode("\n"));
  }
}
