/**
 * `vltava acl add|list|remove`: ACLs, through a broker (CreateAcls, DescribeAcls, DeleteAcls)
 * or straight in the coordinator with --coordinator. Kafka's vocabulary: a principal
 * (User:alice), an operation (Read, Write, Create, Delete, Alter, Describe, ClusterAction,
 * DescribeConfigs, AlterConfigs, IdempotentWrite, All), a resource (--topic, --group,
 * --cluster, --transactional-id; LITERAL, or PREFIXED with --prefixed; "*" for every name) and
 * a host (* by default).
 *
 * @example
 * ```sh
 * vltava acl add --allow User:alice --operation Write --topic orders
 * vltava acl add --allow User:alice --operation Read --operation Describe --group billing- --prefixed
 * vltava acl add --deny User:bob --operation Read --topic payments
 * vltava acl list --topic orders --match        # everything that applies to the topic "orders"
 * vltava acl remove --topic orders --allow User:alice
 * ```
 */
import Table from "cli-table3";
import type { Command } from "@commander-js/extra-typings";
import type { Command as UntypedCommand } from "commander";
import { registerCommands } from "./program.ts";
import { usageError } from "./cli-error.ts";
import { printJson, withClientOptions } from "./client-options.ts";
import {
  type AclBackend,
  type BackendFlags,
  openAclBackend,
  withBackend,
  withCoordinatorOptions,
} from "./security-backends.ts";
import {
  AclOperation,
  AclPermission,
  CLUSTER_RESOURCE_NAME,
  operationName,
  parseOperation,
  PatternType,
  patternTypeName,
  permissionName,
  ResourceType,
  resourceTypeName,
  SUPPORTED_OPERATIONS,
} from "../kafka/acl.ts";
import {
  type AclBinding,
  type AclBindingFilter,
  ANY_ACL_FILTER,
  describeBinding,
} from "../security/acl-bindings.ts";

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

function principalOption(value: string, previous: string[] | undefined): string[] {
  if (!/^[^:]+:.+$/.test(value)) throw usageError(`expected a principal like User:alice, got "${value}"`);
  return collect(value, previous);
}

function operationOption(value: string, previous: number[] | undefined): number[] {
  const operation = parseOperation(value);
  if (operation === undefined || operation === AclOperation.Any) {
    throw usageError(
      `unknown operation "${value}" (one of ${
        Object.keys(AclOperation).filter((name) => name !== "Any" && !name.endsWith("Tokens")).join(", ")
      })`,
    );
  }
  return [...(previous ?? []), operation];
}

type ResourceFlags = {
  topic?: string;
  group?: string;
  cluster?: boolean;
  transactionalId?: string;
  prefixed?: boolean;
};

/** The one resource the flags name, or undefined when they name none. */
function resourceOf(flags: ResourceFlags): { resourceType: number; resourceName: string } | undefined {
  const chosen = [
    flags.topic !== undefined && { resourceType: ResourceType.Topic, resourceName: flags.topic },
    flags.group !== undefined && { resourceType: ResourceType.Group, resourceName: flags.group },
    flags.cluster === true && { resourceType: ResourceType.Cluster, resourceName: CLUSTER_RESOURCE_NAME },
    flags.transactionalId !== undefined &&
    { resourceType: ResourceType.TransactionalId, resourceName: flags.transactionalId },
  ].filter((resource) => resource !== false);
  if (chosen.length > 1) {
    throw usageError("name one resource: --topic, --group, --cluster or --transactional-id");
  }
  if (chosen[0] && chosen[0].resourceName.length === 0) {
    throw usageError("the resource name must not be empty");
  }
  return chosen[0] || undefined;
}

/** Add the resource selectors (typed once, as client-security.ts explains). */
function withResourceOptions<Args extends unknown[], Opts extends Record<string, unknown>>(
  command: Command<Args, Opts>,
): Command<Args, Opts & ResourceFlags> {
  (command as unknown as UntypedCommand)
    .option("--topic <name>", 'a topic ("*" for every topic)')
    .option("--group <name>", 'a consumer group ("*" for every group)')
    .option("--cluster", "the cluster")
    .option("--transactional-id <id>", "a transactional id")
    .option("--prefixed", "the name is a prefix (every resource whose name starts with it)");
  return command as unknown as Command<Args, Opts & ResourceFlags>;
}

function table(bindings: AclBinding[]): string {
  const out = new Table({
    head: ["permission", "principal", "operation", "resource", "name", "pattern", "host"],
    style: { head: [], border: [] },
  });
  const sorted = [...bindings].sort((a, b) =>
    `${a.resourceType}:${a.resourceName}:${a.principal}`.localeCompare(
      `${b.resourceType}:${b.resourceName}:${b.principal}`,
    )
  );
  for (const b of sorted) {
    out.push([
      permissionName(b.permissionType),
      b.principal,
      operationName(b.operation),
      resourceTypeName(b.resourceType),
      b.resourceName,
      patternTypeName(b.patternType).toUpperCase(),
      b.host,
    ]);
  }
  return out.toString();
}

function asJson(binding: AclBinding) {
  return {
    permission: permissionName(binding.permissionType),
    principal: binding.principal,
    operation: operationName(binding.operation),
    resourceType: resourceTypeName(binding.resourceType),
    resourceName: binding.resourceName,
    patternType: patternTypeName(binding.patternType).toUpperCase(),
    host: binding.host,
  };
}

function withAcls<T>(flags: BackendFlags, body: (acls: AclBackend) => Promise<T>): Promise<T> {
  return withBackend(
    flags,
    { subject: "ACLs", apis: "CreateAcls/DescribeAcls/DeleteAcls" },
    openAclBackend,
    body,
  );
}

registerCommands((program) => {
  const acl = program.command("acl").description("access control lists: add, list, remove");

  withCoordinatorOptions(withClientOptions(
    withResourceOptions(
      acl.command("add")
        .description("allow or deny principals operations on a resource")
        .option(
          "--allow <principal>",
          "allow this principal (User:alice, User:*), repeatable",
          principalOption,
        )
        .option("--deny <principal>", "deny this principal, repeatable", principalOption)
        .option("--operation <operation>", "Read, Write, Describe, All, …, repeatable", operationOption)
        .option("--host <host>", "the client address this applies to", "*"),
    ),
  )).action(async (options) => {
    const resource = resourceOf(options);
    if (resource === undefined) {
      throw usageError("name the resource: --topic, --group, --cluster or --transactional-id");
    }
    if (!options.allow && !options.deny) throw usageError("name who: --allow PRINCIPAL or --deny PRINCIPAL");
    if (!options.operation) throw usageError("name what: --operation Read (repeatable)");
    for (const operation of options.operation) {
      if (
        operation !== AclOperation.All && !SUPPORTED_OPERATIONS[resource.resourceType].includes(operation)
      ) {
        throw usageError(
          `${operationName(operation)} does not apply to a ${
            resourceTypeName(resource.resourceType)
          } (use one of ${SUPPORTED_OPERATIONS[resource.resourceType].map(operationName).join(", ")}, All)`,
        );
      }
    }
    const patternType = options.prefixed ? PatternType.Prefixed : PatternType.Literal;
    const bindings: AclBinding[] = [];
    for (
      const [permissionType, principals] of [[AclPermission.Allow, options.allow], [
        AclPermission.Deny,
        options.deny,
      ]] as const
    ) {
      for (const principal of principals ?? []) {
        for (const operation of options.operation) {
          bindings.push({
            ...resource,
            patternType,
            principal,
            host: options.host,
            operation,
            permissionType,
          });
        }
      }
    }
    await withAcls(options, (acls) => acls.add(bindings));
    if (options.json) printJson(bindings.map(asJson));
    else for (const binding of bindings) console.log(`added: ${describeBinding(binding)}`);
  });

  withCoordinatorOptions(withClientOptions(
    withResourceOptions(
      acl.command("list")
        .description("list ACLs (all, or those of a resource or principal)")
        .option("--match", "with a resource: every ACL that applies to it (wildcards and prefixes too)")
        .option("--principal <principal>", "only this principal's ACLs"),
    ),
  )).action(async (options) => {
    const resource = resourceOf(options);
    if (options.match && options.prefixed) throw usageError("--match and --prefixed do not go together");
    const filter: AclBindingFilter = {
      ...ANY_ACL_FILTER,
      ...(resource ?? {}),
      patternType: resource === undefined
        ? PatternType.Any
        : options.match
        ? PatternType.Match
        : options.prefixed
        ? PatternType.Prefixed
        : PatternType.Literal,
      principal: options.principal ?? null,
    };
    const bindings = await withAcls(options, (acls) => acls.list(filter));
    if (options.json) printJson(bindings.map(asJson));
    else if (bindings.length === 0) {
      console.log("no ACLs (add one with: vltava acl add --allow User:NAME --operation Read --topic NAME)");
    } else console.log(table(bindings));
  });

  withCoordinatorOptions(withClientOptions(
    withResourceOptions(
      acl.command("remove")
        .description("remove the ACLs of a resource (all, or those of given principals and operations)")
        .option("--allow <principal>", "only ALLOW entries of this principal, repeatable", principalOption)
        .option("--deny <principal>", "only DENY entries of this principal, repeatable", principalOption)
        .option("--operation <operation>", "only this operation, repeatable", operationOption)
        .option("--host <host>", "only entries for this host"),
    ),
  )).action(async (options) => {
    const resource = resourceOf(options);
    if (resource === undefined) {
      throw usageError("name the resource: --topic, --group, --cluster or --transactional-id");
    }
    const base: AclBindingFilter = {
      ...ANY_ACL_FILTER,
      ...resource,
      patternType: options.prefixed ? PatternType.Prefixed : PatternType.Literal,
      host: options.host ?? null,
    };
    const who: [number, string | null][] = [
      ...(options.allow ?? []).map((p) => [AclPermission.Allow, p] as [number, string]),
      ...(options.deny ?? []).map((p) => [AclPermission.Deny, p] as [number, string]),
    ];
    if (who.length === 0) who.push([AclPermission.Any, null]);
    const filters = who.flatMap(([permissionType, principal]) =>
      (options.operation ?? [AclOperation.Any]).map((operation) => ({
        ...base,
        permissionType,
        principal,
        operation,
      }))
    );
    const removed = await withAcls(options, (acls) => acls.remove(filters));
    if (options.json) printJson(removed.map(asJson));
    else if (removed.length === 0) console.log("no matching ACLs (see them with: vltava acl list)");
    else for (const binding of removed) console.log(`removed: ${describeBinding(binding)}`);
  });
});
