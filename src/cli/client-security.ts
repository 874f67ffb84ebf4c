/**
 * The security options every client command takes: `--command-config FILE` (a Kafka client
 * properties file, see src/security/client-properties.ts) and the same settings as flags,
 * which win over the file. The password may also come from VLTAVA_SASL_PASSWORD (better than
 * a flag, which other users can see in the process list); it is never printed.
 *
 * @example
 * ```sh
 * vltava topic list --bootstrap broker:9093 --command-config client.properties
 * VLTAVA_SASL_PASSWORD=… vltava produce orders --security-protocol SASL_SSL \
 *   --sasl-mechanism SCRAM-SHA-512 --sasl-username alice --ssl-ca-location ca.pem
 * ```
 */
import { type Command, Option } from "@commander-js/extra-typings";
import type { Command as UntypedCommand } from "commander";
import type { ClientSecurity } from "../client/security.ts";
import {
  type ClientSecuritySettings,
  loadClientSecurity,
  readSecurityProperties,
} from "../security/client-properties.ts";
import { CliError } from "./cli-error.ts";

/** The flags, as Commander parses them. */
export interface SecurityFlags {
  commandConfig?: string;
  securityProtocol?: string;
  saslMechanism?: string;
  saslUsername?: string;
  saslPassword?: string;
  sslCaLocation?: string;
  sslCertificateLocation?: string;
  sslKeyLocation?: string;
}

/**
 * Add the security flags to a client command. The options are added on the untyped command
 * and the result typed once as Opts & SecurityFlags: chaining eight more typed .option() calls
 * inside this generic helper made TypeScript's checking of every command explode.
 */
export function withSecurityOptions<Args extends unknown[], Opts extends Record<string, unknown>>(
  command: Command<Args, Opts>,
): Command<Args, Opts & SecurityFlags> {
  const untyped = command as unknown as UntypedCommand;
  untyped
    .option("--command-config <file>", "Kafka client properties (security.protocol, sasl.*, ssl.*)")
    .option("--security-protocol <protocol>", "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
    .option("--sasl-mechanism <mechanism>", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
    .option("--sasl-username <name>", "SASL user name")
    .addOption(
      new Option("--sasl-password <password>", "SASL password (prefer the environment variable)")
        .env("VLTAVA_SASL_PASSWORD"),
    )
    .option("--ssl-ca-location <file>", "PEM file of the CA that signed the brokers' certificates")
    .option("--ssl-certificate-location <file>", "PEM client certificate, for brokers that ask for one")
    .option("--ssl-key-location <file>", "PEM key of the client certificate");
  return command as unknown as Command<Args, Opts & SecurityFlags>;
}

/** The client's `security` option from the flags and the --command-config file. */
export async function clientSecurity(flags: SecurityFlags): Promise<ClientSecurity | undefined> {
  try {
    const fromFile: ClientSecuritySettings = flags.commandConfig === undefined
      ? {}
      : await readSecurityProperties(flags.commandConfig);
    const settings: ClientSecuritySettings = { ...fromFile };
    const overrides: [keyof ClientSecuritySettings, string | undefined][] = [
      ["protocol", flags.securityProtocol],
      ["mechanism", flags.saslMechanism],
      ["username", flags.saslUsername],
      ["password", flags.saslPassword],
      ["caFile", flags.sslCaLocation],
      ["certFile", flags.sslCertificateLocation],
      ["keyFile", flags.sslKeyLocation],
    ];
    for (const [field, value] of overrides) if (value !== undefined) settings[field] = value as never;
    return await loadClientSecurity(settings);
  } catch (error) {
    const message = (error as Error).message;
    throw new CliError(
      message.charAt(0).toLowerCase() + message.slice(1),
      error instanceof TypeError ? 2 : 1,
    );
  }
}
