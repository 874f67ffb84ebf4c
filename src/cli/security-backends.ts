/**
 * Where `vltava user` and `vltava acl` make their changes: through a broker over the Kafka
 * protocol (`--bootstrap`, the normal way, authorized like any client), or straight in the
 * coordinator (`--coordinator HOST:PORT`, as kafka-configs and kafka-acls did with
 * --zookeeper) — the way to create the first users before any broker runs. Both backends store
 * the same znodes in the same layout; with `--coordinator-auth` the writes carry the brokers'
 * digest identity, which a protected cluster requires.
 *
 * @example
 * ```ts
 * await using users = await openUserBackend(options);
 * await users.upsert("alice", "SCRAM-SHA-512", "wonderland", 4096);
 * ```
 */
import { type Command, Option } from "@commander-js/extra-typings";
import type { Command as UntypedCommand } from "commander";
import { type CoordinatorAuth, readCoordinatorAuth } from "../broker/coordinator-acls.ts";
import type { Coordination } from "../broker/coordination.ts";
import { connectCoordination } from "../broker/zk-coordination.ts";
import { SecurityAdmin } from "../client/security-admin.ts";
import {
  type AclBinding,
  type AclBindingFilter,
  matchesFilter,
  patternKey,
  sameEntry,
} from "../security/acl-bindings.ts";
import { bindingsOf, createAcls, deleteAcls, readAllAcls } from "../security/acl-store.ts";
import {
  deleteScramCredential,
  listUserCredentials,
  upsertScramCredential,
  type UserCredentialInfo,
} from "../security/credential-store.ts";
import { createScramCredential, scramMechanismNamed } from "../security/scram.ts";
import { ErrorCode, KeeperError } from "../zk/protocol/mod.ts";
import { CliError } from "./cli-error.ts";
import { toCliError } from "./client-options.ts";
import { ErrorCode as KafkaErrorCode, KafkaError } from "../kafka/errors.ts";
import { clientSecurity, type SecurityFlags } from "./client-security.ts";

export type ScramMechanismName = "SCRAM-SHA-256" | "SCRAM-SHA-512";

/** Flags of the management commands. */
export interface BackendFlags extends SecurityFlags {
  bootstrap: string;
  coordinator?: string;
  coordinatorAuth?: string;
}

/** Add --coordinator and --coordinator-auth (typed once, as client-security.ts explains). */
export function withCoordinatorOptions<Args extends unknown[], Opts extends Record<string, unknown>>(
  command: Command<Args, Opts>,
): Command<Args, Opts & { coordinator?: string; coordinatorAuth?: string }> {
  (command as unknown as UntypedCommand)
    .option(
      "--coordinator <connect>",
      "write straight to the coordinator (HOST:PORT[/chroot]) instead of a broker",
    )
    .addOption(
      new Option(
        "--coordinator-auth <user:password>",
        "the brokers' coordinator credentials, or @FILE holding them",
      )
        .env("VLTAVA_COORDINATOR_AUTH"),
    );
  return command as unknown as Command<Args, Opts & { coordinator?: string; coordinatorAuth?: string }>;
}

export interface UserBackend extends AsyncDisposable {
  list(): Promise<UserCredentialInfo[]>;
  upsert(user: string, mechanism: ScramMechanismName, password: string, iterations: number): Promise<void>;
  /** false when the user had no credential for the mechanism. */
  remove(user: string, mechanism: ScramMechanismName): Promise<boolean>;
}

export interface AclBackend extends AsyncDisposable {
  add(bindings: AclBinding[]): Promise<void>;
  list(filter: AclBindingFilter): Promise<AclBinding[]>;
  remove(filters: AclBindingFilter[]): Promise<AclBinding[]>;
}

async function openCoordination(flags: BackendFlags): Promise<Coordination> {
  let auth: CoordinatorAuth | undefined;
  if (flags.coordinatorAuth !== undefined) {
    try {
      auth = await readCoordinatorAuth(flags.coordinatorAuth);
    } catch (error) {
      const message = (error as Error).message;
      throw new CliError(
        message.charAt(0).toLowerCase() + message.slice(1),
        error instanceof TypeError ? 2 : 1,
      );
    }
  }
  try {
    return await connectCoordination(flags.coordinator!, 10_000, 10_000, { auth });
  } catch (error) {
    throw new CliError(`cannot reach the coordinator at ${flags.coordinator}: ${(error as Error).message}`);
  }
}

async function openAdmin(flags: BackendFlags): Promise<SecurityAdmin> {
  return new SecurityAdmin({
    bootstrap: flags.bootstrap,
    clientId: "vltava-cli",
    security: await clientSecurity(flags),
  });
}

export async function openUserBackend(flags: BackendFlags): Promise<UserBackend> {
  if (flags.coordinator === undefined) {
    const admin = await openAdmin(flags);
    return {
      list: () => admin.describeUserScramCredentials(),
      upsert: (user, mechanism, password, iterations) =>
        admin.upsertUserScramCredential(user, mechanism, password, iterations),
      remove: async (user, mechanism) => {
        const [info] = await admin.describeUserScramCredentials([user]).catch(() => [undefined]);
        if (!info?.mechanisms.some((entry) => entry.mechanism === mechanism)) return false;
        await admin.deleteUserScramCredential(user, mechanism);
        return true;
      },
      [Symbol.asyncDispose]: () => admin[Symbol.asyncDispose](),
    };
  }
  const coordination = await openCoordination(flags);
  return {
    list: () =>
      listUserCredentials(
        coordination,
        (user, error) => console.error(`warning: skipping user "${user}": ${error.message}`),
      ),
    upsert: async (user, mechanism, password, iterations) => {
      const scram = scramMechanismNamed(mechanism)!;
      await upsertScramCredential(
        coordination,
        user,
        mechanism,
        await createScramCredential(scram, password, iterations),
      );
    },
    remove: (user, mechanism) => deleteScramCredential(coordination, user, mechanism),
    [Symbol.asyncDispose]: () => coordination.close(),
  };
}

export async function openAclBackend(flags: BackendFlags): Promise<AclBackend> {
  if (flags.coordinator === undefined) {
    const admin = await openAdmin(flags);
    return {
      add: (bindings) => admin.createAcls(bindings),
      list: (filter) => admin.describeAcls(filter),
      remove: (filters) => admin.deleteAcls(filters),
      [Symbol.asyncDispose]: () => admin[Symbol.asyncDispose](),
    };
  }
  const coordination = await openCoordination(flags);
  const stored = async () =>
    bindingsOf(
      await readAllAcls(coordination, (path, error) =>
        console.error(`warning: skipping ${path}: ${error.message}`)),
    );
  return {
    add: async (bindings) => {
      const failures = await createAcls(coordination, bindings);
      const failed = failures.findIndex((failure) => failure !== undefined);
      if (failed >= 0) throw new CliError(`could not store the ACL: ${failures[failed]}`);
    },
    list: async (filter) => (await stored()).filter((binding) => matchesFilter(binding, filter)),
    remove: async (filters) => {
      // A binding two filters matched is reported once.
      const deleted = (await deleteAcls(coordination, filters, await stored())).flat();
      return deleted.filter((binding, i) => deleted.findIndex((other) => sameBinding(other, binding)) === i);
    },
    [Symbol.asyncDispose]: () => coordination.close(),
  };
}

function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return patternKey(a) === patternKey(b) && sameEntry(a, b);
}

/** A coordinator refusal (NOAUTH) as what to do, or undefined for other errors. */
export function coordinatorRefusal(error: unknown): CliError | undefined {
  if (!(error instanceof KeeperError) || error.code !== ErrorCode.noAuth) return undefined;
  return new CliError(
    "the coordinator refused: these nodes are protected by the brokers' credentials " +
      "(pass them with --coordinator-auth USER:PASSWORD or @FILE)",
  );
}

/**
 * Open a backend, run `body`, close it; failures become one-line errors: a broker that lacks
 * the APIs (`what` names them), an authorizer that is off, a caller not allowed, a protected
 * coordinator.
 */
export async function withBackend<B extends AsyncDisposable, T>(
  flags: BackendFlags,
  what: { subject: string; apis: string },
  open: (flags: BackendFlags) => Promise<B>,
  body: (backend: B) => Promise<T>,
): Promise<T> {
  let backend: B | undefined;
  try {
    backend = await open(flags);
    return await body(backend);
  } catch (error) {
    if (error instanceof KafkaError && error.code === KafkaErrorCode.UNSUPPORTED_VERSION) {
      throw new CliError(
        `the broker at ${flags.bootstrap} does not manage ${what.subject} (it lacks ${what.apis}): ` +
          `write to the coordinator instead with --coordinator HOST:PORT`,
      );
    }
    if (error instanceof KafkaError && error.code === KafkaErrorCode.SECURITY_DISABLED) {
      throw new CliError(
        "the broker has no authorizer (start it with --authorizer acl): ACLs would not be enforced",
      );
    }
    if (error instanceof KafkaError && error.code === KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED) {
      throw new CliError(
        `not allowed to manage ${what.subject}: it takes Alter (Describe to list) on the cluster, or a super user`,
      );
    }
    throw coordinatorRefusal(error) ?? toCliError(error, { bootstrap: flags.bootstrap });
  } finally {
    await backend?.[Symbol.asyncDispose]();
  }
}
