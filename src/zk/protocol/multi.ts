/**
 * Multi (op 14), a transaction of several writes applied all-or-nothing.
 *
 *   MultiHeader   => type int, done boolean, err int
 *   request       => (MultiHeader{type, false, -1} op-record)* MultiHeader{-1, true, -1}
 *     op-record: create/create2/createContainer/createTTL, delete, setData, check (as in requests.ts)
 *   response      => (MultiHeader{type, false, err} result)* MultiHeader{-1, true, -1}
 *     result: create (1) → path; create2 (15) → path, Stat; delete (2), check (13) → nothing;
 *             setData (5) → Stat; error (−1) → err int
 *
 * On failure every result is an error result: 0 before the failing op, its code for it,
 * −2 (RUNTIMEINCONSISTENCY) after it; the ReplyHeader err stays 0.
 */
import type { Reader } from "../../wire/reader.ts";
import type { Writer } from "../../wire/writer.ts";
import { WireError } from "../../wire/wire-error.ts";
import { OpCode } from "./codes.ts";
import { readStat, readString, type Stat, writeStat } from "./records.ts";
import {
  type CreateBody,
  type CreateTtlBody,
  type PathVersionBody,
  readRequestBody,
  type SetDataBody,
  writeRequestBody,
} from "./requests.ts";

/** One op inside a multi request. */
export type MultiOp =
  | ({ op: typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer } & CreateBody)
  | ({ op: typeof OpCode.createTTL } & CreateTtlBody)
  | ({ op: typeof OpCode.delete | typeof OpCode.check } & PathVersionBody)
  | ({ op: typeof OpCode.setData } & SetDataBody);

/** One result inside a multi response. */
export type MultiResult =
  | { type: typeof OpCode.create; path: string }
  | { type: typeof OpCode.create2; path: string; stat: Stat }
  | { type: typeof OpCode.delete }
  | { type: typeof OpCode.check }
  | { type: typeof OpCode.setData; stat: Stat }
  | { type: typeof OpCode.error; err: number };

/** The most ops one multi may carry: bounds the decode loop (zkCli batches 1000 deletes). */
export const MAX_MULTI_OPS = 100_000;

function writeHeader(writer: Writer, type: number, done: boolean, err: number): void {
  writer.int32(type).bool(done).int32(err);
}

export function writeMultiRequest(writer: Writer, ops: readonly MultiOp[]): void {
  for (const op of ops) {
    writeHeader(writer, op.op, false, -1);
    writeRequestBody(writer, op);
  }
  writeHeader(writer, -1, true, -1);
}

export function readMultiRequest(reader: Reader): MultiOp[] {
  const ops: MultiOp[] = [];
  for (;;) {
    const type = reader.int32();
    const done = reader.bool();
    reader.int32(); // err: always -1 in requests
    if (done) return ops;
    if (ops.length >= MAX_MULTI_OPS) throw new WireError(`Multi with more than ${MAX_MULTI_OPS} ops`);
    ops.push(readMultiOp(reader, type));
  }
}

/** The ops a multi may carry; their bodies are the ordinary request bodies. */
const MULTI_OPS = new Set<number>([
  OpCode.create,
  OpCode.create2,
  OpCode.createContainer,
  OpCode.createTTL,
  OpCode.delete,
  OpCode.check,
  OpCode.setData,
]);

function readMultiOp(reader: Reader, type: number): MultiOp {
  if (!MULTI_OPS.has(type)) throw new WireError(`Op type ${type} is not allowed in a multi`);
  return readRequestBody(reader, type) as MultiOp;
}

export function writeMultiResponse(writer: Writer, results: readonly MultiResult[]): void {
  for (const result of results) {
    const err = result.type === OpCode.error ? result.err : 0;
    writeHeader(writer, result.type, false, err);
    switch (result.type) {
      case OpCode.create:
        writer.string32(result.path);
        break;
      case OpCode.create2:
        writer.string32(result.path);
        writeStat(writer, result.stat);
        break;
      case OpCode.setData:
        writeStat(writer, result.stat);
        break;
      case OpCode.error:
        writer.int32(result.err);
        break;
    }
  }
  writeHeader(writer, -1, true, -1);
}

export function readMultiResponse(reader: Reader): MultiResult[] {
  const results: MultiResult[] = [];
  for (;;) {
    const type = reader.int32();
    const done = reader.bool();
    reader.int32();
    if (done) return results;
    if (results.length >= MAX_MULTI_OPS) throw new WireError(`Multi with more than ${MAX_MULTI_OPS} results`);
    switch (type) {
      case OpCode.create:
        results.push({ type, path: readString(reader, "path") });
        break;
      case OpCode.create2:
        results.push({ type, path: readString(reader, "path"), stat: readStat(reader) });
        break;
      case OpCode.delete:
      case OpCode.check:
        results.push({ type });
        break;
      case OpCode.setData:
        results.push({ type, stat: readStat(reader) });
        break;
      case OpCode.error:
        results.push({ type, err: reader.int32() });
        break;
      default:
        throw new WireError(`Unknown multi result type ${type}`);
    }
  }
}
