/**
 * The small jute records every message uses (zookeeper.jute):
 *
 *   RequestHeader => xid int, type int
 *   ReplyHeader   => xid int, zxid long, err int
 *   Stat          => czxid long, mzxid long, ctime long, mtime long, version int, cversion int,
 *                    aversion int, ephemeralOwner long, dataLength int, numChildren int, pzxid long
 *   Id            => scheme ustring, id ustring
 *   ACL           => perms int, id Id
 *   WatcherEvent  => type int, state int, path ustring
 *   ClientInfo    => authScheme ustring, user ustring
 *
 * ustring/buffer are int32-length (−1 = null); vectors are int32-count (−1 = null).
 * Zxids and times are `number` (exact below 2^53); session ids and ephemeralOwner are `bigint`.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { WireError } from "../../wire/wire-error.ts";

export interface RequestHeader {
  xid: number;
  type: number;
}

export interface ReplyHeader {
  xid: number;
  zxid: number;
  err: number;
}

export interface Stat {
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: number;
}

export interface Id {
  scheme: string;
  id: string;
}

export interface ACL {
  perms: number;
  id: Id;
}

export interface WatcherEvent {
  type: number;
  state: number;
  path: string;
}

export interface ClientInfo {
  authScheme: string;
  user: string;
}

/** [{ALL, world:anyone}], what all clients send by default. */
export const OPEN_ACL_UNSAFE: readonly ACL[] = Object.freeze([
  { perms: 31, id: { scheme: "world", id: "anyone" } },
]);
/** [{READ, world:anyone}]. */
export const READ_ACL_UNSAFE: readonly ACL[] = Object.freeze([
  { perms: 1, id: { scheme: "world", id: "anyone" } },
]);
/** [{ALL, auth:""}]: all rights for whoever created the node. */
export const CREATOR_ALL_ACL: readonly ACL[] = Object.freeze([
  { perms: 31, id: { scheme: "auth", id: "" } },
]);

/** A ustring that must not be null (paths, schemes). */
export function readString(reader: Reader, what = "string"): string {
  const value = reader.string32();
  if (value === null) throw new WireError(`Null ${what}`);
  return value;
}

/** A vector of ustrings; a null vector reads as empty. */
export function readStringVector(reader: Reader): string[] {
  return reader.array((r) => readString(r), 4) ?? [];
}

export function writeStringVector(writer: Writer, values: readonly string[]): void {
  writer.int32(values.length);
  for (const value of values) writer.string32(value);
}

export function writeRequestHeader(writer: Writer, header: RequestHeader): void {
  writer.int32(header.xid).int32(header.type);
}

export function readRequestHeader(reader: Reader): RequestHeader {
  return { xid: reader.int32(), type: reader.int32() };
}

export function writeReplyHeader(writer: Writer, header: ReplyHeader): void {
  writer.int32(header.xid).int64n(header.zxid).int32(header.err);
}

export function readReplyHeader(reader: Reader): ReplyHeader {
  return { xid: reader.int32(), zxid: reader.int64n(), err: reader.int32() };
}

export function writeStat(writer: Writer, stat: Stat): void {
  writer.int64n(stat.czxid).int64n(stat.mzxid).int64n(stat.ctime).int64n(stat.mtime)
    .int32(stat.version).int32(stat.cversion).int32(stat.aversion).int64(stat.ephemeralOwner)
    .int32(stat.dataLength).int32(stat.numChildren).int64n(stat.pzxid);
}

export function readStat(reader: Reader): Stat {
  return {
    czxid: reader.int64n(),
    mzxid: reader.int64n(),
    ctime: reader.int64n(),
    mtime: reader.int64n(),
    version: reader.int32(),
    cversion: reader.int32(),
    aversion: reader.int32(),
    ephemeralOwner: reader.int64(),
    dataLength: reader.int32(),
    numChildren: reader.int32(),
    pzxid: reader.int64n(),
  };
}

export function writeId(writer: Writer, id: Id): void {
  writer.string32(id.scheme).string32(id.id);
}

export function readId(reader: Reader): Id {
  return { scheme: readString(reader, "id scheme"), id: readString(reader, "id") };
}

export function writeAcl(writer: Writer, acl: ACL): void {
  writer.int32(acl.perms);
  writeId(writer, acl.id);
}

export function readAcl(reader: Reader): ACL {
  return { perms: reader.int32(), id: readId(reader) };
}

export function writeAclVector(writer: Writer, acls: readonly ACL[]): void {
  writer.int32(acls.length);
  for (const acl of acls) writeAcl(writer, acl);
}

/** A vector of ACLs; a null vector reads as empty (which the server rejects as INVALIDACL). */
export function readAclVector(reader: Reader): ACL[] {
  return reader.array(readAcl, 12) ?? [];
}

export function writeWatcherEvent(writer: Writer, event: WatcherEvent): void {
  writer.int32(event.type).int32(event.state).string32(event.path);
}

export function readWatcherEvent(reader: Reader): WatcherEvent {
  return { type: reader.int32(), state: reader.int32(), path: reader.string32() ?? "" };
}

export function writeClientInfo(writer: Writer, info: ClientInfo): void {
  writer.string32(info.authScheme).string32(info.user);
}

export function readClientInfo(reader: Reader): ClientInfo {
  return { authScheme: reader.string32() ?? "", user: reader.string32() ?? "" };
}
