/**
 * Snapshots: the whole durable state at one zxid, so the journal before it can be deleted.
 *
 *   file     => snapshot-<zxid, 20 digits>.snap, written as .tmp, fsync'd, then renamed
 *   snapshot => magic "VLTSNAP1", zxid long, sessions, nodes, crc32c(all before) uint32
 *   sessions => count int, (sessionId long, passwd buffer, timeoutMs int)*
 *   nodes    => count int, (path ustring, data buffer, acl vector<ACL>, czxid long, mzxid long,
 *               ctime long, mtime long, version int, aversion int, ephemeralOwner long,
 *               pzxid long, childCreates int)*          parents before children
 *
 * The server takes one synchronously at a txn boundary (the tree is in memory, so it is exact,
 * not fuzzy), writes it in the background and then removes older journal files and snapshots.
 */
import { crc32c } from "../wire/crc32c.ts";
import { Reader } from "../wire/reader.ts";
import { Writer } from "../wire/writer.ts";
import { WireError } from "../wire/wire-error.ts";
import { readAclVector, readString, writeAclVector } from "../zk/protocol/records.ts";
import { DataTree } from "./tree.ts";
import { syncDirectory } from "./journal.ts";

const MAGIC = new TextEncoder().encode("VLTSNAP1");

export interface SessionRecord {
  sessionId: bigint;
  passwd: Uint8Array;
  timeoutMs: number;
}

export interface SnapshotState {
  zxid: number;
  tree: DataTree;
  sessions: Map<bigint, SessionRecord>;
}

export function snapshotFileName(zxid: number): string {
  return `snapshot-${String(zxid).padStart(20, "0")}.snap`;
}

export async function listSnapshots(dir: string): Promise<{ name: string; zxid: number }[]> {
  const files: { name: string; zxid: number }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = /^snapshot-(\d{20})\.snap$/.exec(entry.name);
    if (entry.isFile && match) files.push({ name: entry.name, zxid: Number(match[1]) });
  }
  return files.sort((a, b) => a.zxid - b.zxid);
}

/** Serialize the state (synchronous: call it between two txns). */
export function encodeSnapshot(state: SnapshotState): Uint8Array {
  const writer = new Writer(1024 * 1024);
  writer.raw(MAGIC).int64n(state.zxid);
  writer.int32(state.sessions.size);
  for (const session of state.sessions.values()) {
    writer.int64(session.sessionId).bytes(session.passwd).int32(session.timeoutMs);
  }
  writer.int32(state.tree.size);
  for (const path of state.tree.paths()) {
    const node = state.tree.get(path)!;
    writer.string32(path).bytes(node.data);
    writeAclVector(writer, node.acl);
    writer.int64n(node.czxid).int64n(node.mzxid).int64n(node.ctime).int64n(node.mtime)
      .int32(node.version).int32(node.aversion).int64(node.ephemeralOwner).int64n(node.pzxid)
      .int32(node.childCreates);
  }
  writer.uint32(crc32c(writer.view()));
  return writer.toBytes();
}

export function decodeSnapshot(bytes: Uint8Array): SnapshotState {
  if (bytes.length < MAGIC.length + 12) throw new WireError("Snapshot too short");
  const bodyEnd = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset + bodyEnd, 4).getUint32(0);
  if (crc32c(bytes, 0, bodyEnd) !== stored) throw new WireError("Snapshot checksum mismatch");
  const reader = new Reader(bytes, 0, bodyEnd);
  const magic = reader.raw(MAGIC.length);
  if (!magic.every((byte, i) => byte === MAGIC[i])) throw new WireError("Not a snapshot file");
  const zxid = reader.int64n();
  const sessions = new Map<bigint, SessionRecord>();
  const sessionCount = reader.int32();
  if (sessionCount < 0 || sessionCount * 16 > reader.remaining) throw new WireError("Bad session count");
  for (let i = 0; i < sessionCount; i++) {
    const sessionId = reader.int64();
    const passwd = reader.bytes()?.slice() ?? new Uint8Array(0);
    sessions.set(sessionId, { sessionId, passwd, timeoutMs: reader.int32() });
  }
  const tree = new DataTree();
  tree.clear();
  const nodeCount = reader.int32();
  if (nodeCount < 1 || nodeCount * 64 > reader.remaining) throw new WireError("Bad node count");
  for (let i = 0; i < nodeCount; i++) {
    const path = readString(reader, "path");
    const data = reader.bytes()?.slice() ?? null;
    const acl = readAclVector(reader);
    tree.restore(path, {
      data,
      acl,
      czxid: reader.int64n(),
      mzxid: reader.int64n(),
      ctime: reader.int64n(),
      mtime: reader.int64n(),
      version: reader.int32(),
      aversion: reader.int32(),
      ephemeralOwner: reader.int64(),
      pzxid: reader.int64n(),
      childCreates: reader.int32(),
      children: new Set(),
    });
  }
  reader.expectEnd("Snapshot");
  return { zxid, tree, sessions };
}

/** Write a snapshot durably (tmp, fsync, rename, fsync dir). */
export async function writeSnapshot(dir: string, zxid: number, bytes: Uint8Array): Promise<void> {
  const finalPath = `${dir}/${snapshotFileName(zxid)}`;
  const tmpPath = `${finalPath}.tmp`;
  const file = await Deno.open(tmpPath, { create: true, write: true, truncate: true });
  try {
    let offset = 0;
    while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
    await file.syncData();
  } finally {
    file.close();
  }
  await Deno.rename(tmpPath, finalPath);
  await syncDirectory(dir);
}

/** The newest snapshot that reads back intact, or undefined when there is none. */
export async function loadLatestSnapshot(
  dir: string,
  log: (line: string) => void = () => {},
): Promise<SnapshotState | undefined> {
  const snapshots = await listSnapshots(dir);
  for (let i = snapshots.length - 1; i >= 0; i--) {
    try {
      return decodeSnapshot(await Deno.readFile(`${dir}/${snapshots[i].name}`));
    } catch (error) {
      log(`Skipping unreadable snapshot ${snapshots[i].name}: ${(error as Error).message}`);
    }
  }
  return undefined;
}
