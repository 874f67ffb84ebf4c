/**
 * What every client command shares: the `--bootstrap`, `--json` and security options, and the
 * translation of client failures into one-line CliErrors that say what to do.
 *
 * @example
 * ```ts
 * withClientOptions(program.command("topic list")).action((options) =>
 *   runClient(options, async (bootstrap) => { ... }));
 * ```
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { CliError } from "./cli-error.ts";
import {
  AuthenticationError,
  BrokerUnreachableError,
  ConnectionClosedError,
  RequestTimeoutError,
  TlsHandshakeError,
} from "../client/errors.ts";
import { withSecurityOptions } from "./client-security.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";

export const DEFAULT_BOOTSTRAP = "127.0.0.1:9092";

/**
 * Add --bootstrap (default from VLTAVA_BOOTSTRAP or 127.0.0.1:9092), --json (jsonHelp: its
 * help line) and the security options (client-security.ts).
 */
export function withClientOptions<Args extends unknown[], Opts extends Record<string, unknown>>(
  command: Command<Args, Opts>,
  jsonHelp = "print JSON instead of text",
) {
  return withSecurityOptions(command)
    .addOption(
      new Option("--bootstrap <hosts>", "brokers to contact first, HOST:PORT[,HOST:PORT]")
        .env("VLTAVA_BOOTSTRAP")
        .default(DEFAULT_BOOTSTRAP),
    )
    .option("--json", jsonHelp, false);
}

/** What the failing command was doing, for the error's what-to-do. */
export interface CliErrorContext {
  topic?: string;
  group?: string;
  bootstrap?: string;
  /** The ACL operation it needed on the topic (Read, Write, Describe). */
  operation?: string;
  /** The client's principal, e.g. User:alice (from its SASL user). */
  principal?: string;
}

/** Turn a client failure into a CliError naming the topic or broker and the fix. */
export function toCliError(error: unknown, context: CliErrorContext = {}): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof BrokerUnreachableError) {
    return new CliError(
      `cannot reach a broker at ${error.address} (${error.hint ?? "start one with: vltava dev"})`,
    );
  }
  if (error instanceof AuthenticationError || error instanceof TlsHandshakeError) {
    return new CliError(lowerFirst(error.message));
  }
  if (error instanceof ConnectionClosedError || error instanceof RequestTimeoutError) {
    return new CliError(
      `${lowerFirst(error.message)} (is the broker at ${
        context.bootstrap ?? "the bootstrap address"
      } healthy?)`,
    );
  }
  if (error instanceof KafkaError) {
    const topic = context.topic ?? topicIn(error.message);
    switch (error.code) {
      case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
        if (topic) {
          return new CliError(
            `topic "${topic}" does not exist (create it with: vltava topic create ${topic})`,
          );
        }
        break;
      case ErrorCode.TOPIC_ALREADY_EXISTS:
        if (topic) {
          return new CliError(
            `topic "${topic}" already exists (see it with: vltava topic describe ${topic})`,
          );
        }
        break;
      case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
        if (topic) {
          const operation = context.operation ?? "Describe";
          return new CliError(
            `not allowed to ${operation.toLowerCase()} topic "${topic}" (ask for: vltava acl add --allow ${
              context.principal ?? "User:<you>"
            } --operation ${operation} --topic ${topic})`,
          );
        }
        break;
      case ErrorCode.GROUP_AUTHORIZATION_FAILED:
        if (context.group) {
          return new CliError(
            `not allowed to use group "${context.group}" (ask for: vltava acl add --allow ${
              context.principal ?? "User:<you>"
            } --operation Read --group ${context.group})`,
          );
        }
        break;
      case ErrorCode.INVALID_REPLICATION_FACTOR:
        return new CliError(
          `${
            lowerFirst(error.message)
          } (use at most as many replicas as live brokers: vltava cluster describe)`,
        );
    }
    return new CliError(lowerFirst(error.message));
  }
  if (error instanceof TypeError || error instanceof RangeError) {
    return new CliError(lowerFirst(error.message), 2);
  }
  return new CliError(lowerFirst(error instanceof Error ? error.message : String(error)));
}

function topicIn(message: string): string | undefined {
  return /topic "([^"]+)"/.exec(message)?.[1];
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** Print a value as pretty JSON on stdout. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}
