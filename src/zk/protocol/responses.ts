/**
 * Reply bodies, keyed by the request's op code (they follow a ReplyHeader {xid, zxid, err}
 * and are present only when err = 0):
 *
 *   create                          => path ustring
 *   create2/createContainer/createTTL => path ustring, Stat
 *   exists/setData/setACL           => Stat
 *   getData                         => data buffer, Stat
 *   getChildren                     => children vector<ustring>
 *   getChildren2                    => children vector<ustring>, Stat
 *   getACL                          => acl vector<ACL>, Stat
 *   sync                            => path ustring
 *   multi                           => see multi.ts
 *   getEphemerals                   => ephemerals vector<ustring>
 *   getAllChildrenNumber            => totalNumber int
 *   whoAmI                          => clientInfo vector<ClientInfo>
 *   addWatch                        => int 0 (an ErrorResponse)
 *   delete/check/setWatches/setWatches2/checkWatches/removeWatches/auth/ping/closeSession => nothing
 *
 * Notifications are a ReplyHeader {−1, −1, 0} followed by a WatcherEvent.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { WireError } from "../../wire/wire-error.ts";
import { OpCode } from "./codes.ts";
import {
  type ACL,
  type ClientInfo,
  readAclVector,
  readClientInfo,
  readStat,
  readString,
  readStringVector,
  type Stat,
  writeAclVector,
  writeClientInfo,
  writeStat,
  writeStringVector,
} from "./records.ts";
import { type MultiResult, readMultiResponse, writeMultiResponse } from "./multi.ts";
import type { EmptyBody, RequestOp } from "./requests.ts";

export interface PathStatBody {
  path: string;
  stat: Stat;
}
export interface StatBody {
  stat: Stat;
}
export interface DataBody {
  data: Uint8Array | null;
  stat: Stat;
}
export interface ChildrenBody {
  children: string[];
}
export interface Children2Body {
  children: string[];
  stat: Stat;
}
export interface AclBody {
  acl: ACL[];
  stat: Stat;
}
export interface MultiResultsBody {
  results: MultiResult[];
}
export interface PathsBody {
  paths: string[];
}
export interface CountBody {
  count: number;
}
export interface WhoAmIBody {
  clientInfo: ClientInfo[];
}

/** The successful reply body of each request type. */
export interface ResponseBodies {
  [OpCode.create]: { path: string };
  [OpCode.create2]: PathStatBody;
  [OpCode.createContainer]: PathStatBody;
  [OpCode.createTTL]: PathStatBody;
  [OpCode.delete]: EmptyBody;
  [OpCode.exists]: StatBody;
  [OpCode.getData]: DataBody;
  [OpCode.getChildren]: ChildrenBody;
  [OpCode.getChildren2]: Children2Body;
  [OpCode.setData]: StatBody;
  [OpCode.getACL]: AclBody;
  [OpCode.setACL]: StatBody;
  [OpCode.sync]: { path: string };
  [OpCode.check]: EmptyBody;
  [OpCode.multi]: MultiResultsBody;
  [OpCode.setWatches]: EmptyBody;
  [OpCode.setWatches2]: EmptyBody;
  [OpCode.addWatch]: EmptyBody;
  [OpCode.checkWatches]: EmptyBody;
  [OpCode.removeWatches]: EmptyBody;
  [OpCode.getEphemerals]: PathsBody;
  [OpCode.getAllChildrenNumber]: CountBody;
  [OpCode.auth]: EmptyBody;
  [OpCode.ping]: EmptyBody;
  [OpCode.closeSession]: EmptyBody;
  [OpCode.whoAmI]: WhoAmIBody;
}

/** A reply body tagged with its request's op; `switch (response.op)` narrows it. */
export type ZkResponse = { [K in RequestOp]: { op: K } & ResponseBodies[K] }[RequestOp];

/** Write a successful reply body (not its header). */
export function writeResponseBody(writer: Writer, response: ZkResponse): void {
  switch (response.op) {
    case OpCode.create:
    case OpCode.sync:
      writer.string32(response.path);
      return;
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      writer.string32(response.path);
      writeStat(writer, response.stat);
      return;
    case OpCode.exists:
    case OpCode.setData:
    case OpCode.setACL:
      writeStat(writer, response.stat);
      return;
    case OpCode.getData:
      writer.bytes(response.data);
      writeStat(writer, response.stat);
      return;
    case OpCode.getChildren:
      writeStringVector(writer, response.children);
      return;
    case OpCode.getChildren2:
      writeStringVector(writer, response.children);
      writeStat(writer, response.stat);
      return;
    case OpCode.getACL:
      writeAclVector(writer, response.acl);
      writeStat(writer, response.stat);
      return;
    case OpCode.multi:
      writeMultiResponse(writer, response.results);
      return;
    case OpCode.getEphemerals:
      writeStringVector(writer, response.paths);
      return;
    case OpCode.getAllChildrenNumber:
      writer.int32(response.count);
      return;
    case OpCode.whoAmI:
      writer.int32(response.clientInfo.length);
      for (const info of response.clientInfo) writeClientInfo(writer, info);
      return;
    case OpCode.addWatch:
      writer.int32(0);
      return;
    default:
      return; // header-only replies
  }
}

/** Read the successful reply body of a request of type `op`. Throws WireError when malformed. */
export function readResponseBody<K extends RequestOp>(reader: Reader, op: K): { op: K } & ResponseBodies[K];
export function readResponseBody(reader: Reader, op: RequestOp): ZkResponse {
  switch (op) {
    case OpCode.create:
    case OpCode.sync:
      return { op, path: readString(reader, "path") };
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return { op, path: readString(reader, "path"), stat: readStat(reader) };
    case OpCode.exists:
    case OpCode.setData:
    case OpCode.setACL:
      return { op, stat: readStat(reader) };
    case OpCode.getData: {
      const data = reader.bytes();
      return { op, data: data === null ? null : data.slice(), stat: readStat(reader) };
    }
    case OpCode.getChildren:
      return { op, children: readStringVector(reader) };
    case OpCode.getChildren2:
      return { op, children: readStringVector(reader), stat: readStat(reader) };
    case OpCode.getACL:
      return { op, acl: readAclVector(reader), stat: readStat(reader) };
    case OpCode.multi:
      return { op, results: readMultiResponse(reader) };
    case OpCode.getEphemerals:
      return { op, paths: readStringVector(reader) };
    case OpCode.getAllChildrenNumber:
      return { op, count: reader.int32() };
    case OpCode.whoAmI:
      return { op, clientInfo: reader.array(readClientInfo, 8) ?? [] };
    case OpCode.addWatch:
      if (reader.remaining >= 4) reader.int32();
      return { op };
    case OpCode.delete:
    case OpCode.check:
    case OpCode.setWatches:
    case OpCode.setWatches2:
    case OpCode.checkWatches:
    case OpCode.removeWatches:
    case OpCode.auth:
    case OpCode.ping:
    case OpCode.closeSession:
      return { op };
    default:
      throw new WireError(`Unknown reply type ${op}`);
  }
}
