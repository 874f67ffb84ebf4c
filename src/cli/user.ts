/**
 * `vltava user create|list|delete`: SCRAM users, through a broker (AlterUserScramCredentials,
 * DescribeUserScramCredentials) or straight in the coordinator with --coordinator (for the
 * first users, before any broker runs). The password comes from --password, VLTAVA_USER_PASSWORD,
 * or is asked for without echo (or read from piped stdin); it is never printed.
 *
 * @example
 * ```sh
 * vltava user create admin --coordinator 127.0.0.1:2181          # asks for the password
 * vltava user create alice --mechanism SCRAM-SHA-256 --mechanism SCRAM-SHA-512 --command-config admin.properties
 * vltava user list --json
 * vltava user delete alice --mechanism SCRAM-SHA-256
 * ```
 */
import Table from "cli-table3";
import { Option } from "@commander-js/extra-typings";
import { registerCommands } from "./program.ts";
import { CliError, usageError } from "./cli-error.ts";
import { integerOption } from "./options.ts";
import { printJson, withClientOptions } from "./client-options.ts";
import {
  type BackendFlags,
  openUserBackend,
  type ScramMechanismName,
  type UserBackend,
  withBackend,
  withCoordinatorOptions,
} from "./security-backends.ts";
import { readSecret } from "./secret-input.ts";

const MECHANISMS = ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const;

function mechanismOption(value: string, previous: ScramMechanismName[] | undefined): ScramMechanismName[] {
  const mechanism = value.toUpperCase();
  if (!(MECHANISMS as readonly string[]).includes(mechanism)) {
    throw usageError(`--mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, got "${value}"`);
  }
  return [...(previous ?? []), mechanism as ScramMechanismName];
}

function withUsers<T>(flags: BackendFlags, body: (users: UserBackend) => Promise<T>): Promise<T> {
  return withBackend(flags, { subject: "users", apis: "AlterUserScramCredentials" }, openUserBackend, body);
}

registerCommands((program) => {
  const user = program.command("user").description("users with SCRAM credentials: create, list, delete");

  withCoordinatorOptions(withClientOptions(
    user.command("create")
      .description("create a user or set its password (one credential per mechanism)")
      .argument("<name>", "user name (the principal is User:<name>)")
      .option(
        "--mechanism <mechanism>",
        "SCRAM-SHA-256 or SCRAM-SHA-512, repeatable (default SCRAM-SHA-512)",
        mechanismOption,
      )
      .option("--iterations <n>", "PBKDF2 iterations", integerOption(4096, 16384), 4096)
      .addOption(
        new Option("--password <password>", "the password (else asked for, or VLTAVA_USER_PASSWORD)").env(
          "VLTAVA_USER_PASSWORD",
        ),
      ),
  )).action(async (name, options) => {
    if (name.length === 0) throw usageError("the user name must not be empty");
    const mechanisms = options.mechanism ?? ["SCRAM-SHA-512"];
    const password = options.password ?? await readSecret(`password for "${name}": `);
    if (password.length === 0) throw usageError("the password must not be empty");
    await withUsers(options, async (users) => {
      for (const mechanism of mechanisms) await users.upsert(name, mechanism, password, options.iterations);
    });
    if (options.json) printJson({ user: name, mechanisms, iterations: options.iterations });
    else {console.log(
        `user "${name}": ${mechanisms.join(", ")} credential set (${options.iterations} iterations)`,
      );}
  });

  withCoordinatorOptions(
    withClientOptions(user.command("list").description("list users and their mechanisms")),
  )
    .action(async (options) => {
      const users = await withUsers(options, (backend) => backend.list());
      if (options.json) {
        printJson(users);
        return;
      }
      if (users.length === 0) {
        console.log("no users (create one with: vltava user create NAME)");
        return;
      }
      const table = new Table({ head: ["user", "mechanisms (iterations)"], style: { head: [], border: [] } });
      for (const info of users) {
        table.push([info.user, info.mechanisms.map((m) => `${m.mechanism} (${m.iterations})`).join(", ")]);
      }
      console.log(table.toString());
    });

  withCoordinatorOptions(withClientOptions(
    user.command("delete")
      .description("delete a user's credentials (all, or one mechanism)")
      .argument("<name>", "user name")
      .option("--mechanism <mechanism>", "only this mechanism, repeatable", mechanismOption),
  )).action(async (name, options) => {
    const removed = await withUsers(options, async (users) => {
      const mechanisms = options.mechanism ?? [...MECHANISMS];
      const gone: ScramMechanismName[] = [];
      for (const mechanism of mechanisms) if (await users.remove(name, mechanism)) gone.push(mechanism);
      return gone;
    });
    if (removed.length === 0) {
      throw new CliError(
        `user "${name}" has no ${
          options.mechanism?.join(" or ") ?? "SCRAM"
        } credential (see the users with: vltava user list)`,
      );
    }
    if (options.json) printJson({ user: name, deleted: removed });
    else console.log(`user "${name}": deleted ${removed.join(", ")}`);
  });
});
