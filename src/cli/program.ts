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

/** Where the program writes; tests pass their own to run the tree in-process. */
export interface ProgramOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

const encoder = new TextEncoder();

const STANDARD_OUTPUT: ProgramOutput = {
  writeOut: (text) => Deno.stdout.writeSync(encoder.encode(text)),
  writeErr: (text) => Deno.stderr.writeSync(encoder.encode(text)),
};

/** Build the program with every registered command. */
export function buildProgram(output: ProgramOutput = STANDARD_OUTPUT): Command {
  const program = new Command("vltava")
    .description("Vltava: a small distributed log that speaks Kafka, with a ZooKeeper-compatible coordinator")
    .version(VERSION, "-V, --version", "print the version")
    .exitOverride()
    .configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr });
  for (const register of registrars) register(program);
  for (const command of commandTree(program)) {
    // Commander's own errors (unknown option, missing argument, a parser's InvalidArgumentError)
    // become one line that names the command's help, instead of the error plus a second line.
    const path = commandPath(command);
    command.configureOutput({
      outputError: (text, write) => write(`${oneLine(text)} (see: ${path} --help)\n`),
    });
  }
  return program;
}

/** Every command of the tree, the root first. */
export function commandTree(root: Command): Command[] {
  const all: Command[] = [];
  const visit = (command: Command) => {
    all.push(command);
    for (const sub of command.commands) visit(sub as Command);
  };
  visit(root);
  return all;
}

/** "vltava topic create" for the create command under topic. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent as Command | null) names.unshift(at.name());
  return names.join(" ");
}

/** Join a possibly multi-line message (Commander adds "(Did you mean …?)" on its own line). */
function oneLine(text: string): string {
  return text.split("\n").map((line) => line.trim()).filter((line) => line.length > 0).join(" ");
}

/** Run the program and return the process exit code. */
export async function runProgram(args: string[], output: ProgramOutput = STANDARD_OUTPUT): Promise<number> {
  const program = buildProgram(output);
  // The command being run, for the help hint of usage errors thrown by its option parsers or action.
  let actionCommand: Command = program;
  for (const command of commandTree(program)) {
    command.hook("preSubcommand", (_parent, sub) => {
      actionCommand = sub as Command;
    });
  }
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    return exitCodeFor(error, actionCommand, output);
  }
}

function exitCodeFor(error: unknown, actionCommand: Command, output: ProgramOutput): number {
  if (error instanceof CommanderError) {
    // Help and version "errors" are successful exits; everything else is a usage error
    // (already printed, as one line, by outputError above).
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
    if (error.code === "commander.help") return 0;
    return 2;
  }
  if (error instanceof CliError) {
    const message = oneLine(error.message);
    const hint = error.exitCode === 2 && !message.includes("--help")
      ? ` (see: ${commandPath(actionCommand)} --help)`
      : "";
    output.writeErr(`error: ${message}${hint}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  output.writeErr(`error: ${oneLine(message)}\n`);
  return 1;
}
