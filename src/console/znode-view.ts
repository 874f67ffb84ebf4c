/**
 * The console's znode browser: one node of the coordinator's tree — its data, its Stat and its
 * children — read through the timeline's own session (read-only: the console never writes the
 * tree). `GET /api/znodes?path=/brokers/ids/1` answers it. The same view works against the
 * built-in coordinator and a real ZooKeeper, chroot included, since it is plain getData and
 * getChildren2. Answers are bounded: data past MAX_DATA_BYTES and children past MAX_CHILDREN are
 * cut (and said so), so one big node cannot make one answer large.
 *
 * @example
 * ```ts
 * const { status, body } = await znodeView(zk, "/controller");
 * ```
 */
import { ErrorCode, KeeperError } from "../zk/protocol/errors.ts";
import { validatePath, type ZooKeeperClient } from "../zk/client/mod.ts";

/** Most data bytes one answer carries. */
export const MAX_DATA_BYTES = 64 * 1024;
/** Most children one answer lists (sorted; `childrenTotal` tells how many there are). */
export const MAX_CHILDREN = 1000;
/** Longest path accepted. */
const MAX_PATH_LENGTH = 1024;

export interface ZnodeView {
  path: string;
  /** The data as text when it is UTF-8, else base64; null when the node has none. */
  data: string | null;
  encoding: "utf-8" | "base64";
  /** True when the data was longer than MAX_DATA_BYTES and is cut. */
  truncated: boolean;
  stat: {
    czxid: number;
    mzxid: number;
    pzxid: number;
    /** Creation and last modification, ms since the epoch. */
    ctime: number;
    mtime: number;
    version: number;
    cversion: number;
    aversion: number;
    /** Session owning an ephemeral node, as hex ("0x0": not ephemeral). */
    ephemeralOwner: string;
    dataLength: number;
    numChildren: number;
  };
  /** Child names, sorted, at most MAX_CHILDREN. */
  children: string[];
  childrenTotal: number;
}

/** Read one node; 400 for a malformed path, 404 when it does not exist, 503 without a session. */
export async function znodeView(
  zk: ZooKeeperClient | undefined,
  path: string,
): Promise<{ status: number; body: ZnodeView | { error: string } }> {
  if (path.length > MAX_PATH_LENGTH) {
    return { status: 400, body: { error: `path: longer than ${MAX_PATH_LENGTH} characters` } };
  }
  try {
    validatePath(path);
  } catch (error) {
    return { status: 400, body: { error: `path: ${(error as Error).message} (e.g. /brokers/ids)` } };
  }
  if (!zk) return { status: 503, body: { error: "not connected to the coordinator yet: try again shortly" } };
  try {
    // Data and children are two reads; a change between them shows as of two moments, which a
    // browser of a live tree accepts (the next click reads again).
    const [{ data, stat }, { children }] = await Promise.all([zk.getData(path), zk.getChildren2(path)]);
    const bytes = data ?? new Uint8Array(0);
    const shown = bytes.subarray(0, MAX_DATA_BYTES);
    let text: string | null = null;
    let encoding: ZnodeView["encoding"] = "utf-8";
    if (data !== null) {
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(shown);
      } catch {
        // Not text (or cut inside a character): show the bytes as base64 rather than mangle them.
        encoding = "base64";
        text = btoa(Array.from(shown, (b) => String.fromCharCode(b)).join(""));
      }
    }
    const sorted = [...children].sort();
    return {
      status: 200,
      body: {
        path,
        data: text,
        encoding,
        truncated: bytes.length > MAX_DATA_BYTES,
        stat: {
          czxid: stat.czxid,
          mzxid: stat.mzxid,
          pzxid: stat.pzxid,
          ctime: stat.ctime,
          mtime: stat.mtime,
          version: stat.version,
          cversion: stat.cversion,
          aversion: stat.aversion,
          ephemeralOwner: `0x${stat.ephemeralOwner.toString(16)}`,
          dataLength: stat.dataLength,
          numChildren: stat.numChildren,
        },
        children: sorted.slice(0, MAX_CHILDREN),
        childrenTotal: sorted.length,
      },
    };
  } catch (error) {
    if (error instanceof KeeperError && error.code === ErrorCode.noNode) {
      return { status: 404, body: { error: `no znode at ${path}: browse from / to see what exists` } };
    }
    if (error instanceof KeeperError) {
      return { status: 502, body: { error: `the coordinator refused the read: ${error.message}` } };
    }
    throw error;
  }
}
