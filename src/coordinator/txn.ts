/**
 * Transactions: the resolved, deterministic form of a write, as the journal stores it and as
 * replay applies it (sequential names and times already fixed).
 *
 *   entry   => zxid long, timeMs long, txn
 *   txn     => type int, body
 *     create (1)          => path ustring, data buffer, acl vector<ACL>, ephemeralOwner long
 *     delete (2)          => path ustring
 *     setData (5)         => path ustring, data buffer
 *     setAcl (7)          => path ustring, acl vector<ACL>
 *     multi (14)          => count int, txn*
 *     createSession (-10) => sessionId long, passwd buffer, timeoutMs int
 *     closeSession (-11)  => sessionId long
 */
import { Reader } from "../wire/reader.ts";
import type { Writer } from "../wire/writer.ts";
import { WireError } from "../wire/wire-error.ts";
import { type ACL, readAclVector, readString, writeAclVector } from "../zk/protocol/records.ts";

export type Txn =
  | { type: "create"; path: string; data: Uint8Array | null; acl: readonly ACL[]; ephemeralOwner: bigint }
  | { type: "delete"; path: string }
  | { type: "setData"; path: string; data: Uint8Array | null }
  | { type: "setAcl"; path: string; acl: readonly ACL[] }
  | { type: "multi"; txns: Txn[] }
  | { type: "createSession"; sessionId: bigint; passwd: Uint8Array; timeoutMs: number }
  | { type: "closeSession"; sessionId: bigint };

export interface TxnEntry {
  zxid: number;
  timeMs: number;
  txn: Txn;
}

const CODE = {
  create: 1,
  delete: 2,
  setData: 5,
  setAcl: 7,
  multi: 14,
  createSession: -10,
  closeSession: -11,
};

export function writeTxnEntry(writer: Writer, entry: TxnEntry): void {
  writer.int64n(entry.zxid).int64n(entry.timeMs);
  writeTxn(writer, entry.txn);
}

function writeTxn(writer: Writer, txn: Txn): void {
  writer.int32(CODE[txn.type]);
  switch (txn.type) {
    case "create":
      writer.string32(txn.path).bytes(txn.data);
      writeAclVector(writer, txn.acl);
      writer.int64(txn.ephemeralOwner);
      return;
    case "delete":
      writer.string32(txn.path);
      return;
    case "setData":
      writer.string32(txn.path).bytes(txn.data);
      return;
    case "setAcl":
      writer.string32(txn.path);
      writeAclVector(writer, txn.acl);
      return;
    case "multi":
      writer.int32(txn.txns.length);
      for (const inner of txn.txns) writeTxn(writer, inner);
      return;
    case "createSession":
      writer.int64(txn.sessionId).bytes(txn.passwd).int32(txn.timeoutMs);
      return;
    case "closeSession":
      writer.int64(txn.sessionId);
      return;
  }
}

function readTxnEntry(reader: Reader): TxnEntry {
  const zxid = reader.int64n();
  const timeMs = reader.int64n();
  return { zxid, timeMs, txn: readTxn(reader, 0) };
}

function copy(bytes: Uint8Array | null): Uint8Array | null {
  return bytes === null ? null : bytes.slice();
}

function readTxn(reader: Reader, depth: number): Txn {
  const code = reader.int32();
  switch (code) {
    case CODE.create: {
      const path = readString(reader, "path");
      const data = copy(reader.bytes());
      const acl = readAclVector(reader);
      return { type: "create", path, data, acl, ephemeralOwner: reader.int64() };
    }
    case CODE.delete:
      return { type: "delete", path: readString(reader, "path") };
    case CODE.setData:
      return { type: "setData", path: readString(reader, "path"), data: copy(reader.bytes()) };
    case CODE.setAcl:
      return { type: "setAcl", path: readString(reader, "path"), acl: readAclVector(reader) };
    case CODE.multi: {
      if (depth > 0) throw new WireError("Nested multi txn");
      const txns = reader.array((r) => readTxn(r, depth + 1), 4) ?? [];
      return { type: "multi", txns };
    }
    case CODE.createSession: {
      const sessionId = reader.int64();
      const passwd = copy(reader.bytes()) ?? new Uint8Array(0);
      return { type: "createSession", sessionId, passwd, timeoutMs: reader.int32() };
    }
    case CODE.closeSession:
      return { type: "closeSession", sessionId: reader.int64() };
    default:
      throw new WireError(`Unknown txn type ${code}`);
  }
}

/** A journal payload: exactly one entry (trailing bytes are a WireError, not ignored). */
export function decodeTxnEntry(bytes: Uint8Array): TxnEntry {
  const reader = new Reader(bytes);
  const entry = readTxnEntry(reader);
  reader.expectEnd("Txn entry");
  return entry;
}
