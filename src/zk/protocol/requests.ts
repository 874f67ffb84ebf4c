/**
 * Request bodies, keyed by op code (they follow a RequestHeader {xid, type}):
 *
 *   create/create2/createContainer => path ustring, data buffer, acl vector<ACL>, flags int
 *   createTTL                      => path, data, acl, flags, ttl long
 *   delete                         => path, version int
 *   exists/getData/getChildren/getChildren2 => path, watch boolean
 *   setData                        => path, data buffer, version int
 *   getACL/sync/getEphemerals/getAllChildrenNumber => path
 *   setACL                         => path, acl vector<ACL>, version int
 *   check                          => path, version int
 *   multi                          => (MultiHeader op)* MultiHeader{-1,true,-1}   (see multi.ts)
 *   setWatches                     => relativeZxid long, dataWatches, existWatches, childWatches
 *   setWatches2                    => setWatches + persistentWatches, persistentRecursiveWatches
 *   addWatch                       => path, mode int
 *   checkWatches/removeWatches     => path, type int
 *   auth (xid −4)                  => type int, scheme ustring, auth buffer
 *   ping/closeSession/whoAmI       => (no body)
 *
 * The same codec serves the client (write) and the coordinator (read).
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { WireError } from "../../wire/wire-error.ts";
import { OpCode } from "./codes.ts";
import {
  type ACL,
  readAclVector,
  readString,
  readStringVector,
  writeAclVector,
  writeStringVector,
} from "./records.ts";
import { type MultiOp, readMultiRequest, writeMultiRequest } from "./multi.ts";

export interface CreateBody {
  path: string;
  data: Uint8Array | null;
  acl: readonly ACL[];
  flags: number;
}
export interface CreateTtlBody extends CreateBody {
  ttlMs: number;
}
export interface PathBody {
  path: string;
}
export interface PathWatchBody {
  path: string;
  watch: boolean;
}
export interface PathVersionBody {
  path: string;
  version: number;
}
export interface SetDataBody {
  path: string;
  data: Uint8Array | null;
  version: number;
}
export interface SetAclBody {
  path: string;
  acl: readonly ACL[];
  version: number;
}
export interface MultiBody {
  ops: MultiOp[];
}
export interface SetWatchesBody {
  relativeZxid: number;
  dataWatches: string[];
  existWatches: string[];
  childWatches: string[];
}
export interface SetWatches2Body extends SetWatchesBody {
  persistentWatches: string[];
  persistentRecursiveWatches: string[];
}
export interface AddWatchBody {
  path: string;
  mode: number;
}
export interface WatchTypeBody {
  path: string;
  type: number;
}
export interface AuthBody {
  type: number;
  scheme: string;
  auth: Uint8Array;
}
// deno-lint-ignore ban-types
export type EmptyBody = {};

/** The body of each request type this codec knows. */
export interface RequestBodies {
  [OpCode.create]: CreateBody;
  [OpCode.create2]: CreateBody;
  [OpCode.createContainer]: CreateBody;
  [OpCode.createTTL]: CreateTtlBody;
  [OpCode.delete]: PathVersionBody;
  [OpCode.exists]: PathWatchBody;
  [OpCode.getData]: PathWatchBody;
  [OpCode.getChildren]: PathWatchBody;
  [OpCode.getChildren2]: PathWatchBody;
  [OpCode.setData]: SetDataBody;
  [OpCode.getACL]: PathBody;
  [OpCode.setACL]: SetAclBody;
  [OpCode.sync]: PathBody;
  [OpCode.check]: PathVersionBody;
  [OpCode.multi]: MultiBody;
  [OpCode.setWatches]: SetWatchesBody;
  [OpCode.setWatches2]: SetWatches2Body;
  [OpCode.addWatch]: AddWatchBody;
  [OpCode.checkWatches]: WatchTypeBody;
  [OpCode.removeWatches]: WatchTypeBody;
  [OpCode.getEphemerals]: PathBody;
  [OpCode.getAllChildrenNumber]: PathBody;
  [OpCode.auth]: AuthBody;
  [OpCode.ping]: EmptyBody;
  [OpCode.closeSession]: EmptyBody;
  [OpCode.whoAmI]: EmptyBody;
}

/** An op code this codec can encode and decode. */
export type RequestOp = keyof RequestBodies;

/** A request body tagged with its op; `switch (request.op)` narrows it. */
export type ZkRequest = { [K in RequestOp]: { op: K } & RequestBodies[K] }[RequestOp];

const KNOWN = new Set<number>([
  OpCode.create,
  OpCode.create2,
  OpCode.createContainer,
  OpCode.createTTL,
  OpCode.delete,
  OpCode.exists,
  OpCode.getData,
  OpCode.getChildren,
  OpCode.getChildren2,
  OpCode.setData,
  OpCode.getACL,
  OpCode.setACL,
  OpCode.sync,
  OpCode.check,
  OpCode.multi,
  OpCode.setWatches,
  OpCode.setWatches2,
  OpCode.addWatch,
  OpCode.checkWatches,
  OpCode.removeWatches,
  OpCode.getEphemerals,
  OpCode.getAllChildrenNumber,
  OpCode.auth,
  OpCode.ping,
  OpCode.closeSession,
  OpCode.whoAmI,
]);

/** Does this codec know the body layout of `op`? */
export function isKnownRequestOp(op: number): op is RequestOp {
  return KNOWN.has(op);
}

/** Write the body of a request (not its header). */
export function writeRequestBody(writer: Writer, request: ZkRequest): void {
  switch (request.op) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      writer.string32(request.path).bytes(request.data);
      writeAclVector(writer, request.acl);
      writer.int32(request.flags);
      if (request.op === OpCode.createTTL) writer.int64n(request.ttlMs);
      return;
    case OpCode.delete:
    case OpCode.check:
      writer.string32(request.path).int32(request.version);
      return;
    case OpCode.exists:
    case OpCode.getData:
    case OpCode.getChildren:
    case OpCode.getChildren2:
      writer.string32(request.path).bool(request.watch);
      return;
    case OpCode.setData:
      writer.string32(request.path).bytes(request.data).int32(request.version);
      return;
    case OpCode.getACL:
    case OpCode.sync:
    case OpCode.getEphemerals:
    case OpCode.getAllChildrenNumber:
      writer.string32(request.path);
      return;
    case OpCode.setACL:
      writer.string32(request.path);
      writeAclVector(writer, request.acl);
      writer.int32(request.version);
      return;
    case OpCode.multi:
      writeMultiRequest(writer, request.ops);
      return;
    case OpCode.setWatches:
    case OpCode.setWatches2:
      writer.int64n(request.relativeZxid);
      writeStringVector(writer, request.dataWatches);
      writeStringVector(writer, request.existWatches);
      writeStringVector(writer, request.childWatches);
      if (request.op === OpCode.setWatches2) {
        writeStringVector(writer, request.persistentWatches);
        writeStringVector(writer, request.persistentRecursiveWatches);
      }
      return;
    case OpCode.addWatch:
      writer.string32(request.path).int32(request.mode);
      return;
    case OpCode.checkWatches:
    case OpCode.removeWatches:
      writer.string32(request.path).int32(request.type);
      return;
    case OpCode.auth:
      writer.int32(request.type).string32(request.scheme).bytes(request.auth);
      return;
    case OpCode.ping:
    case OpCode.closeSession:
    case OpCode.whoAmI:
      return;
  }
}

/**
 * Read the body of a request of type `op`. Throws WireError on malformed input (the server
 * answers MARSHALLINGERROR) and for ops this codec does not know (check isKnownRequestOp first).
 * Trailing bytes are tolerated, as the real server does.
 */
export function readRequestBody(reader: Reader, op: number): ZkRequest {
  switch (op) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer: {
      const path = readString(reader, "path");
      const data = copy(reader.bytes());
      const acl = readAclVector(reader);
      return { op, path, data, acl, flags: reader.int32() };
    }
    case OpCode.createTTL: {
      const path = readString(reader, "path");
      const data = copy(reader.bytes());
      const acl = readAclVector(reader);
      const flags = reader.int32();
      return { op, path, data, acl, flags, ttlMs: reader.int64n() };
    }
    case OpCode.delete:
    case OpCode.check:
      return { op, path: readString(reader, "path"), version: reader.int32() };
    case OpCode.exists:
    case OpCode.getData:
    case OpCode.getChildren:
    case OpCode.getChildren2:
      return { op, path: readString(reader, "path"), watch: reader.bool() };
    case OpCode.setData: {
      const path = readString(reader, "path");
      const data = copy(reader.bytes());
      return { op, path, data, version: reader.int32() };
    }
    case OpCode.getACL:
    case OpCode.sync:
    case OpCode.getEphemerals:
    case OpCode.getAllChildrenNumber:
      return { op, path: readString(reader, "path") };
    case OpCode.setACL: {
      const path = readString(reader, "path");
      const acl = readAclVector(reader);
      return { op, path, acl, version: reader.int32() };
    }
    case OpCode.multi:
      return { op, ops: readMultiRequest(reader) };
    case OpCode.setWatches: {
      const relativeZxid = reader.int64n();
      const dataWatches = readStringVector(reader);
      const existWatches = readStringVector(reader);
      return { op, relativeZxid, dataWatches, existWatches, childWatches: readStringVector(reader) };
    }
    case OpCode.setWatches2: {
      const relativeZxid = reader.int64n();
      const dataWatches = readStringVector(reader);
      const existWatches = readStringVector(reader);
      const childWatches = readStringVector(reader);
      const persistentWatches = readStringVector(reader);
      return {
        op,
        relativeZxid,
        dataWatches,
        existWatches,
        childWatches,
        persistentWatches,
        persistentRecursiveWatches: readStringVector(reader),
      };
    }
    case OpCode.addWatch:
      return { op, path: readString(reader, "path"), mode: reader.int32() };
    case OpCode.checkWatches:
    case OpCode.removeWatches:
      return { op, path: readString(reader, "path"), type: reader.int32() };
    case OpCode.auth: {
      const type = reader.int32();
      const scheme = readString(reader, "auth scheme");
      return { op, type, scheme, auth: copy(reader.bytes()) ?? new Uint8Array(0) };
    }
    case OpCode.ping:
    case OpCode.closeSession:
    case OpCode.whoAmI:
      return { op };
    default:
      throw new WireError(`Unknown request type ${op}`);
  }
}

/** Frames are views into a receive buffer; data kept in the tree must own its bytes. */
function copy(bytes: Uint8Array | null): Uint8Array | null {
  return bytes === null ? null : bytes.slice();
}
