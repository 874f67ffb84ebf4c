/**
 * Protecting what brokers write in the coordinator, as Kafka's `zookeeper.set.acl=true` does:
 * brokers authenticate their coordinator session with the ZooKeeper digest scheme
 * (`--coordinator-auth user:password`, or `@FILE` holding that line), and every znode they
 * create gets the ACL Kafka's ZkData.defaultAcls gives it:
 * - all permissions for the brokers' digest identity, and
 * - read for anyone — except under the sensitive roots (/config/users: SCRAM credentials,
 *   /config/brokers, /delegation_token/tokens), which nobody else may even read.
 * A client without the brokers' credentials can then read the cluster's state but not change
 * it; against the built-in coordinator and a real ZooKeeper alike (both enforce ACLs). Without
 * auth everything stays open (OPEN_ACL_UNSAFE), as before.
 *
 * The digest identity is written out (`digest:user:base64(sha1(user:password))`) rather than
 * ZooKeeper's `auth` placeholder, so every broker sharing the credentials gets the same ACL and
 * `vltava zk getacl` shows who may write.
 *
 * @example
 * ```ts
 * const auth = await readCoordinatorAuth("@/etc/vltava/coordinator.auth");
 * znodeAcl("/brokers/ids/1", auth); // [digest:broker:… ALL, world:anyone READ]
 * znodeAcl("/config/users/alice", auth); // [digest:broker:… ALL]
 * ```
 */
import { digestId } from "../coordinator/acl.ts";
import { type ACL, OPEN_ACL_UNSAFE } from "../zk/protocol/records.ts";

/** Credentials of the brokers' coordinator identity. */
export interface CoordinatorAuth {
  user: string;
  password: string;
}

/** ZooKeeper permission bits. */
const READ = 1;
const ALL = 31;

/** Kafka's ZkData.SensitiveRootPaths: secrets nobody but the brokers may read. */
export const SENSITIVE_ROOT_PATHS = ["/config/users", "/config/brokers", "/delegation_token/tokens"] as const;

/** Parse `user:password` (the password may contain ":"). */
export function parseCoordinatorAuth(text: string): CoordinatorAuth {
  const line = text.trim();
  const at = line.indexOf(":");
  if (at <= 0 || at === line.length - 1) {
    throw new TypeError("--coordinator-auth expects USER:PASSWORD (or @FILE holding that line)");
  }
  return { user: line.slice(0, at), password: line.slice(at + 1) };
}

/** `user:password`, or `@FILE` whose first line is that (keeps the password out of `ps`). */
export async function readCoordinatorAuth(value: string): Promise<CoordinatorAuth> {
  if (!value.startsWith("@")) return parseCoordinatorAuth(value);
  const path = value.slice(1);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`Cannot read --coordinator-auth file ${path}: ${(error as Error).message}`);
  }
  return parseCoordinatorAuth(text.split(/\r?\n/)[0] ?? "");
}

/** Is `path` at or under one of the sensitive roots? */
export function isSensitivePath(path: string): boolean {
  return SENSITIVE_ROOT_PATHS.some((root) => path === root || path.startsWith(`${root}/`));
}

/** The ACL a broker gives a znode it creates at `path` (open when there is no auth). */
export function znodeAcl(path: string, auth: CoordinatorAuth | undefined): readonly ACL[] {
  if (auth === undefined) return OPEN_ACL_UNSAFE;
  const owner: ACL = { perms: ALL, id: { scheme: "digest", id: digestId(`${auth.user}:${auth.password}`) } };
  if (isSensitivePath(path)) return [owner];
  return [owner, { perms: READ, id: { scheme: "world", id: "anyone" } }];
}
