/**
 * The `vltava` command tree. Each command group lives in its own module and registers
 * itself here; this module only wires them together and maps failures to exit codes.
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { CliError } from "./cli-error.ts";
import { VERSION } from "../version.ts";

/** A module that adds one command group to the program. */
export type CommandRegistrar = (program: Command) => void;

const registrars: CommandRegistrar[] = [];

/** Command modules call this at import time. */
export function registerCommands(registrar: CommandRegistrar): void {
  registrars.push(registrar);
}

/** Build the program with every registered command. */
export function buildProgram(): Command {
  const program = new Command("vltava")
    .description("Vltava: a small distributed log that speaks Kafka, with a ZooKeeper-compatible coordinator")
    .version(VERSION, "-V, --version", "print the version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeErr: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)) });
  for (const register of registrars) register(program);
  return program;
}

/** Run the program and return the process exit code. */
export async function runProgram(args: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    return exitCodeFor(error);
  }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version "errors" are successful exits; everything else is a usage error.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
    if (error.code === "commander.help") return 0;
    return 2;
  }
  if (error instanceof CliError) {
    console.error(`error: ${error.message}`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  console.error(`error: ${message}`);
  return 1;
}
