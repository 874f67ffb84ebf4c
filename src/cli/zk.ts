/**
 * `vltava zk ls|get|stat|create|set|delete|deleteall PATH [DATA]`: one-shot znode commands against
 * any ZooKeeper-protocol server (the coordinator or a real ZooKeeper), like zkCli's, with aligned
 * output for people and --json for scripts.
 *
 * @example
 * ```sh
 * vltava zk create /config '{"a":1}' --server 127.0.0.1:2181
 * vltava zk ls / --recursive
 * vltava zk stat /config --json
 * ```
 */
import type { Command, OptionValues } from "@commander-js/extra-typings";
import Table from "cli-table3";
import { registerCommands } from "./program.ts";
import { CliError, usageError } from "./cli-error.ts";
import { connectStringOption, integerOption } from "./options.ts";
import { joinPath, validatePath, ZooKeeperClient } from "../zk/client/mod.ts";
import { ErrorCode, errorMessage, KeeperError, type Stat } from "../zk/protocol/mod.ts";

interface CommonOptions {
  server: string;
  json?: boolean;
  timeoutMs: number;
  /** create -s: a trailing "/" is a valid prefix. */
  sequential?: boolean;
}

// deno-lint-ignore no-explicit-any
function withCommon<Args extends any[], Opts extends OptionValues>(command: Command<Args, Opts>) {
  return command
    .option(
      "--server <host:port>",
      "server to talk to (a connect string: HOST:PORT[,HOST:PORT][/chroot])",
      connectStringOption,
      "127.0.0.1:2181",
    )
    .option("--timeout-ms <ms>", "give up connecting after this long", integerOption(1, 3_600_000), 10_000)
    .option("--json", "print JSON for scripts");
}

/** Check path, connect, run body, close; every failure becomes one clear line. */
async function withClient<T>(
  options: CommonOptions,
  path: string,
  body: (zk: ZooKeeperClient) => Promise<T>,
): Promise<T> {
  // A bad path is the user's typo: say so before spending a connection (or a connect timeout) on it.
  try {
    validatePath(path, options.sequential);
  } catch (error) {
    throw usageError(lowerFirst((error as Error).message));
  }
  let zk: ZooKeeperClient;
  try {
    zk = await ZooKeeperClient.connect(options.server, {
      connectTimeoutMs: options.timeoutMs,
      requestTimeoutMs: options.timeoutMs,
      sessionTimeoutMs: 30_000,
    });
  } catch (error) {
    if (error instanceof KeeperError) {
      throw new CliError(`cannot connect to ${options.server} (is the server running? check --server)`);
    }
    throw error;
  }
  try {
    return await body(zk);
  } catch (error) {
    throw toCliError(error, path);
  } finally {
    await zk.close();
  }
}

/** KeeperError → what happened and, where there is one, what to do. */
export function toCliError(error: unknown, path: string): Error {
  if (error instanceof CliError) return error;
  if (error instanceof TypeError) return usageError(lowerFirst(error.message));
  if (!(error instanceof KeeperError)) return error as Error;
  const node = `node "${error.path ?? path}"`;
  switch (error.code) {
    case ErrorCode.noNode:
      return new CliError(`${node} does not exist`);
    case ErrorCode.nodeExists:
      return new CliError(`${node} already exists`);
    case ErrorCode.notEmpty:
      return new CliError(`${node} has children (use deleteall, or delete --recursive)`);
    case ErrorCode.badVersion:
      return new CliError(`${node} is not at the expected version (read it again and retry)`);
    case ErrorCode.noChildrenForEphemerals:
      return new CliError(`${node} is ephemeral and cannot have children`);
    case ErrorCode.noAuth:
      return new CliError(`not allowed to access ${node} (its ACL does not permit this client)`);
    case ErrorCode.badArguments:
      return usageError(`the server rejected the arguments for ${node}`);
    case ErrorCode.connectionLoss:
    case ErrorCode.operationTimeout:
      return new CliError(`lost the connection to the server while working on ${node}`);
    default:
      return new CliError(
        `${error.codeName.toLowerCase()}: ${errorMessage(error.code).toLowerCase()} (${node})`,
      );
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

const hex = (value: number | bigint) => `0x${value.toString(16)}`;

/** Stat with readable values, in zkCli's order and names. */
function statRows(stat: Stat): [string, string][] {
  return [
    ["cZxid", hex(stat.czxid)],
    ["ctime", new Date(stat.ctime).toISOString()],
    ["mZxid", hex(stat.mzxid)],
    ["mtime", new Date(stat.mtime).toISOString()],
    ["pZxid", hex(stat.pzxid)],
    ["cversion", String(stat.cversion)],
    ["dataVersion", String(stat.version)],
    ["aclVersion", String(stat.aversion)],
    ["ephemeralOwner", hex(BigInt.asUintN(64, stat.ephemeralOwner))],
    ["dataLength", String(stat.dataLength)],
    ["numChildren", String(stat.numChildren)],
  ];
}

/** Stat for JSON: numbers stay numbers; the 64-bit owner is a hex string. */
function statJson(stat: Stat): Record<string, number | string> {
  return { ...stat, ephemeralOwner: hex(BigInt.asUintN(64, stat.ephemeralOwner)) };
}

function statTable(stat: Stat): string {
  const table = new Table({
    style: { head: [], border: [] },
    colAligns: ["left", "right"],
    // No rule between rows: eleven short rows read better as one block.
    chars: { "mid": "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  for (const row of statRows(stat)) table.push(row);
  return table.toString();
}

function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/** Every path of the subtree, breadth-first, children sorted (zkCli ls -R). */
async function subtree(zk: ZooKeeperClient, path: string): Promise<string[]> {
  const paths = [path];
  for (let i = 0; i < paths.length; i++) {
    for (const child of (await zk.getChildren(paths[i])).sort()) paths.push(joinPath(paths[i], child));
  }
  return paths;
}

registerCommands((program) => {
  const zk = program.command("zk").description("read and change znodes on a ZooKeeper-protocol server");

  withCommon(zk.command("ls").description("list the children of a node").argument("<path>", "znode path"))
    .option("-R, --recursive", "list every descendant (full paths)")
    .action(async (path, options) => {
      const names = await withClient(
        options,
        path,
        async (client) =>
          options.recursive ? await subtree(client, path) : (await client.getChildren(path)).sort(),
      );
      if (options.json) printJson(names);
      else if (names.length > 0) console.log(names.join("\n"));
    });

  withCommon(zk.command("get").description("print a node's data").argument("<path>", "znode path"))
    .action(async (path, options) => {
      const { data, stat } = await withClient(options, path, (client) => client.getData(path));
      const textData = data === null ? null : decoder.decode(data);
      if (options.json) printJson({ path, data: textData, stat: statJson(stat) });
      else console.log(textData ?? "null");
    });

  withCommon(
    zk.command("stat").description("print a node's metadata as a table").argument("<path>", "znode path"),
  )
    .action(async (path, options) => {
      const stat = await withClient(options, path, async (client) => {
        const found = await client.exists(path);
        if (found === null) throw new KeeperError(ErrorCode.noNode, path);
        return found;
      });
      if (options.json) printJson({ path, stat: statJson(stat) });
      else console.log(statTable(stat));
    });

  withCommon(
    zk.command("create").description("create a node (no DATA: null data, as zkCli)")
      .argument("<path>", "znode path (with -s, a prefix for the sequence number)")
      .argument("[data]", "UTF-8 data"),
  )
    .option("-e, --ephemeral", "ephemeral: deleted when this command's session ends, i.e. at once")
    .option("-s, --sequential", "append a 10-digit sequence number to the name")
    .option("-p, --parents", "create missing parents too")
    .action(async (path, data, options) => {
      const created = await withClient(options, path, async (client) => {
        if (options.parents) {
          const parent = path.slice(0, path.lastIndexOf("/")) || "/";
          await client.mkdirp(parent);
        }
        return await client.create(path, data ?? null, {
          ephemeral: options.ephemeral,
          sequential: options.sequential,
        });
      });
      if (options.json) printJson({ path: created });
      else console.log(`Created ${created}`);
    });

  withCommon(
    zk.command("set").description("replace a node's data")
      .argument("<path>", "znode path")
      .argument("<data>", "UTF-8 data"),
  )
    .option(
      "-v, --data-version <version>",
      "only if the node is at this data version",
      integerOption(-1, 0x7fffffff),
      -1,
    )
    .action(async (path, data, options) => {
      const stat = await withClient(
        options,
        path,
        (client) => client.setData(path, data, options.dataVersion),
      );
      if (options.json) printJson({ path, stat: statJson(stat) });
      else console.log(`Set ${path} (data version ${stat.version})`);
    });

  withCommon(zk.command("delete").description("delete a node").argument("<path>", "znode path"))
    .option(
      "-v, --data-version <version>",
      "only if the node is at this data version",
      integerOption(-1, 0x7fffffff),
      -1,
    )
    .option("--recursive", "delete everything under it too (as deleteall)")
    .action(async (path, options) => {
      if (path === "/") throw usageError(`refusing to delete "/"`);
      await withClient(options, path, async (client) => {
        if (options.recursive) {
          if ((await client.exists(path)) === null) throw new KeeperError(ErrorCode.noNode, path);
          await client.deleteRecursive(path);
        } else await client.delete(path, options.dataVersion);
      });
      if (options.json) printJson({ path, deleted: true });
      else console.log(`Deleted ${path}`);
    });

  withCommon(
    zk.command("deleteall").description("delete a node and everything under it").argument(
      "<path>",
      "znode path",
    ),
  )
    .action(async (path, options) => {
      if (path === "/") throw usageError(`refusing to delete "/"`);
      const count = await withClient(options, path, async (client) => {
        if ((await client.exists(path)) === null) throw new KeeperError(ErrorCode.noNode, path);
        const nodes = await subtree(client, path);
        await client.deleteRecursive(path);
        return nodes.length;
      });
      if (options.json) printJson({ path, deleted: count });
      else console.log(`Deleted ${path} (${count} node${count === 1 ? "" : "s"})`);
    });
});
